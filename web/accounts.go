package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// accountList shows the accounts the visitor may see, as a tree.
func (s *Server) accountList(c echo.Context) error {
	return s.renderAccounts(c, http.StatusOK, view.AccountForm{}, "", "")
}

func (s *Server) renderAccounts(c echo.Context, status int, form view.AccountForm, failedID, failure string) error {
	ctx := c.Request().Context()
	account, dir, err := s.shownAccount(c)
	if err != nil {
		return err
	}
	// Opened for one account, the page shows its part of the tree; else
	// every account the visitor may see.
	var shown []string
	if c.QueryParam("account") != "" {
		shown = dir.below(account.ID)
	}
	if form.ParentID == "" {
		form.ParentID = account.ID
	}
	uses, err := s.accounts.Uses(ctx)
	if err != nil {
		return err
	}
	p := principalOf(c)
	l := view.AccountList{Form: form, CanManage: p.Can(apikey.ManageUsers)}
	for _, t := range dir.tree {
		if !p.CanIn(apikey.ViewApiKey, t.path) || shown != nil && !slices.Contains(shown, t.account.ID) {
			continue
		}
		u := uses[t.account.ID]
		row := view.AccountRow{ID: t.account.ID, Name: t.account.Name, Depth: t.depth, Keys: u.Keys, Users: u.Users,
			Children: u.Children, Created: formatDate(t.account.CreatedAt), IsRoot: t.account.ParentID == "",
			KeysURL: "/security/api-keys?account=" + url.QueryEscape(t.account.ID)}
		if row.ID == failedID {
			row.Error = failure
		}
		l.Rows = append(l.Rows, row)
		if p.CanIn(apikey.ManageUsers, t.path) {
			l.Parents = append(l.Parents, view.Option{Value: t.account.ID, Label: indent(t.depth) + t.account.Name})
		}
	}
	pg := s.page(c, "Accounts", "accounts", view.Crumb{Label: "Administration"}, view.Crumb{Label: "Accounts"})
	setAccount(&pg, account, dir)
	return render(c, status, view.AccountsPage(pg, l))
}

// accountCreate adds an account with its predefined keys.
func (s *Server) accountCreate(c echo.Context) error {
	form := view.AccountForm{Name: c.FormValue("name"), ParentID: c.FormValue("parent_id")}
	name, parent, errs := validate.NewAccount(form.Name, form.ParentID)
	if errs.Any() {
		form.Errors = errs
		return s.renderAccounts(c, http.StatusUnprocessableEntity, form, "", "")
	}
	a, err := s.accounts.Create(c.Request().Context(), actor(c), name, parent)
	if f := apikey.ErrorField(err); f != "" {
		form.Errors = map[string]string{f: apikey.ErrorMessage(err)}
		return s.renderAccounts(c, http.StatusUnprocessableEntity, form, "", "")
	}
	if err != nil {
		return err
	}
	return redirect(c, "/security/api-keys?account="+url.QueryEscape(a.ID))
}

// accountDelete removes an empty account; the reason it cannot shows beside it.
func (s *Server) accountDelete(c echo.Context) error {
	id := c.Param("id")
	return s.accountChanged(c, id, s.accounts.Delete(c.Request().Context(), actor(c), id))
}

// accountMove puts an account without keys or users under another parent.
func (s *Server) accountMove(c echo.Context) error {
	return s.accountChanged(c, c.Param("id"), s.accounts.Move(c.Request().Context(), actor(c), c.Param("id"), c.FormValue("parent_id")))
}

func (s *Server) accountChanged(c echo.Context, id string, err error) error {
	switch apikey.ErrorCode(err) {
	case "":
		return redirect(c, "/accounts")
	case apikey.ECONFLICT, apikey.EINVALID:
		return s.renderAccounts(c, http.StatusConflict, view.AccountForm{}, id, apikey.ErrorMessage(err))
	}
	return err
}

// predefinedDeactivate switches off the account's predefined keys, as the
// keys page's notice recommends once the account has keys of its own.
func (s *Server) predefinedDeactivate(c echo.Context) error {
	account, _, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	if _, err := s.keys.DeactivatePredefined(c.Request().Context(), actor(c), account.ID); err != nil {
		return err
	}
	return redirect(c, "/security/api-keys?account="+url.QueryEscape(account.ID))
}

// indent shows depth in a select, where markup cannot.
func indent(depth int) string { return strings.Repeat("\u00a0\u00a0", depth) }
