package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// apiKeyList shows the keys of an account: the whole page, or only the table
// when htmx asks for it after a search, filter, sort or page change.
func (s *Server) apiKeyList(c echo.Context) error {
	ctx := c.Request().Context()
	account, path, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	now := s.now()
	q, kq := keyListQuery(c, now)
	whole := !isFragmentRequest(c, "key-list") // else the panel stays as it was
	// The page's reads do not depend on each other: made at once, the page
	// waits for the longest of them, not for their sum.
	var (
		page       apikey.KeyPage
		dir        accountDirectory
		predefined []*apikey.Key
		counts     []apikey.AttentionCount
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		// An account's list holds its own keys and those of every account
		// above it, which work here too.
		page, err = s.keys.List(gctx, actor(c), account.ID, kq)
		return err
	})
	g.Go(func() (err error) {
		dir, err = s.accountDirectory(c)
		return err
	})
	if whole {
		g.Go(func() (err error) {
			predefined, err = s.keys.ActivePredefined(gctx, actor(c), account.ID)
			return err
		})
		g.Go(func() (err error) {
			counts, err = s.keys.Attention(gctx, actor(c), account.ID, now)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	list := keyListView(page, q, c.QueryParam("account"), now, dir.roleName)
	p := principalOf(c)
	list.CanCreate = p.CanIn(apikey.ModifyApiKey, path)
	list.CanModify = list.CanCreate
	list.RowActions = list.CanModify
	for i, k := range page.Keys {
		r := &list.Rows[i]
		if k.AccountID != account.ID {
			r.InheritedFrom = dir.name(k.AccountID)
			r.URL += "?account=" + url.QueryEscape(account.ID) // opened read-only, in this account
			continue
		}
		r.Selectable = true
		r.CanEdit, r.CanDelete = list.CanModify, p.CanIn(apikey.DeleteApiKey, path)
		if r.CanRegenerate, err = s.keys.CanRegenerate(ctx, p, k, path); err != nil {
			return err
		}
		list.RowActions = list.RowActions || r.HasMenu()
	}
	list.CSRFToken = csrfToken(c)
	list.SelfURL = keyListURL(q, c.QueryParam("account"), nil)
	showingAttention(&list, q, c.QueryParam("account"), s.keys.JWTOfflineLimit())
	list.AttentionError = q.Errors["attention"]
	status := http.StatusOK
	if list.AttentionError != "" {
		status = http.StatusBadRequest
	}
	if list.Bulk, err = s.keyBulkBar(c, account.ID, path, page, list); err != nil {
		return err
	}
	if list.Bulk != nil && list.AttentionError != "" {
		list.Bulk.AllMatching = 0 // a refused filter matches nothing to act on
	}
	list.TestURL = "/security/api-keys/test?account=" + url.QueryEscape(account.ID)
	list.NewURL = "/security/api-keys/new"
	if id := c.QueryParam("account"); id != "" {
		list.NewURL += "?account=" + url.QueryEscape(id)
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if !whole {
		return render(c, status, view.KeyListTable(list))
	}
	list.PredefinedActive = len(predefined)
	list.PredefinedURL = "/security/api-keys/predefined/deactivate?account=" + url.QueryEscape(account.ID)
	attentionPanel(&list, counts, c.QueryParam("account"), s.keys.JWTOfflineLimit(), list.CanModify && list.PredefinedActive > 0)
	pg := s.page(c, "API access keys", "api-keys", view.Crumb{Label: "Security"}, view.Crumb{Label: "API access keys"})
	setAccount(&pg, account, dir)
	return render(c, status, view.KeyListPage(pg, list))
}

// keyListQuery reads the list's query parameters: as the list shows them,
// and as the keys service selects them (bulk actions select with it too).
func keyListQuery(c echo.Context, now time.Time) (validate.KeyList, apikey.KeyQuery) {
	q := validate.KeyListQuery(keyListInput(c))
	return q, *keyQueryOf(q, now)
}

func keyListInput(c echo.Context) validate.KeyListInput {
	return validate.KeyListInput{
		Query: c.QueryParam("q"), Type: c.QueryParam("type"), Status: c.QueryParam("status"),
		Sort: c.QueryParam("sort"), Page: c.QueryParam("page"), Attention: c.QueryParam("attention"),
	}
}

func keyQueryOf(q validate.KeyList, now time.Time) *apikey.KeyQuery {
	return &apikey.KeyQuery{Search: q.Query, Type: q.Type, Status: q.Status, Sort: q.Sort, Page: q.Page, Now: now, Attention: q.Attention}
}

// isFragmentRequest tells whether htmx asked to swap only the element with
// the given id. History restores want the whole page.
func isFragmentRequest(c echo.Context, target string) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-History-Restore-Request") != "true" && h.Get("HX-Target") == target
}

// currentAccount is the account a page shows, and its path to the root:
// ?account=ID, else the account last chosen in this session, else the
// signed-in principal's home account. An account asked for that the
// principal may not view is refused (403) whether or not it exists, so ids
// cannot be probed; one chosen earlier that is gone or out of reach now is
// forgotten. A good ?account=ID becomes the session's choice, so that it
// stays through every link, redirect and form until changed.
func (s *Server) currentAccount(c echo.Context) (*apikey.Account, []string, error) {
	ctx := c.Request().Context()
	p, v := principalOf(c), visitOf(c)
	id := c.QueryParam("account")
	if id == "" && v != nil && v.account != "" {
		path, err := s.accounts.Path(ctx, v.account)
		if err != nil {
			return nil, nil, err
		}
		if len(path) > 0 && p.CanIn(apikey.ViewApiKey, path) {
			a, err := s.accounts.Get(ctx, v.account)
			return a, path, err
		}
		v.account = ""
		if err := s.saveVisit(c, v); err != nil {
			return nil, nil, err
		}
	}
	if id == "" {
		var err error
		if id, err = s.homeAccount(c, p); err != nil {
			return nil, nil, err
		}
	}
	path, err := s.accounts.Path(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if len(path) == 0 && p.CanIn(apikey.ViewApiKey, []string{id}) {
		return nil, nil, apikey.Errorf(apikey.ENOTFOUND, "No such account.")
	}
	if !p.CanIn(apikey.ViewApiKey, path) {
		return nil, nil, echo.ErrForbidden
	}
	a, err := s.accounts.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if v != nil && v.sessionID != "" && c.QueryParam("account") != "" && v.account != id {
		v.account = id
		if err := s.saveVisit(c, v); err != nil {
			return nil, nil, err
		}
	}
	return a, path, nil
}

// keyListURL builds a list URL for the query q with some parameters changed.
func keyListURL(q validate.KeyList, account string, change func(v url.Values)) string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("account", account)
	set("q", q.Query)
	set("type", string(q.Type))
	set("status", string(q.Status))
	set("attention", string(q.Attention))
	if q.Sort != apikey.SortByName {
		set("sort", q.Sort)
	}
	if q.Page > 1 {
		set("page", strconv.Itoa(q.Page))
	}
	if change != nil {
		change(v)
	}
	if len(v) == 0 {
		return "/security/api-keys"
	}
	return "/security/api-keys?" + v.Encode()
}

func keyListView(page apikey.KeyPage, q validate.KeyList, account string, now time.Time, roleAccount func(string) string) view.KeyList {
	l := view.KeyList{
		Total:    page.Total,
		MoreThan: page.MoreThan,
		Filtered: q.Query != "" || q.Type != "" || q.Status != "" || q.Attention != "",
		ClearURL: keyListURL(validate.KeyList{Sort: q.Sort}, account, nil),
		Filter: view.KeyFilter{
			Query: q.Query, Type: string(q.Type), Status: string(q.Status), Account: account, Attention: string(q.Attention),
		},
		PastEnd: page.Total > 0 && len(page.Keys) == 0,
	}
	l.FirstURL = keyListURL(q, account, func(v url.Values) { v.Del("page") })
	if q.Sort != apikey.SortByName {
		l.Filter.Sort = q.Sort
	}
	for _, t := range apikey.Types {
		l.Filter.Types = append(l.Filter.Types, view.Option{Value: string(t), Label: t.Label()})
	}
	for _, st := range apikey.Statuses {
		l.Filter.Statuses = append(l.Filter.Statuses, view.Option{Value: string(st), Label: statusLabel(st)})
	}
	for _, col := range []struct{ label, sort string }{
		{"Name", apikey.SortByName}, {"Created", apikey.SortByCreated},
		{"Expires", apikey.SortByExpires}, {"Last used", apikey.SortByLastUsed},
	} {
		c := view.SortColumn{Label: col.label}
		next := col.sort
		switch q.Sort {
		case col.sort:
			c.Sort, next = "ascending", "-"+col.sort
		case "-" + col.sort:
			c.Sort = "descending"
		}
		c.URL = keyListURL(q, account, func(v url.Values) {
			v.Del("page")
			if next == apikey.SortByName {
				v.Del("sort")
			} else {
				v.Set("sort", next)
			}
		})
		l.Columns = append(l.Columns, c)
	}
	for _, k := range page.Keys {
		l.Rows = append(l.Rows, keyRow(k, now, roleAccount))
	}
	if n := len(page.Keys); n > 0 {
		l.From = (page.Page-1)*page.PerPage + 1
		l.To = l.From + n - 1
	}
	pageURL := func(n int) string {
		return keyListURL(q, account, func(v url.Values) {
			if n > 1 {
				v.Set("page", strconv.Itoa(n))
			} else {
				v.Del("page")
			}
		})
	}
	if page.Page > 1 {
		l.PrevURL = pageURL(page.Page - 1)
	}
	if page.Page < page.Pages() || page.MoreThan && len(page.Keys) == page.PerPage {
		l.NextURL = pageURL(page.Page + 1)
	}
	return l
}

func keyRow(k *apikey.Key, now time.Time, roleAccount func(string) string) view.KeyRow {
	r := view.KeyRow{
		ID: k.ID, URL: "/security/api-keys/" + url.PathEscape(k.ID),
		Name: k.Name, KeyHint: apikey.KeyHint(k.DisplayPrefix), Type: k.Type.Label(),
		Created: formatDate(k.CreatedAt), CreatedTitle: formatDateTime(k.CreatedAt),
		Expires: "Never", LastUsed: "Never", LastUsedFrom: k.LastUsedFrom, Active: k.Active,
	}
	for _, g := range k.Roles {
		r.Roles = append(r.Roles, g.Text(roleAccount))
	}
	if k.ExpiresAt != nil {
		r.Expires = formatDate(*k.ExpiresAt)
	}
	if k.LastUsedAt != nil {
		r.LastUsed = formatDateTime(*k.LastUsedAt)
	}
	r.Status, r.StatusTone = keyStatus(k, now)
	return r
}

// homeAccount is where a principal's pages open: its own account, unless
// its only role is limited to other accounts.
func (s *Server) homeAccount(c echo.Context, p *apikey.Principal) (string, error) {
	path, err := s.accounts.Path(c.Request().Context(), p.AccountID)
	if err != nil {
		return "", err
	}
	if p.CanIn(apikey.ViewApiKey, path) {
		return p.AccountID, nil
	}
	for _, g := range p.Grants {
		if g.Role.Has(apikey.ViewApiKey) && len(g.Accounts) > 0 {
			return g.Accounts[0], nil
		}
	}
	return p.AccountID, nil
}
