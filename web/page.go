package web

import (
	"slices"
	"strings"

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
	{view.NavItem{Section: "audit", Label: "Audit log", URL: "/security/audit", Group: "Security"}, apikey.ViewAudit},
	{view.NavItem{Section: "accounts", Label: "Accounts", URL: "/accounts", Group: "Administration"}, apikey.ViewApiKey},
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
	p.CSRFToken = csrfToken(c)
	if v.user != nil {
		p.UserName, p.UserRole = v.user.Username, v.user.Role.Label()
	}
	p.Nav = navFor(v.principal)
	p.Flashes = s.takeFlashes(c)
	return p
}

// navFor is the side menu as p may use it.
func navFor(p *apikey.Principal) []view.NavItem {
	var nav []view.NavItem
	for _, n := range navigation {
		if p.Can(n.need) {
			nav = append(nav, n.item)
		}
	}
	return nav
}

// shownAccount is the account a page shows (currentAccount) and the
// directory of the accounts the visitor may see.
func (s *Server) shownAccount(c echo.Context) (*apikey.Account, accountDirectory, error) {
	account, _, err := s.currentAccount(c)
	if err != nil {
		return nil, accountDirectory{}, err
	}
	dir, err := s.accountDirectory(c)
	return account, dir, err
}

// accountDirectory is what pages need to show accounts: the ones the
// visitor may see, as a tree of choices, and every account's name by id.
type accountDirectory struct {
	options []view.Option
	visible []treeNode      // the accounts of options, as nodes
	seen    map[string]bool // the ids of visible
	names   map[string]string
	tree    []treeNode
	at      map[string]int // each account's place in tree
}

// below lists the account id and every account under it: what a page
// showing that account covers.
func (d accountDirectory) below(id string) []string {
	var out []string
	for _, t := range d.tree {
		if slices.Contains(t.path, id) {
			out = append(out, t.account.ID)
		}
	}
	return out
}

// name is the account's name, or its id when it is gone.
func (d accountDirectory) name(id string) string {
	if n, ok := d.names[id]; ok {
		return n
	}
	return id
}

// roleName names an account a key's role names: by name when the visitor
// may see it, else apikey.AnotherAccount (neither its name nor its id).
func (d accountDirectory) roleName(id string) string {
	if !d.seen[id] {
		return apikey.AnotherAccount
	}
	return d.name(id)
}

// title names an account where a list shows it out of the tree: the names
// from the top down to it ("Vendor › Customer"), so accounts of one name
// under different parents are told apart. The root is left out, as are
// the accounts above that the visitor may not see.
func (d accountDirectory) title(id string) string {
	i, ok := d.at[id]
	if !ok || !d.seen[id] {
		return id + " (no such account)"
	}
	path := d.tree[i].path
	if len(path) == 1 {
		return d.names[id]
	}
	var names []string
	for _, a := range slices.Backward(path[:len(path)-1]) {
		if d.seen[a] {
			names = append(names, d.names[a])
		}
	}
	return strings.Join(names, " › ")
}

// byTitle orders nodes by their titles, as lists out of the tree show them.
func (d accountDirectory) byTitle(nodes []treeNode) []treeNode {
	titles := make(map[string]string, len(nodes))
	for _, t := range nodes {
		titles[t.account.ID] = strings.ToLower(d.title(t.account.ID))
	}
	out := slices.Clone(nodes)
	slices.SortStableFunc(out, func(a, b treeNode) int { return strings.Compare(titles[a.account.ID], titles[b.account.ID]) })
	return out
}

// named keeps the nodes whose account name holds q, in any case; all of
// them when q is empty.
func named(nodes []treeNode, q string) []treeNode {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nodes
	}
	var out []treeNode
	for _, t := range nodes {
		if strings.Contains(strings.ToLower(t.account.Name), q) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) accountDirectory(c echo.Context) (accountDirectory, error) {
	t, err := s.trees.get(c.Request().Context(), s.accounts)
	if err != nil {
		return accountDirectory{}, err
	}
	dir := accountDirectory{names: t.names, tree: t.nodes, at: t.at, seen: map[string]bool{}}
	visitor := principalOf(c)
	for i, n := range t.nodes {
		if visitor.CanIn(apikey.ViewApiKey, n.path) {
			dir.options = append(dir.options, view.Option{Value: n.account.ID, Label: t.labels[i]})
			dir.visible, dir.seen[n.account.ID] = append(dir.visible, n), true
		}
	}
	return dir, nil
}

// treeNode is an account with its place in the tree.
type treeNode struct {
	account apikey.Account
	path    []string // the account, then each one above it
	depth   int
}

// accountTree orders accounts depth-first, parents before children.
func accountTree(accounts []apikey.Account) []treeNode {
	children := map[string][]apikey.Account{}
	for _, a := range accounts {
		children[a.ParentID] = append(children[a.ParentID], a)
	}
	var out []treeNode
	var walk func(parent string, path []string)
	walk = func(parent string, path []string) {
		for _, a := range children[parent] {
			p := append([]string{a.ID}, path...)
			out = append(out, treeNode{account: a, path: p, depth: len(path)})
			walk(a.ID, p)
		}
	}
	walk("", nil)
	return out
}
