package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// userPasswordForm asks for a new password for another user.
func (s *Server) userPasswordForm(c echo.Context) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	return s.renderUserPassword(c, http.StatusOK, u, nil)
}

// userPasswordReset sets another user's password, which they must change
// at their next sign-in; their sessions and tokens end.
func (s *Server) userPasswordReset(c echo.Context) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	err = s.users.ResetPassword(c.Request().Context(), actor(c), u.ID, c.Request().PostFormValue("password"))
	switch apikey.ErrorCode(err) {
	case "":
		return s.done(c, "Set a new password for "+u.Username+", who must change it at the next sign-in.", "/users")
	case apikey.EINVALID:
		return s.renderUserPassword(c, http.StatusUnprocessableEntity, u, map[string]string{"password": apikey.ErrorMessage(err)})
	case apikey.EUNAVAILABLE:
		unavailable, _ := storageError(err)
		return s.renderUserPassword(c, http.StatusServiceUnavailable, u, unavailable)
	}
	return err
}

func (s *Server) renderUserPassword(c echo.Context, status int, u *apikey.User, errs map[string]string) error {
	f := view.UserPasswordForm{Username: u.Username, Action: "/users/" + u.ID + "/password", Errors: errs}
	pg := s.usersPage(c, "Password of "+u.Username)
	s.headerAccount(c, &pg)
	return render(c, status, view.UserPasswordPage(pg, f))
}
