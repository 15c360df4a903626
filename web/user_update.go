package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// userRoleSave changes a user's role (and account scope).
func (s *Server) userRoleSave(c echo.Context) error {
	id := c.Param("id")
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	role, accounts, errs := validate.UserRole(params.Get("role"), params["role_accounts"])
	if errs.Any() {
		return s.renderUsers(c, http.StatusUnprocessableEntity, view.UserForm{}, id, firstError(errs))
	}
	return s.userChanged(c, id, s.users.SetRole(c.Request().Context(), actor(c), id, role, accounts))
}

// userDeactivate switches a user off and ends their sessions at once.
func (s *Server) userDeactivate(c echo.Context) error {
	id := c.Param("id")
	return s.userChanged(c, id, s.users.SetActive(c.Request().Context(), actor(c), id, false))
}

// userActivate switches a user back on.
func (s *Server) userActivate(c echo.Context) error {
	id := c.Param("id")
	return s.userChanged(c, id, s.users.SetActive(c.Request().Context(), actor(c), id, true))
}

// userChanged answers a change to one user: back to the list, or the list
// with the refusal (such as the last-admin rule) beside that user.
func (s *Server) userChanged(c echo.Context, id string, err error) error {
	switch apikey.ErrorCode(err) {
	case "":
		return c.Redirect(http.StatusSeeOther, "/users")
	case apikey.ECONFLICT:
		return s.renderUsers(c, http.StatusConflict, view.UserForm{}, id, apikey.ErrorMessage(err))
	case apikey.EINVALID:
		return s.renderUsers(c, http.StatusUnprocessableEntity, view.UserForm{}, id, apikey.ErrorMessage(err))
	}
	return err
}

// firstError gives the messages of errs in field order, for a place with room for one line.
func firstError(errs validate.Errors) string {
	var msgs []string
	for _, f := range errs.Fields() {
		msgs = append(msgs, errs[f])
	}
	return strings.Join(msgs, " ")
}
