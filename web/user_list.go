package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// userList shows a page of console users.
func (s *Server) userList(c echo.Context) error {
	return s.renderUsers(c)
}

// usersPerPage is how many users a page lists.
const usersPerPage = 50

// renderUsers draws the users page: a row per user, each with the way to
// the user's edit page (userRoleForm), where every change to the user
// starts, as adding one has a page of its own (userNew). The list offers
// no choice of accounts, so it weighs the same however many there are.
func (s *Server) renderUsers(c echo.Context) error {
	ctx := c.Request().Context()
	account, dir, err := s.shownAccount(c)
	if err != nil {
		return err
	}
	page := pageParam(c)
	users, total, err := s.users.Page(ctx, actor(c), apikey.UserQuery{AccountIDs: dir.below(account.ID), Page: page, PerPage: usersPerPage})
	if err != nil {
		return err
	}
	l := view.UserList{Total: total}
	pageURL := func(path string, n int) string {
		v := url.Values{}
		if id := c.QueryParam("account"); id != "" {
			v.Set("account", id)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	l.FirstURL, l.SelfURL, l.NewURL = pageURL("/users", 1), pageURL("/users", page), pageURL("/users/new", 1)
	if page > 1 {
		l.PrevURL = pageURL("/users", page-1)
	}
	if page*usersPerPage < total {
		l.NextURL = pageURL("/users", page+1)
	}
	self := principalOf(c)
	for _, u := range users {
		row := view.UserRow{
			ID: u.ID, Username: u.Username, RoleLabel: u.Role.Label(),
			Account: dir.name(u.AccountID), Active: u.Active, Created: formatDate(u.CreatedAt),
			LastSignIn: "Never", IsSelf: self != nil && self.ID == u.ID,
		}
		if u.Role == apikey.RoleAccountViewer {
			row.Scope = "Sees " + apikey.RoleGrant{Role: u.Role, Accounts: u.RoleAccounts}.ScopeText(dir.name)
		}
		if u.LastSignInAt != nil {
			row.LastSignIn = formatDateTime(*u.LastSignInAt)
		}
		l.Rows = append(l.Rows, row)
	}
	p := s.page(c, "Users", "users", view.Crumb{Label: "Administration"}, view.Crumb{Label: "Users"})
	setAccount(&p, account, dir)
	return render(c, http.StatusOK, view.UserListPage(p, l))
}

// roleOptions are the roles a user may be given.
func roleOptions() []view.Option {
	var out []view.Option
	for _, r := range apikey.Roles {
		out = append(out, view.Option{Value: string(r), Label: r.Label()})
	}
	return out
}

// usersPage is the frame of the pages below the users list.
func (s *Server) usersPage(c echo.Context, title string) view.Page {
	return s.page(c, title, "users", view.Crumb{Label: "Administration"}, view.Crumb{Label: "Users", URL: "/users"}, view.Crumb{Label: title})
}
