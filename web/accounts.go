package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// accountsPerPage is how many accounts a page of the tree lists.
const accountsPerPage = 50

// accountList shows the accounts the visitor may see, as a tree, a page at
// a time; a search by name lists those it finds, in tree order.
func (s *Server) accountList(c echo.Context) error {
	return s.renderAccounts(c, http.StatusOK, view.AccountForm{}, "", "")
}

// renderAccounts draws a page of the tree with the add form as typed and,
// where a change to one account was refused, the reason beside it, on the
// page that holds it. Moving an account has a page of its own
// (accountMoveForm): no row offers a choice of accounts, and with many the
// add form adds below the account shown, so a page weighs the same however
// many accounts there are.
func (s *Server) renderAccounts(c echo.Context, status int, form view.AccountForm, failedID, failure string) error {
	ctx := c.Request().Context()
	account, dir, err := s.shownAccount(c)
	if err != nil {
		return err
	}
	// Opened for one account, the page shows its part of the tree; else
	// every account the visitor may see.
	scoped := c.QueryParam("account") != ""
	p := principalOf(c)
	var inView []treeNode
	var parents []view.Option // where an account may be added
	for _, t := range dir.visible {
		if scoped && !slices.Contains(t.path, account.ID) {
			continue
		}
		inView = append(inView, t)
		if p.CanIn(apikey.ManageUsers, t.path) {
			parents = append(parents, view.Option{Value: t.account.ID, Label: indent(t.depth) + t.account.Name})
		}
	}
	l := view.AccountList{CanManage: p.Can(apikey.ManageUsers), Query: strings.TrimSpace(c.QueryParam("q")), Account: c.QueryParam("account")}
	found := named(inView, l.Query)
	page := pageParam(c)
	if failedID != "" {
		// The refusal shows beside its account: on the page that holds it.
		if i := slices.IndexFunc(found, func(t treeNode) bool { return t.account.ID == failedID }); i >= 0 {
			page = i/accountsPerPage + 1
		}
	}
	page = min(page, max(1, (len(found)+accountsPerPage-1)/accountsPerPage))
	pageURL := pageLink("/accounts", []view.Field{{Name: "account", Value: l.Account}}, l.Query)
	var from, to int
	l.Pages, from, to = pagesOf(len(found), page, accountsPerPage, pageURL)
	l.SelfURL = pageURL(page)
	var shown []string
	for _, t := range found[from:to] {
		shown = append(shown, t.account.ID)
	}
	uses, err := s.accounts.Uses(ctx, shown)
	if err != nil {
		return err
	}
	for _, t := range found[from:to] {
		u := uses[t.account.ID]
		row := view.AccountRow{ID: t.account.ID, Name: t.account.Name, Depth: t.depth, Keys: u.Keys, Users: u.Users,
			Children: u.Children, Created: formatDate(t.account.CreatedAt), IsRoot: t.account.ParentID == "",
			KeysURL: "/security/api-keys?account=" + url.QueryEscape(t.account.ID), MoveURL: "/accounts/" + t.account.ID + "/move",
			DeleteURL: "/accounts/" + t.account.ID + "/delete?" + url.Values{"return": {l.SelfURL}}.Encode()}
		if l.Query != "" {
			row.Depth = 0
			if dir.seen[t.account.ParentID] {
				row.Within = dir.title(t.account.ParentID)
			}
		}
		if row.ID == failedID {
			row.Error = failure
		}
		l.Rows = append(l.Rows, row)
	}
	if form.ParentID == "" {
		form.ParentID = account.ID
	}
	form.Parent = accountField(form.ParentID, parents, dir, view.ChooserURL("accounts", account.ID))
	l.Form = form
	pg := s.page(c, "Accounts", "accounts", view.Crumb{Label: "Administration"}, view.Crumb{Label: "Accounts"})
	setAccount(&pg, account, dir)
	return render(c, status, view.AccountsPage(pg, l))
}

// accountField offers the options for one account in a select when there
// are few enough; else the field holds value, said by name, and the header's
// switcher (switchURL) changes the account shown, which it defaults to.
func accountField(value string, options []view.Option, dir accountDirectory, switchURL string) view.AccountField {
	if len(options) <= selectMax {
		return view.AccountField{Value: value, Options: options}
	}
	return view.AccountField{Value: value, Name: dir.title(value), SwitchURL: switchURL}
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
	if errs, ok := storageError(err); ok {
		form.Errors = errs
		return s.renderAccounts(c, http.StatusServiceUnavailable, form, "", "")
	}
	if f := apikey.ErrorField(err); f != "" {
		form.Errors = map[string]string{f: apikey.ErrorMessage(err)}
		return s.renderAccounts(c, http.StatusUnprocessableEntity, form, "", "")
	}
	if err != nil {
		return err
	}
	return s.done(c, "Added the account “"+a.Name+"” with its predefined keys.", "/security/api-keys?account="+url.QueryEscape(a.ID))
}

// accountDelete removes an account, after asking, with the predefined
// keys that go with it (the question lists them); then goes back to the
// page the button was on. An account that cannot go (users, sub-accounts,
// keys of its own) gets the reason on the question instead of the button,
// and beside the account on its page when posted anyway.
func (s *Server) accountDelete(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	i, ok := dir.at[id]
	if !ok || !dir.seen[id] || !principalOf(c).CanIn(apikey.ManageUsers, dir.tree[i].path) {
		return apikey.Errorf(apikey.ENOTFOUND, "No such account.")
	}
	name := dir.title(id)
	q := question{title: "Delete account", unconfirmed: nothingDeleted, q: view.Confirm{
		Message: "Delete the account “" + name + "”?",
		Warning: "This cannot be undone.",
		Action:  "/accounts/" + id + "/delete", Button: "Delete " + dir.name(id), Danger: true, CancelURL: treePageURL(dir, id),
	}}
	// The keys that go with it: named on the question, counted when done.
	var keys []*apikey.Key
	if !confirmed(c) {
		keys, err = s.accounts.Deletion(ctx, actor(c), id)
		switch apikey.ErrorCode(err) {
		case "":
		case apikey.ECONFLICT:
			q.q.Refusal = apikey.ErrorMessage(err)
		default:
			return err
		}
		if len(keys) > 0 {
			q.q.ItemsLabel = "These keys will be deleted with the account:"
			for _, k := range keys {
				q.q.Items = append(q.q.Items, k.Name)
			}
			q.q.Warning = "Clients that use these keys are refused from the next request on. This cannot be undone."
		}
	}
	q.page = func() view.Page {
		return s.page(c, "Delete "+name, "accounts", view.Crumb{Label: "Administration"}, view.Crumb{Label: "Accounts", URL: "/accounts"}, view.Crumb{Label: "Delete " + name})
	}
	return s.confirmFirst(c, q, func() error {
		keys, _ := s.accounts.Deletion(ctx, actor(c), id) // for the message; Delete decides
		switch err := s.accounts.Delete(ctx, actor(c), id, true); apikey.ErrorCode(err) {
		case "":
			msg := "Deleted the account “" + name + "”."
			switch n := len(keys); n {
			case 0:
			case 1:
				msg = "Deleted the account “" + name + "” with its predefined key “" + keys[0].Name + "”."
			default:
				msg = "Deleted the account “" + name + "” with its " + strconv.Itoa(n) + " predefined keys."
			}
			return s.done(c, msg, returnTo(c, "/accounts"))
		case apikey.ECONFLICT, apikey.EINVALID:
			return s.renderAccounts(c, http.StatusConflict, view.AccountForm{}, id, apikey.ErrorMessage(err))
		default:
			return err
		}
	})
}

// returnTo is where a row's button goes back to: the page it was on (its
// form's "return"), else fallback.
func returnTo(c echo.Context, fallback string) string {
	if r := c.FormValue("return"); r != "" {
		return safeNext(r)
	}
	return fallback
}

// accountMoveForm asks where an account goes, the current parent chosen
// unless parent_id says another.
func (s *Server) accountMoveForm(c echo.Context) error {
	return s.renderMove(c, http.StatusOK, c.QueryParam("parent_id"), nil, "")
}

// accountMove puts an account without keys or users under another parent,
// then shows the page of the tree where it now is. A refusal comes back
// with the parent as chosen: beside the field when about the parent, above
// it when about the account.
func (s *Server) accountMove(c echo.Context) error {
	id, parent := c.Param("id"), c.FormValue("parent_id")
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	if i, ok := dir.at[id]; !ok || dir.tree[i].account.ParentID != parent || !principalOf(c).CanIn(apikey.ManageUsers, dir.tree[i].path) {
		err = s.accounts.Move(c.Request().Context(), actor(c), id, parent)
	} // else it is there already: nothing to change, nothing to record.
	if err == nil {
		if dir, err = s.accountDirectory(c); err != nil {
			return err
		}
		return s.done(c, "Moved “"+dir.name(id)+"” under “"+dir.title(parent)+"”.", treePageURL(dir, id))
	}
	status, field, msg := http.StatusConflict, apikey.ErrorField(err), apikey.ErrorMessage(err)
	switch apikey.ErrorCode(err) {
	case apikey.ENOTFOUND: // the parent chosen is gone; a missing account is not found
		if field != "parent_id" {
			return err
		}
		status = http.StatusUnprocessableEntity
	case apikey.ECONFLICT, apikey.EINVALID:
	default:
		return err
	}
	if field == "parent_id" {
		return s.renderMove(c, status, parent, map[string]string{field: msg}, "")
	}
	return s.renderMove(c, status, parent, nil, msg)
}

// renderMove draws the move page of the account the route names: the
// accounts it may go under are those the visitor manages but itself and
// those below it, offered in a select, or with many, found by name a page at
// a time (each a link back here, that one chosen).
func (s *Server) renderMove(c echo.Context, status int, parent string, errs map[string]string, refusal string) error {
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	id, p := c.Param("id"), principalOf(c)
	i, ok := dir.at[id]
	if !ok || !p.CanIn(apikey.ManageUsers, dir.tree[i].path) {
		return apikey.Errorf(apikey.ENOTFOUND, "No such account.")
	}
	a := dir.tree[i].account
	if a.ParentID == "" {
		return apikey.Errorf(apikey.ECONFLICT, "The root account cannot be moved.")
	}
	if parent == "" {
		parent = a.ParentID
	}
	var places []treeNode
	for _, t := range dir.tree {
		if p.CanIn(apikey.ManageUsers, t.path) && !slices.Contains(t.path, id) {
			places = append(places, t)
		}
	}
	note := func(id string) string {
		if id == a.ParentID {
			return "current parent"
		}
		return ""
	}
	m := view.AccountMove{Name: a.Name, Action: "/accounts/" + id + "/move", CSRFToken: csrfToken(c),
		CancelURL: treePageURL(dir, id), Parent: parent, Errors: errs, Refusal: refusal}
	one := chooseAccount(c, dir, places, "parent_id", parent, m.Action, note)
	if one.choices != nil && isFragmentRequest(c, "account-choices") {
		return render(c, status, view.AccountChoiceList(*one.choices))
	}
	m.Parents, m.ParentName, m.Choices = one.options, one.name, one.choices
	title := "Move " + a.Name
	pg := s.page(c, title, "accounts", view.Crumb{Label: "Administration"}, view.Crumb{Label: "Accounts", URL: "/accounts"}, view.Crumb{Label: title})
	return s.renderDialog(c, status, pg, title, view.AccountMoveBody(m))
}

// oneAccount offers the accounts a field may take: options for a select,
// or with many the chosen one by name and a chooser.
type oneAccount struct {
	options []view.Option
	name    string
	choices *view.AccountChoices
}

// chooseAccount offers places for the form field of the page at action,
// chosen the one chosen: in a select when few (the chosen one first when
// not among them), else by name through a chooser whose rows link back to
// action with that one chosen. note says something of an account, such as
// that it is the current one.
func chooseAccount(c echo.Context, dir accountDirectory, places []treeNode, field, chosen, action string, note func(id string) string) oneAccount {
	var one oneAccount
	if len(places) <= selectMax {
		if !slices.ContainsFunc(places, func(t treeNode) bool { return t.account.ID == chosen }) {
			one.options = append(one.options, view.Option{Value: chosen, Label: dir.title(chosen)})
		}
		for _, t := range places {
			label := indent(t.depth) + t.account.Name
			if n := note(t.account.ID); n != "" {
				label += " (" + n + ")"
			}
			one.options = append(one.options, view.Option{Value: t.account.ID, Label: label})
		}
		return one
	}
	one.name = dir.title(chosen)
	if n := note(chosen); n != "" {
		one.name += " (" + n + ")"
	}
	choices := chooser(c, action, url.Values{field: {chosen}}, dir.byTitle(places), func(t treeNode, here url.Values) view.AccountChoice {
		here.Set(field, t.account.ID)
		return view.AccountChoice{URL: action + "?" + here.Encode(), Label: dir.title(t.account.ID),
			Note: note(t.account.ID), Current: t.account.ID == chosen}
	})
	choices.RowTarget = "#dialog-slot"
	one.choices = &choices
	return one
}

// treePageURL is the page of the whole tree that lists account id, at its row.
func treePageURL(dir accountDirectory, id string) string {
	u := "/accounts"
	if i := slices.IndexFunc(dir.visible, func(t treeNode) bool { return t.account.ID == id }); i >= accountsPerPage {
		u += "?page=" + strconv.Itoa(i/accountsPerPage+1)
	}
	return u + "#account-" + id
}

// predefinedDeactivate switches off the account's predefined keys, as the
// keys page's notice recommends once the account has keys of its own;
// asked first, naming each key, as every client sharing them stops.
func (s *Server) predefinedDeactivate(c echo.Context) error {
	ctx := c.Request().Context()
	account, _, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	list := "/security/api-keys?account=" + url.QueryEscape(account.ID)
	on, err := s.keys.ActivePredefined(ctx, actor(c), account.ID)
	if err != nil {
		return err
	}
	if len(on) == 0 && !confirmed(c) {
		return redirect(c, list) // nothing left to ask about
	}
	names := make([]string, len(on))
	for i, k := range on {
		names[i] = k.Name
	}
	q := question{title: "Deactivate predefined keys", q: view.Confirm{
		Message: "Deactivate " + countOf(len(on), "predefined key") + " of " + account.Name + ": " + strings.Join(names, ", ") + "?",
		Warning: "Every client using them stops working from the next request on. Give each app, terminal and extension a key of its own first.",
		Action:  "/security/api-keys/predefined/deactivate?account=" + url.QueryEscape(account.ID),
		Button:  "Deactivate " + countOf(len(on), "key"), Danger: true, CancelURL: list,
	}}
	q.page = func() view.Page { return s.keysPage(c, q.title) }
	return s.confirmFirst(c, q, func() error {
		off, err := s.keys.DeactivatePredefined(ctx, actor(c), account.ID)
		if err != nil {
			return err
		}
		names = names[:0]
		for _, k := range off {
			names = append(names, k.Name)
		}
		msg := "No predefined key of " + account.Name + " was still active."
		if len(off) > 0 {
			msg = "Deactivated " + countOf(len(off), "predefined key") + " of " + account.Name + ": " + strings.Join(names, ", ") + "."
		}
		return s.done(c, msg, list)
	})
}

// countOf says n things: "1 key", "3 keys".
func countOf(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// indent shows depth in a select, where markup cannot.
func indent(depth int) string { return strings.Repeat("\u00a0\u00a0", depth) }
