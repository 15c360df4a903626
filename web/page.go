package web

import (
	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// navigation is the side menu; each entry shows only to those who may open it.
var navigation = []struct {
	item view.NavItem
	need apikey.Permission
}{
	{view.NavItem{Section: "api-keys", Label: "API access keys", URL: "/security/api-keys", Group: "Security"}, apikey.ViewApiKey},
	{view.NavItem{Section: "users", Label: "Users", URL: "/users", Group: "Administration"}, apikey.ManageUsers},
}

// page fills the frame every console page shares: who is signed in, what
// they may open, the CSRF token for forms.
func (s *Server) page(c echo.Context, title, section string, crumbs ...view.Crumb) view.Page {
	p := view.Page{Title: title, Section: section, Breadcrumb: crumbs}
	v := visitOf(c)
	if v == nil {
		return p
	}
	p.CSRFToken = v.csrf
	if v.user != nil {
		p.UserName, p.UserRole = v.user.Username, v.user.Role.Label()
	}
	for _, n := range navigation {
		if v.principal.Can(n.need) {
			p.Nav = append(p.Nav, n.item)
		}
	}
	return p
}
