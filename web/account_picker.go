package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/web/view"
)

// fillPicker completes an account picker for the accounts of dir: a box
// for each when there are few; else the chosen ones by name, and the
// accounts whose name holds its query, not yet chosen, a page of them.
func fillPicker(p *view.AccountPicker, dir accountDirectory) {
	if len(dir.visible) <= selectMax {
		p.Options = dir.options
		return
	}
	p.Search = true
	for _, id := range p.Chosen {
		if id != view.AllAccountsChoice {
			p.Named = append(p.Named, view.Option{Value: id, Label: dir.title(id)})
		}
	}
	if p.Query == "" {
		return
	}
	var found []view.Option
	for _, t := range dir.byTitle(named(dir.visible, p.Query)) {
		if !slices.Contains(p.Chosen, t.account.ID) {
			found = append(found, view.Option{Value: t.account.ID, Label: dir.title(t.account.ID)})
		}
	}
	_, to := pageBounds(len(found), 1, choicesPerPage)
	p.Found, p.More = found[:to], len(found)-to
}

// pickerFind reads an account picker's search from a posted form: the
// query, and whether the post asks to find accounts rather than to save.
// It does when its Find button was pressed, or when the query is not the
// one whose matches the form shows (without JavaScript, Enter in the search
// field posts the form): the form then comes back as typed, with what the
// search found.
func pickerFind(c echo.Context) (query string, find bool) {
	query = strings.TrimSpace(c.FormValue("role_accounts_q"))
	shown := strings.TrimSpace(c.FormValue("role_accounts_shown"))
	return query, c.FormValue("find") == "role_accounts" || query != "" && query != shown
}

// retype is said beside a secret field when the form comes back to find
// accounts: secrets are never sent back.
const retype = "Type it again: for safety it is not kept when the form comes back."

// accountChoices answers a picker's search as htmx asks while one types:
// the accounts whose name holds the query, those chosen left out.
func (s *Server) accountChoices(c echo.Context) error {
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	p := view.AccountPicker{Chosen: scopeChoices(c.QueryParams()["role_accounts"]), Query: strings.TrimSpace(c.QueryParam("role_accounts_q"))}
	fillPicker(&p, dir)
	return render(c, http.StatusOK, view.AccountMatches(p))
}
