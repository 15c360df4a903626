package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// userRoleForm is a user's edit page: the role and, for an Account Viewer,
// the accounts it sees, to change; and the user's other actions.
func (s *Server) userRoleForm(c echo.Context) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	f := view.UserRoleForm{Role: string(u.Role)}
	if u.Role == apikey.RoleAccountViewer {
		f.Scope.Chosen = scopeChoices(u.RoleAccounts)
	}
	return s.renderUserRole(c, http.StatusOK, u, f)
}

// userRoleSave changes a user's role (and account scope); a refused change
// comes back with the reason beside the field and the choices as made.
func (s *Server) userRoleSave(c echo.Context) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	f := view.UserRoleForm{Role: params.Get("role"), Scope: view.AccountPicker{Chosen: scopeChoices(params["role_accounts"])}}
	if q, find := pickerFind(c); find {
		f.Scope.Query = q
		return s.renderUserRole(c, http.StatusOK, u, f)
	}
	role, accounts, errs := validate.UserRole(params.Get("role"), params["role_accounts"])
	if errs.Any() {
		f.Errors = errs
		return s.renderUserRole(c, http.StatusUnprocessableEntity, u, f)
	}
	err = s.users.SetRole(c.Request().Context(), actor(c), u.ID, role, accounts)
	status := http.StatusUnprocessableEntity
	switch apikey.ErrorCode(err) {
	case "":
		return c.Redirect(http.StatusSeeOther, "/users")
	case apikey.ECONFLICT: // the last Global Admin's
		status = http.StatusConflict
		fallthrough
	case apikey.EINVALID:
		field := apikey.ErrorField(err)
		if field == "" {
			field = "role"
		}
		f.Errors = map[string]string{field: apikey.ErrorMessage(err)}
		return s.renderUserRole(c, status, u, f)
	}
	return err
}

// renderUserRole draws the role form of user u.
func (s *Server) renderUserRole(c echo.Context, status int, u *apikey.User, f view.UserRoleForm) error {
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	f.Username, f.Action, f.CancelURL = u.Username, "/users/"+u.ID+"/role", "/users"
	f.Roles = roleOptions()
	fillPicker(&f.Scope, dir)
	f.Account, f.Active = dir.name(u.AccountID), u.Active
	self := principalOf(c)
	f.IsSelf = self != nil && self.Kind == apikey.PrincipalUser && self.ID == u.ID
	f.PasswordURL, f.DeleteURL, f.StatusURL = "/users/"+u.ID+"/password", "/users/"+u.ID+"/delete", "/users/"+u.ID+"/activate"
	if u.Active {
		f.StatusURL = "/users/" + u.ID + "/deactivate"
	}
	pg := s.usersPage(c, "Edit "+u.Username)
	s.headerAccount(c, &pg)
	return render(c, status, view.UserRolePage(pg, f))
}

// managedUser is the user with that id when the visitor may manage it; any
// other is reported missing, so ids cannot be probed.
func (s *Server) managedUser(c echo.Context, id string) (*apikey.User, error) {
	ctx := c.Request().Context()
	u, err := s.signin.User(ctx, id)
	if err != nil {
		return nil, err
	}
	path, err := s.accounts.Path(ctx, u.AccountID)
	if err != nil {
		return nil, err
	}
	if !principalOf(c).CanIn(apikey.ManageUsers, path) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such user.")
	}
	return u, nil
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

// userChanged answers a switch of one user on or off: back to the page the
// button was on, or the user's edit page with the refusal (such as the
// last-admin rule).
func (s *Server) userChanged(c echo.Context, id string, err error) error {
	status := http.StatusUnprocessableEntity
	switch apikey.ErrorCode(err) {
	case "":
		return c.Redirect(http.StatusSeeOther, returnTo(c, "/users"))
	case apikey.ECONFLICT:
		status = http.StatusConflict
	case apikey.EINVALID:
	default:
		return err
	}
	return s.refusedOnUser(c, status, id, apikey.ErrorMessage(err))
}

// refusedOnUser draws user id's edit page with the reason an action on it
// was refused.
func (s *Server) refusedOnUser(c echo.Context, status int, id, refusal string) error {
	u, err := s.managedUser(c, id)
	if err != nil {
		return err
	}
	f := view.UserRoleForm{Role: string(u.Role), Refusal: refusal}
	if u.Role == apikey.RoleAccountViewer {
		f.Scope.Chosen = scopeChoices(u.RoleAccounts)
	}
	return s.renderUserRole(c, status, u, f)
}

// userDeleteConfirm asks before deleting a user.
func (s *Server) userDeleteConfirm(c echo.Context) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	return s.renderUserDelete(c, http.StatusOK, u, "", nil)
}

// renderUserDelete draws the question before deleting user u, with the
// reason a delete was refused, or (errs) what the post lacked.
func (s *Server) renderUserDelete(c echo.Context, status int, u *apikey.User, refusal string, errs map[string]string) error {
	confirm := view.Confirm{
		Message:   "Delete the user “" + u.Username + "” (" + u.Role.Label() + ")?",
		Warning:   "They can no longer sign in, and their sessions and tokens end at once. This cannot be undone; to stop them for a while, deactivate them instead.",
		Action:    "/users/" + u.ID + "/delete",
		Button:    "Delete " + u.Username,
		Danger:    true,
		CancelURL: "/users/" + u.ID,
		CSRFToken: csrfToken(c),
		Hidden:    []view.Field{{Name: "confirm", Value: "yes"}},
		Refusal:   refusal,
		Errors:    errs,
	}
	return s.renderDialog(c, status, s.usersPage(c, "Delete "+u.Username), "Delete user", view.ConfirmBody(confirm))
}

// errUnconfirmed answers a delete posted without its question's confirm=yes.
var errUnconfirmed = map[string]string{"confirm": "Nothing was deleted: confirm with the button below."}

// userDelete removes a user once their delete page was confirmed, and goes
// back to the users; a refusal (yourself, the last Global Admin) comes
// back on the question.
func (s *Server) userDelete(c echo.Context) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		return s.renderUserDelete(c, http.StatusUnprocessableEntity, u, "", errUnconfirmed)
	}
	err = s.users.Delete(c.Request().Context(), actor(c), u.ID)
	switch apikey.ErrorCode(err) {
	case "":
		return redirect(c, "/users")
	case apikey.ECONFLICT:
		return s.renderUserDelete(c, http.StatusConflict, u, apikey.ErrorMessage(err), nil)
	case apikey.EINVALID:
		return s.renderUserDelete(c, http.StatusUnprocessableEntity, u, apikey.ErrorMessage(err), nil)
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
