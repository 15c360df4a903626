package web

import (
	"net/http"
	"strconv"
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
		return s.done(c, "Saved the role of "+u.Username+": "+role.Label()+"."+accountsNotKept(role, params["role_accounts"]), "/users")
	case apikey.EUNAVAILABLE:
		f.Errors, _ = storageError(err)
		return s.renderUserRole(c, http.StatusServiceUnavailable, u, f)
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

// userDeactivate switches a user off, after asking: their sessions end at once.
func (s *Server) userDeactivate(c echo.Context) error { return s.setUserActive(c, false) }

// userActivate switches a user back on; the buttons that offer it confirm
// in the same click, as nothing ends.
func (s *Server) userActivate(c echo.Context) error { return s.setUserActive(c, true) }

// setUserActive switches user id on or off once confirmed, then goes back
// to the page the button was on (the users, by default); a refusal (such
// as the last-admin rule) shows on the user's edit page.
func (s *Server) setUserActive(c echo.Context, active bool) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	q := question{title: "Deactivate user", q: view.Confirm{
		Message: "Deactivate the user “" + u.Username + "” (" + u.Role.Label() + ")?",
		Warning: "They are signed out at once, and cannot sign in until they are activated again.",
		Action:  "/users/" + u.ID + "/deactivate", Button: "Deactivate " + u.Username, Danger: true, CancelURL: "/users",
	}}
	done := u.Username + " is inactive and signed out."
	if active {
		q.title, q.q.Action, q.q.Button, q.q.Danger = "Activate user", "/users/"+u.ID+"/activate", "Activate "+u.Username, false
		q.q.Message = "Activate the user “" + u.Username + "” (" + u.Role.Label() + ")?"
		q.q.Warning = "They can sign in again with their password."
		done = u.Username + " is active and can sign in again."
	}
	q.page = func() view.Page { return s.usersPage(c, q.title+" "+u.Username) }
	return s.confirmFirst(c, q, func() error {
		err := s.users.SetActive(c.Request().Context(), actor(c), u.ID, active)
		status := http.StatusUnprocessableEntity
		switch apikey.ErrorCode(err) {
		case "":
			return s.done(c, done, returnTo(c, "/users"))
		case apikey.ECONFLICT: // such as the last Global Admin
			status = http.StatusConflict
		case apikey.EINVALID:
		default:
			return err
		}
		return s.refusedOnUser(c, status, u, apikey.ErrorMessage(err))
	})
}

// refusedOnUser draws user u's edit page with the reason an action on it
// was refused.
func (s *Server) refusedOnUser(c echo.Context, status int, u *apikey.User, refusal string) error {
	f := view.UserRoleForm{Role: string(u.Role), Refusal: refusal}
	if u.Role == apikey.RoleAccountViewer {
		f.Scope.Chosen = scopeChoices(u.RoleAccounts)
	}
	return s.renderUserRole(c, status, u, f)
}

// userDelete removes a user, after asking, and goes back to the users; a
// refusal (yourself, the last Global Admin) comes back on the question.
func (s *Server) userDelete(c echo.Context) error {
	u, err := s.managedUser(c, c.Param("id"))
	if err != nil {
		return err
	}
	q := question{title: "Delete user", unconfirmed: nothingDeleted, q: view.Confirm{
		Message: "Delete the user “" + u.Username + "” (" + u.Role.Label() + ")?",
		Warning: "They can no longer sign in, and their sessions and tokens end at once. This cannot be undone; to stop them for a while, deactivate them instead.",
		Action:  "/users/" + u.ID + "/delete", Button: "Delete " + u.Username, Danger: true, CancelURL: "/users/" + u.ID,
	}}
	q.page = func() view.Page { return s.usersPage(c, "Delete "+u.Username) }
	return s.confirmFirst(c, q, func() error {
		err := s.users.Delete(c.Request().Context(), actor(c), u.ID)
		status := http.StatusUnprocessableEntity
		switch apikey.ErrorCode(err) {
		case "":
			// Not back to the page that asked: the user's own page is gone.
			return s.done(c, "Deleted the user "+u.Username+".", "/users")
		case apikey.ECONFLICT:
			status = http.StatusConflict
		case apikey.EINVALID:
		default:
			return err
		}
		q.q.Refusal = apikey.ErrorMessage(err)
		return s.ask(c, status, q)
	})
}

// firstError gives the messages of errs in field order, for a place with room for one line.
func firstError(errs validate.Errors) string {
	var msgs []string
	for _, f := range errs.Fields() {
		msgs = append(msgs, errs[f])
	}
	return strings.Join(msgs, " ")
}

// accountsNotKept says so when accounts were ticked for a role that does
// not use them: the form keeps them ticked while another role is chosen,
// and they go with it, but not unsaid.
func accountsNotKept(role apikey.Role, ticked []string) string {
	n := len(validate.AccountIDList(ticked))
	switch {
	case role == apikey.RoleAccountViewer || n == 0:
		return ""
	case n == 1:
		return " The account ticked was not kept: only an Account Viewer is limited to chosen accounts."
	}
	return " The " + strconv.Itoa(n) + " accounts ticked were not kept: only an Account Viewer is limited to chosen accounts."
}
