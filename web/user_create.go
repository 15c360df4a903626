package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// userNew shows the add-user form, in the account the users page showed.
func (s *Server) userNew(c echo.Context) error {
	return s.renderNewUser(c, http.StatusOK, view.UserForm{})
}

// userCreate adds a console user; a bad form comes back with its errors and
// everything typed but the password.
func (s *Server) userCreate(c echo.Context) error {
	ctx := c.Request().Context()
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	form := view.UserForm{
		Username: params.Get("username"), Role: params.Get("role"),
		AccountID: params.Get("account_id"), Scope: view.AccountPicker{Chosen: scopeChoices(params["role_accounts"])},
	}
	if q, find := pickerFind(c); find {
		form.Scope.Query = q
		if params.Get("password") != "" {
			form.Errors = map[string]string{"password": retype}
		}
		return s.renderNewUser(c, http.StatusOK, form)
	}
	in, errs := validate.NewUser(validate.UserInput{
		Username: form.Username, Password: params.Get("password"), Role: form.Role,
		AccountID: form.AccountID, RoleAccounts: params["role_accounts"],
	})
	if errs.Any() {
		form.Errors = errs
		return s.renderNewUser(c, http.StatusUnprocessableEntity, form)
	}
	switch u, err := s.users.Create(ctx, actor(c), in); apikey.ErrorCode(err) {
	case apikey.EUNAVAILABLE:
		form.Errors, _ = storageError(err)
		return s.renderNewUser(c, http.StatusServiceUnavailable, form)
	case "":
		return s.done(c, "Added the user "+u.Username+" ("+u.Role.Label()+")."+accountsNotKept(u.Role, params["role_accounts"]), "/users")
	case apikey.ECONFLICT:
		form.Errors = map[string]string{"username": apikey.ErrorMessage(err)}
		return s.renderNewUser(c, http.StatusConflict, form)
	case apikey.ENOTFOUND:
		form.Errors = map[string]string{"account_id": apikey.ErrorMessage(err)}
		return s.renderNewUser(c, http.StatusUnprocessableEntity, form)
	case apikey.EINVALID:
		form.Errors = map[string]string{apikey.ErrorField(err): apikey.ErrorMessage(err)}
		return s.renderNewUser(c, http.StatusUnprocessableEntity, form)
	default:
		return err
	}
}

// renderNewUser draws the add-user form as typed.
func (s *Server) renderNewUser(c echo.Context, status int, form view.UserForm) error {
	account, dir, err := s.shownAccount(c)
	if err != nil {
		return err
	}
	if form.AccountID == "" {
		form.AccountID = account.ID
	}
	form.Roles = roleOptions()
	form.Action = "/users/new"
	if id := c.QueryParam("account"); id != "" {
		form.Action += "?account=" + url.QueryEscape(id)
	}
	form.Account = accountField(form.AccountID, dir.options, dir, view.ChooserURL("users", account.ID))
	fillPicker(&form.Scope, dir)
	pg := s.usersPage(c, "Add a user")
	setAccount(&pg, account, dir)
	return render(c, status, view.UserNewPage(pg, form))
}
