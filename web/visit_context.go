package web

import (
	"bytes"
	"sync"
	"sync/atomic"

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
	// verifyBody is the body of POST /api/v1/keys/verify, decoded.
	verifyBody verifyBody
	// body holds a JSON request body while it is decoded (decodeJSON
	// copies every string out); kept, zeroed, for the next request.
	body bytes.Buffer
	// counts are where its requests count; kept, as the pool keeps the
	// context on its processor.
	counts requestShards
}

// reset empties vc for its next request, but for what it keeps: the
// buffer of a small body (a bulk request's is let go), zeroed, since the
// body may have held a secret, and its counts.
func (vc *visitContext) reset() {
	keep := visitContext{counts: vc.counts}
	if vc.body.Cap() <= maxKeptBody {
		clear(vc.body.Bytes())
		vc.body.Reset()
		keep.body = vc.body
	}
	*vc = keep
}

// maxKeptBody is the largest body buffer a context keeps.
const maxKeptBody = 64 << 10

// requestShards are the shards of one server's counts (package shards)
// that a visitContext's requests add to: the request id's numbers, the
// requests in flight, the verifications' tally and the metrics. Taken
// from their sets on every request (a pool's get and put each), they cost
// about what one counter shared between processors did; kept with the
// context, which its pool keeps on its processor, they cost a field read.
type requestShards struct {
	of       *Server
	ids      *idBlock
	inFlight *[]atomic.Int64
	tally    *tallyShard
	metrics  *metricShard
}

// countsOf is where vc's request counts for s.
func (vc *visitContext) countsOf(s *Server) *requestShards {
	if vc.counts.of != s {
		vc.counts = requestShards{of: s, ids: requestIDs.shards.Pick(),
			inFlight: s.inFlight.shards.Pick(), tally: s.tally.shards.Pick(), metrics: s.metrics.shards.Pick()}
	}
	return &vc.counts
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
