package web

import (
	"github.com/labstack/echo/v4"
)

// flash keeps a short message for the next page the visitor opens: set
// after a change succeeds, shown once at its top (Layout's status region).
// It travels in the session cookie, so it never holds a secret: names, not
// values.
func (s *Server) flash(c echo.Context, msg string) error {
	v := visitOf(c)
	if v == nil {
		return nil
	}
	v.cookie.AddFlash(msg)
	// A client that changes much and reads no page (a script) would grow
	// the cookie past what browsers keep: the newest few are enough.
	if waiting, ok := v.cookie.Values[flashesKey].([]any); ok && len(waiting) > flashesKept {
		v.cookie.Values[flashesKey] = waiting[len(waiting)-flashesKept:]
	}
	return s.saveVisit(c, v)
}

// flashesKey is where gorilla/sessions keeps flashes in the session;
// flashesKept is how many wait at most.
const (
	flashesKey  = "_flash"
	flashesKept = 3
)

// takeFlashes hands over the messages waiting for this page, once. Only a
// whole page takes them: a dialog or a list region swapped in by htmx
// would use them up where nobody reads them.
func (s *Server) takeFlashes(c echo.Context) []string {
	v := visitOf(c)
	h := c.Request().Header
	if v == nil || h.Get("HX-Request") == "true" && h.Get("HX-History-Restore-Request") != "true" {
		return nil
	}
	waiting := v.cookie.Flashes()
	if len(waiting) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(waiting))
	for _, f := range waiting {
		if m, ok := f.(string); ok {
			msgs = append(msgs, m)
		}
	}
	// Not saved, the messages would show again on the next page: better
	// than not at all, so a failed save only costs a repeat.
	_ = s.saveVisit(c, v)
	return msgs
}
