package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// userList shows every console user and the add-user form.
func (s *Server) userList(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, view.UserForm{}, "", "")
}

// usersPerPage is how many users a page lists.
const usersPerPage = 50

// renderUsers draws the users page, with the add form as typed and, where a
// change to one user was refused, the reason beside that user.
func (s *Server) renderUsers(c echo.Context, status int, form view.UserForm, failedID, failure string) error {
	ctx := c.Request().Context()
	account, _, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	if form.AccountID == "" {
		form.AccountID = account.ID
	}
	l := view.UserList{Form: form, Accounts: dir.options}
	page := 1
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
		page = n
	}
	users, total, err := s.users.Page(ctx, actor(c), apikey.UserQuery{AccountIDs: dir.below(account.ID), Page: page, PerPage: usersPerPage})
	if err != nil {
		return err
	}
	l.Total = total
	pageURL := func(n int) string {
		v := url.Values{}
		if id := c.QueryParam("account"); id != "" {
			v.Set("account", id)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/users"
		}
		return "/users?" + v.Encode()
	}
	l.FirstURL = pageURL(1)
	if page > 1 {
		l.PrevURL = pageURL(page - 1)
	}
	if page*usersPerPage < total {
		l.NextURL = pageURL(page + 1)
	}
	for _, r := range apikey.Roles {
		l.Roles = append(l.Roles, view.Option{Value: string(r), Label: r.Label()})
	}
	self := principalOf(c)
	for _, u := range users {
		row := view.UserRow{
			ID: u.ID, Username: u.Username, Role: string(u.Role), RoleLabel: u.Role.Label(),
			Account: dir.name(u.AccountID), Active: u.Active, Created: formatDate(u.CreatedAt),
			LastSignIn: "Never", IsSelf: self != nil && self.ID == u.ID,
		}
		if u.Role == apikey.RoleAccountViewer {
			row.RoleAccounts = scopeChoices(u.RoleAccounts)
			row.Scope = "Sees " + apikey.RoleGrant{Role: u.Role, Accounts: u.RoleAccounts}.ScopeText(dir.name)
		}
		if u.LastSignInAt != nil {
			row.LastSignIn = formatDateTime(*u.LastSignInAt)
		}
		if u.ID == failedID {
			row.Error = failure
		}
		l.Rows = append(l.Rows, row)
	}
	p := s.page(c, "Users", "users", view.Crumb{Label: "Administration"}, view.Crumb{Label: "Users"})
	setAccount(&p, account, dir)
	return render(c, status, view.UserListPage(p, l))
}
