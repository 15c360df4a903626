package web

import (
	"sync"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
)

// visitContext is Echo's context with the request's visit beside it. Echo
// keeps values set on a context in a map it makes anew for every request;
// on the verification path that map was the largest allocation. The
// envelope wraps every request in one, from a pool: none outlives its
// request, as Echo's own contexts do not.
type visitContext struct {
	echo.Context
	visit *visit
	// The JSON API caller's visit and principal, kept here rather than
	// allocated. Services keep no principal past the call.
	apiVisit     visit
	apiPrincipal apikey.Principal
	// verifyCode is the code POST /api/v1/keys/verify answered with, to be
	// tallied rather than logged (see verifyTally).
	verifyCode string
}

var visitContexts = sync.Pool{New: func() any { return new(visitContext) }}

// Every handler runs inside the envelope, so its context is always a
// visitContext; one that is not is a handler called around the envelope,
// a mistake these assertions make loud.

// setVisit makes v the request's visit.
func setVisit(c echo.Context, v *visit) { c.(*visitContext).visit = v }

// newAPIVisit makes the JSON API caller's key, and whether it came as a
// bearer token, the request's visit.
func newAPIVisit(c echo.Context, k *apikey.Key, keyInBearer bool) {
	vc := c.(*visitContext)
	vc.apiPrincipal = *apikey.KeyPrincipal(k) // inlined: no allocation
	vc.apiVisit = visit{principal: &vc.apiPrincipal, key: k, keyInBearer: keyInBearer}
	vc.visit = &vc.apiVisit
}

// visitOf is the request's visit (nil before one is loaded).
func visitOf(c echo.Context) *visit {
	if vc, ok := c.(*visitContext); ok {
		return vc.visit
	}
	return nil
}
