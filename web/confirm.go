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
// when no page asked (no "return").
type question struct {
	title string
	page  func() view.Page
	q     view.Confirm
}

// confirmFirst runs act on a confirmed post, else asks: the same question
// for a GET (the link that leads to it) and for an unconfirmed post.
func (s *Server) confirmFirst(c echo.Context, q question, act func() error) error {
	if confirmed(c) {
		return act()
	}
	q.q.Return = returnTo(c, q.q.CancelURL)
	q.q.CancelURL = q.q.Return
	q.q.CSRFToken = csrfToken(c)
	return s.renderDialog(c, http.StatusOK, q.page(), q.title, view.ConfirmBody(q.q))
}

// done ends a change: the flash message for the next page, then there.
func (s *Server) done(c echo.Context, msg, next string) error {
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return redirect(c, next)
}
