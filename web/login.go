package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/web/view"
)

// signInFailed is the one message for every refusal: wrong password, unknown
// user, inactive user or throttled, so none can be told apart.
const signInFailed = "The username or password is wrong, or there were too many attempts. Try again in a few minutes."

// loginForm shows the sign-in page; a signed-in user goes straight on.
func (s *Server) loginForm(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if principalOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return render(c, http.StatusOK, view.LoginPage(view.LoginForm{Next: next, CSRFToken: csrfToken(c)}))
}

// login checks the password and starts a session.
func (s *Server) login(c echo.Context) error {
	v := visitOf(c)
	next := safeNext(c.FormValue("next"))
	typed := c.Request().PostFormValue("username")
	password := c.Request().PostFormValue("password") // never from the URL
	user, err := s.signin.Password(c.Request().Context(), typed, password, c.RealIP())
	if err != nil {
		return err
	}
	if user == nil {
		form := view.LoginForm{Username: typed, Next: next, Error: signInFailed, CSRFToken: csrfToken(c)}
		return render(c, http.StatusUnauthorized, view.LoginPage(form))
	}
	if err := s.startSession(c, v, user); err != nil {
		return err
	}
	if user.MustChangePassword {
		next = passwordPath
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends the session and returns to the sign-in page.
func (s *Server) logout(c echo.Context) error {
	if err := s.endSession(c, visitOf(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
