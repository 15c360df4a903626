package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/web/view"
)

// confirmed tells whether a post carries the confirm field of
// view.ConfirmBody. A change that asks first acts only then: a post
// without it (a stale or forged form, a guess) is asked, never obeyed.
func confirmed(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.FormValue("confirm") == "yes"
}

// question is what is asked before a change: the dialog's title, the page
// around it without JavaScript (made only when shown: making it takes the
// waiting flash messages), and the words. q.CancelURL is where to go back
// when no page asked (no "return"). unconfirmed is said above the button
// when a post came without the confirm field (nothingChanged unless set).
type question struct {
	title       string
	page        func() view.Page
	q           view.Confirm
	unconfirmed string
}

// What a question says to a post that came without its confirm field.
const (
	nothingChanged = "Nothing was changed: confirm with the button below."
	nothingDeleted = "Nothing was deleted: confirm with the button below."
)

// confirmFirst runs act on a confirmed post, else asks: the same question
// for a GET (the link that leads to it) and for an unconfirmed post, which
// is also told that nothing was done.
func (s *Server) confirmFirst(c echo.Context, q question, act func() error) error {
	if confirmed(c) {
		err := act()
		if errs, ok := storageError(err); ok {
			// Asked again with the reason at its top and the answer as typed.
			q.q.Errors = errs
			if q.q.AskReason {
				q.q.Reason = c.FormValue("reason")
			}
			return s.ask(c, http.StatusServiceUnavailable, q)
		}
		return err
	}
	if c.Request().Method == http.MethodPost && q.q.Refusal == "" {
		if q.unconfirmed == "" {
			q.unconfirmed = nothingChanged
		}
		if q.q.Errors == nil {
			q.q.Errors = map[string]string{}
		}
		q.q.Errors["confirm"] = q.unconfirmed
	}
	return s.ask(c, http.StatusOK, q)
}

// ask shows question q: a dialog with htmx, a page without. A refused
// change comes back on it with its Refusal, and the status that says so.
func (s *Server) ask(c echo.Context, status int, q question) error {
	q.q.Return = returnTo(c, q.q.CancelURL)
	q.q.CancelURL = q.q.Return
	q.q.CSRFToken = csrfToken(c)
	return s.renderDialog(c, status, q.page(), q.title, view.ConfirmBody(q.q))
}

// done ends a change: the flash message for the next page, then there.
func (s *Server) done(c echo.Context, msg, next string) error {
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return redirect(c, next)
}
