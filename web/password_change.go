package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/web/view"
)

// passwordPath is the signed-in user's change-password page.
const passwordPath = "/account/password"

// passwordForm shows the change-password page.
func (s *Server) passwordForm(c echo.Context) error {
	f := view.PasswordForm{Forced: visitOf(c).user.MustChangePassword}
	return s.renderPassword(c, http.StatusOK, f)
}

// passwordChange changes the signed-in user's password, proving the
// current one; this session stays, every other one and every API token
// of the user ends.
func (s *Server) passwordChange(c echo.Context) error {
	v := visitOf(c)
	r := c.Request()
	errs, err := s.signin.ChangePassword(r.Context(), v.user, v.sessionID, c.RealIP(),
		r.PostFormValue("current_password"), r.PostFormValue("password"), r.PostFormValue("password_confirm"))
	if unavailable, ok := storageError(err); ok {
		return s.renderPassword(c, http.StatusServiceUnavailable, view.PasswordForm{Forced: v.user.MustChangePassword, Errors: unavailable})
	}
	if err != nil {
		return err
	}
	if errs.Any() {
		return s.renderPassword(c, http.StatusUnprocessableEntity, view.PasswordForm{Forced: v.user.MustChangePassword, Errors: errs})
	}
	return s.done(c, "Your password was changed. Your other sessions and the API tokens issued to you were ended.", passwordPath)
}

func (s *Server) renderPassword(c echo.Context, status int, f view.PasswordForm) error {
	p := s.page(c, "Change password", "", view.Crumb{Label: "Your account"}, view.Crumb{Label: "Change password"})
	if !f.Forced {
		s.headerAccount(c, &p)
	}
	return render(c, status, view.PasswordPage(p, f))
}

// requirePasswordChosen holds a user who must change their password (after
// a reset, or the printed first password) at the password page.
func (s *Server) requirePasswordChosen(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v := visitOf(c); v != nil && v.user != nil && v.user.MustChangePassword {
			return sendTo(c, passwordPath)
		}
		return next(c)
	}
}
