package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// switcherMax is how many accounts the header's switcher offers in a
// select; past it, a select would weigh on every page (a thousand accounts
// are some 60 KB), so the switcher links to the chooser instead.
const switcherMax = 100

// choicesPerPage is how many accounts the chooser lists at a time.
const choicesPerPage = 50

// setAccount says on the page which account it shows, and offers the
// accounts the visitor may switch to: in a select, or through the chooser.
func setAccount(p *view.Page, a *apikey.Account, dir accountDirectory) {
	p.AccountName, p.AccountID = a.Name, a.ID
	if len(dir.options) > switcherMax {
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
	a := view.AccountChoices{Section: "api-keys", Current: c.QueryParam("account"), Query: strings.TrimSpace(c.QueryParam("q"))}
	target := "/security/api-keys"
	for _, n := range navFor(principalOf(c)) {
		if n.Section == c.QueryParam("section") {
			a.Section, target = n.Section, n.URL
		}
	}
	var found []view.Option
	q := strings.ToLower(a.Query)
	for _, o := range dir.options {
		if strings.Contains(strings.ToLower(o.Label), q) {
			found = append(found, o)
		}
	}
	page := 1
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
		page = n
	}
	a.Total = len(found)
	from := min((page-1)*choicesPerPage, len(found))
	for _, o := range found[from:min(from+choicesPerPage, len(found))] {
		a.Rows = append(a.Rows, view.AccountChoice{URL: target + "?account=" + url.QueryEscape(o.Value), Label: o.Label, Current: o.Value == a.Current})
	}
	a.From, a.To = from+1, from+len(a.Rows)
	pageURL := func(n int) string {
		v := url.Values{"section": {a.Section}}
		set := func(k, val string) {
			if val != "" {
				v.Set(k, val)
			}
		}
		set("account", a.Current)
		set("q", a.Query)
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return "/accounts/switch?" + v.Encode()
	}
	if page > 1 {
		a.PrevURL = pageURL(page - 1)
	}
	if from+choicesPerPage < len(found) {
		a.NextURL = pageURL(page + 1)
	}
	if isFragmentRequest(c, "account-choices") {
		return render(c, http.StatusOK, view.AccountChoiceList(a))
	}
	p := s.page(c, "Switch account", a.Section, view.Crumb{Label: "Switch account"})
	return s.renderDialog(c, http.StatusOK, p, "Switch account", view.AccountChooserBody(a))
}
