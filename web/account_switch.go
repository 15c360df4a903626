package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// selectMax is how many accounts a page offers at once, in a select or as
// boxes. Past it, such a list would weigh on the page (a thousand accounts
// are some 60 KB in a select, 100 KB as boxes), so accounts are found by
// name instead: the header's switcher links to the chooser, the move page
// lists new parents a page at a time, the pickers of an Account Viewer's
// accounts search.
const selectMax = 100

// choicesPerPage is how many accounts a chooser lists at a time.
const choicesPerPage = 50

// setAccount says on the page which account it shows, and offers the
// accounts the visitor may switch to: in a select, or through the chooser.
func setAccount(p *view.Page, a *apikey.Account, dir accountDirectory) {
	p.AccountName, p.AccountID = a.Name, a.ID
	if len(dir.options) > selectMax {
		p.ManyAccounts = true
	} else {
		p.Accounts = dir.options
	}
}

// accountSwitch is the account chooser: the accounts the visitor may see
// whose name holds q, a page at a time, each a link to the section the
// visitor came from, in that account.
func (s *Server) accountSwitch(c echo.Context) error {
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	section, target, current := "api-keys", "/security/api-keys", c.QueryParam("account")
	for _, n := range navFor(principalOf(c)) {
		if n.Section == c.QueryParam("section") {
			section, target = n.Section, n.URL
		}
	}
	keep := url.Values{"section": {section}, "account": {current}}
	a := chooser(c, "/accounts/switch", keep, dir.visible, func(t treeNode, _ url.Values) view.AccountChoice {
		return view.AccountChoice{URL: target + "?account=" + url.QueryEscape(t.account.ID), Label: indent(t.depth) + t.account.Name, Current: t.account.ID == current}
	})
	if isFragmentRequest(c, "account-choices") {
		return render(c, http.StatusOK, view.AccountChoiceList(a))
	}
	p := s.page(c, "Switch account", section, view.Crumb{Label: "Switch account"})
	return s.renderDialog(c, http.StatusOK, p, "Switch account", view.AccountChooserBody(a))
}

// chooser lists the nodes whose name holds the query (q), a page (page) at
// a time, each made a row by row. The search and the pages go to action
// with the values of keep (those not empty); row is given the values of
// the page it is on, to link back to it.
func chooser(c echo.Context, action string, keep url.Values, nodes []treeNode, row func(t treeNode, here url.Values) view.AccountChoice) view.AccountChoices {
	a := view.AccountChoices{Action: action, Query: strings.TrimSpace(c.QueryParam("q"))}
	for _, k := range slices.Sorted(maps.Keys(keep)) {
		if v := keep.Get(k); v != "" {
			a.Keep = append(a.Keep, view.Field{Name: k, Value: v})
		}
	}
	link := pageLink(action, a.Keep, a.Query)
	found := named(nodes, a.Query)
	page := pageParam(c)
	var from, to int
	a.Pages, from, to = pagesOf(len(found), page, choicesPerPage, link)
	for _, t := range found[from:to] {
		a.Rows = append(a.Rows, row(t, linkValues(a.Keep, a.Query, page)))
	}
	return a
}
