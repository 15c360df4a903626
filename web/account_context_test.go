package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"keyconsole/internal/apikey"
)

// headerAccountOf is the account a page's header says it shows: the one
// chosen in the switcher's select, or the one named when there is none.
func headerAccountOf(doc *goquery.Document) string {
	if v, ok := doc.Find(`#account-switch option[selected]`).Attr("value"); ok {
		return v
	}
	return strings.TrimSpace(doc.Find(`[data-testid="current-account"]`).Text())
}

// accountWalk is a client that has chosen an account in the header and
// checks, on every page it reaches, that the account is still the one.
type accountWalk struct {
	t       *testing.T
	c       *client
	account string
}

// page gets path, following redirects, and fails unless the page it ends
// on shows the chosen account; it returns that page.
func (w *accountWalk) page(path string) *goquery.Document {
	w.t.Helper()
	for range 5 {
		res, body := w.c.get(w.t, path)
		if res.StatusCode/100 == 3 {
			path = res.Header.Get("Location")
			continue
		}
		if res.StatusCode != http.StatusOK {
			w.t.Fatalf("GET %s: %d %.300s", path, res.StatusCode, body)
		}
		doc := parseHTML(w.t, body)
		if got := headerAccountOf(doc); got != w.account {
			w.t.Fatalf("GET %s shows account %q, not the chosen %q", path, got, w.account)
		}
		// The switcher works without JavaScript: its select has a Go button.
		if doc.Find(`#account-switch`).Length() != 0 && doc.Find(`[data-testid="account-switcher"] button[type="submit"]`).Length() == 0 {
			w.t.Fatalf("GET %s: no account switcher without JavaScript", path)
		}
		return doc
	}
	w.t.Fatalf("GET %s: too many redirects", path)
	return nil
}

// submit posts a page's form as a browser without JavaScript would, with
// some fields changed, and follows where the answer sends the browser.
func (w *accountWalk) submit(doc *goquery.Document, form, button string, set url.Values) (*http.Response, string) {
	w.t.Helper()
	f := doc.Find(form)
	if f.Length() != 1 {
		w.t.Fatalf("no form %s in %.3000s", form, doc.Find("main").Text())
	}
	action, _ := f.Attr("action")
	v := formValues(f)
	if button != "" {
		b := doc.Find(button)
		action, _ = b.Attr("formaction")
		if name, ok := b.Attr("name"); ok {
			v.Set(name, b.AttrOr("value", "")) // the button's own field
		}
	}
	for k, vals := range set {
		v[k] = vals
	}
	return w.c.postRaw(w.t, action, v)
}

// followed checks the answer to a post sends the browser on, and that the
// page there still shows the chosen account.
func (w *accountWalk) followed(res *http.Response, body string) *goquery.Document {
	w.t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("post answered %d, not a redirect: %.300s", res.StatusCode, body)
	}
	return w.page(res.Header.Get("Location"))
}

// links lists where a page leads with a GET: its links and its GET forms,
// as submitted. A link naming another account is a choice of that account,
// not a way the chosen one could slip, and is left out.
func (w *accountWalk) links(doc *goquery.Document) []string {
	var out []string
	add := func(u string) {
		p, err := url.Parse(u)
		if err != nil || p.Host != "" || !strings.HasPrefix(p.Path, "/") || strings.HasPrefix(p.Path, "/static/") || strings.HasSuffix(p.Path, ".csv") {
			return
		}
		if a := p.Query().Get("account"); a != "" && a != w.account {
			return
		}
		out = append(out, u)
	}
	for _, a := range doc.Find("a[href]").EachIter() {
		href, _ := a.Attr("href")
		add(href)
	}
	for _, f := range doc.Find(`form[method="get"]`).EachIter() {
		action, _ := f.Attr("action")
		add(action + "?" + formValues(f).Encode())
	}
	return out
}

// TestChosenAccountStays: an account chosen in the header stays chosen on
// every page the console leads to: side menu, logo, breadcrumbs, tabs,
// pagination, filters, the dialogs opened as pages and their Cancel links,
// and after every change a form makes.
func TestChosenAccountStays(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	ts.addKey(t, "root key")
	ts.addKey(t, "vendor key", inAccount(tr.vendor))
	for i := range apikey.DefaultPerPage + 2 {
		ts.addKey(t, fmt.Sprintf("customer key %02d", i), inAccount(tr.customer))
	}
	w := &accountWalk{t: t, c: ts.signIn(t, "admin", "pw-admin-long-enough")}
	w.account = ts.root
	w.page("/security/api-keys")

	// Chosen in the header (its form, as without JavaScript).
	doc := w.page("/security/api-keys")
	w.account = tr.customer
	doc = w.page(doc.Find(`[data-testid="account-switcher"]`).AttrOr("action", "") + "?account=" + tr.customer)

	// Add a key: the dialog says where, and the key lands there.
	doc = w.page("/security/api-keys/new")
	if title := doc.Find("h1, h2").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "Add key")
	}).First().Text(); strings.TrimSpace(title) != "Add key to Customer" {
		t.Errorf("the add dialog is titled %q", title)
	}
	res, body := w.submit(doc, `[data-testid="key-form"]`, "", url.Values{"name": {"added here"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %.300s", res.StatusCode, body)
	}
	shown := parseHTML(t, body)
	if got := headerAccountOf(shown); got != tr.customer {
		t.Errorf("the secret's page shows account %q", got)
	}
	keyPath := shown.Find(`a:contains("View key")`).AttrOr("href", "")
	k, err := ts.db.Key(context.Background(), strings.TrimPrefix(keyPath, "/security/api-keys/"))
	if err != nil || k.AccountID != tr.customer {
		t.Fatalf("the key added in Customer: %v, in %q", err, k.AccountID)
	}
	doc = w.page(shown.Find(`[data-testid="secret-done"]`).AttrOr("href", ""))
	if !slices.Contains(rowNames(doc), "added here") {
		t.Errorf("Done shows %v", rowNames(doc))
	}

	// Every way on, from every page reached, a few steps deep.
	seen := map[string]bool{}
	queue := []string{"/", "/security/api-keys", keyPath, keyPath + "/edit", keyPath + "/regenerate", keyPath + "/delete",
		"/security/audit", "/accounts", "/users", "/users/new", "/account/password", "/accounts/switch?section=users"}
	for len(queue) > 0 && len(seen) < 400 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		for _, l := range w.links(w.page(path)) {
			if !seen[l] {
				queue = append(queue, l)
			}
		}
	}
	for _, want := range []string{"/security/api-keys?page=2", "/security/audit", "/accounts", "/users", "/security/api-keys/new"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(seen)), func(p string) bool { return strings.HasPrefix(p, want) }) {
			t.Errorf("the walk never reached %s", want)
		}
	}

	// After each change, the page the console goes to keeps the account.
	doc = w.page(keyPath + "/edit")
	w.followed(w.submit(doc, `[data-testid="key-form"]`, "", url.Values{"allowed_ips": {"10.0.0.0/8"}}))
	doc = w.page("/security/api-keys?q=added+here")
	doc = w.page(doc.Find(`[data-testid="key-row"] [data-testid="deactivate-key"]`).AttrOr("href", ""))
	w.followed(w.submit(doc, `[data-testid="confirm-form"]`, "", nil))
	doc = w.page("/security/api-keys?q=added+here")
	w.followed(w.submit(doc, "#row-action", `[data-testid="key-row"] [data-testid="activate-key"]`, nil))
	doc = w.page(keyPath + "/regenerate")
	res, body = w.submit(doc, `dialog form[method="post"], .dialog-page form[method="post"], main form[method="post"]`, "", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("regenerate: %d %.300s", res.StatusCode, body)
	}
	w.page(parseHTML(t, body).Find(`[data-testid="secret-done"]`).AttrOr("href", ""))
	doc = w.page(keyPath + "/delete")
	w.followed(w.submit(doc, `main form[method="post"]`, "", nil))

	doc = w.page("/users/new")
	doc = w.followed(w.submit(doc, `[data-testid="user-form"]`, "", url.Values{"username": {"berlin.ops"}, "password": {"a-password-long-enough"}, "role": {string(apikey.RoleGlobalViewer)}}))
	u, err := ts.db.UserByName(context.Background(), "berlin.ops")
	if err != nil || u.AccountID != tr.customer {
		t.Fatalf("the user added in Customer: %v", err)
	}
	doc = w.page("/users/" + u.ID)
	w.followed(w.submit(doc, `[data-testid="role-form"]`, "", nil))

	// A new account goes under the chosen one unless changed, and is a
	// choice of its own: the console opens it.
	doc = w.page("/accounts")
	res, body = w.submit(doc, `[data-testid="account-form"]`, "", url.Values{"name": {"Customer branch"}})
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || loc == nil {
		t.Fatalf("account create: %d %.300s", res.StatusCode, body)
	}
	if a, err := ts.db.Account(context.Background(), loc.Query().Get("account")); err != nil || a.ParentID != tr.customer || a.Name != "Customer branch" {
		t.Fatalf("the account added from Customer: %+v %v", a, err)
	}
	w.account = loc.Query().Get("account")
	w.page(loc.String())
	w.page("/users")

	// Signing in again starts in one's own account.
	doc = w.page("/users")
	res, _ = w.submit(doc, `form[action="/logout"]`, "", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	if res, _ := w.c.tryLogin(t, "admin", "pw-admin-long-enough"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	w.account = ts.root
	w.page("/security/api-keys")
}

// TestBrowserChosenAccountStays: in Chromium, an account chosen in the
// header stays through the side menu, the add dialog (which names it) and
// Done, and the key lands in it.
func TestBrowserChosenAccountStays(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/security/api-keys")
	b.switchAccount(tr.customer)
	shows := func(where string) {
		t.Helper()
		if got := run(b, chromedp.Value(chromedp.ID("account-switch"))); got != tr.customer {
			t.Fatalf("%s: the header shows account %q (at %s)", where, got, b.location())
		}
	}
	shows("switched")
	b.navigates(chromedp.Click(chromedp.CSS(`nav.sidenav a[href="/security/audit"]`)))
	shows("audit log from the side menu")
	b.navigates(chromedp.Click(chromedp.CSS(`nav.sidenav a[href="/security/api-keys"]`)))
	shows("keys from the side menu")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
	if title := b.text(openDialog + ` #dialog-title`); title != "Add key to Customer" {
		t.Errorf("the add dialog is titled %q", title)
	}
	b.do(
		chromedp.SendKeys(chromedp.ID("name"), "Customer browser key"),
		chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)),
	)
	b.navigates(chromedp.Click(chromedp.CSS(`[data-testid="secret-done"]`)))
	shows("Done")
	b.waitFor(`[...document.querySelectorAll('[data-testid="key-row"]')].some(r => r.textContent.includes("Customer browser key"))`)
	q := storeQuery(ts, "Customer browser key")
	q.AccountIDs = []string{tr.customer}
	if p, err := ts.db.ListKeys(context.Background(), q); err != nil || len(p.Keys) != 1 || p.Keys[0].AccountID != tr.customer {
		t.Errorf("the key in Customer: %v %v", p, err)
	}
	b.navigates(chromedp.Click(chromedp.CSS(`a.brand`)))
	shows("the logo")
}

// TestChosenAccountOutOfReach: an account chosen earlier that the user may
// no longer see is forgotten: pages open in the user's own again, and the
// account is not shown.
func TestChosenAccountOutOfReach(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	ts.addUser(t, "scoped", apikey.RoleAccountViewer, tr.vendor, tr.other)
	w := &accountWalk{t: t, c: ts.signIn(t, "scoped", "pw-scoped-long-enough"), account: tr.customer}
	w.page("/security/api-keys?account=" + tr.customer)
	w.page("/accounts")
	u, err := ts.db.UserByName(context.Background(), "scoped")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.db.SetUserRole(context.Background(), u.ID, apikey.RoleAccountViewer, []string{tr.other}, nil); err != nil {
		t.Fatal(err)
	}
	w.account = "Other vendor" // the one account left, named in the header
	w.page("/security/api-keys")
	w.page("/accounts")
}
