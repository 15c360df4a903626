package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
	"keyconsole/internal/verify"
)

// tree is root → vendor → customer, plus a second vendor beside the first.
type tree struct{ root, vendor, customer, other string }

func threeLevels(t *testing.T, ts *testServer) tree {
	t.Helper()
	ctx := context.Background()
	vendor := &apikey.Account{ParentID: ts.root, Name: "Vendor"}
	other := &apikey.Account{ParentID: ts.root, Name: "Other vendor"}
	for _, a := range []*apikey.Account{vendor, other} {
		if err := ts.db.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	customer := &apikey.Account{ParentID: vendor.ID, Name: "Customer"}
	if err := ts.db.CreateAccount(ctx, customer); err != nil {
		t.Fatal(err)
	}
	return tree{ts.root, vendor.ID, customer.ID, other.ID}
}

func inAccount(id string) func(*apikey.Key) { return func(k *apikey.Key) { k.AccountID = id } }

func TestInheritedKeysInTheList(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	ts.addKey(t, "root key")
	vendorKey, _ := ts.addKey(t, "vendor key", inAccount(tr.vendor))
	ts.addKey(t, "customer key", inAccount(tr.customer))
	ts.addKey(t, "other key", inAccount(tr.other))

	_, body := ts.get(t, "/security/api-keys?account="+tr.customer)
	doc := parseHTML(t, body)
	if got := rowNames(doc); !slices.Equal(got, []string{"customer key", "root key", "vendor key"}) {
		t.Fatalf("customer sees %v", got)
	}
	inherited := map[string]string{}
	doc.Find(`[data-testid="key-row"]`).Each(func(_ int, r *goquery.Selection) {
		inherited[strings.TrimSpace(r.Find(".key-name").Text())] = strings.TrimSpace(r.Find(`[data-testid="inherited"]`).Text())
	})
	if inherited["customer key"] != "" || inherited["vendor key"] != "Inherited from Vendor" || inherited["root key"] != "Inherited from Root" {
		t.Errorf("inherited marks %v", inherited)
	}
	// Inherited rows have no change controls in this account.
	if n := doc.Find(`[data-testid="deactivate-key"]`).Length(); n != 1 {
		t.Errorf("%d status buttons, want 1 (own key only)", n)
	}
	if got := strings.TrimSpace(doc.Find(`[data-testid="current-account"] option[selected]`).Text()); !strings.HasSuffix(got, "Customer") {
		t.Errorf("switcher shows %q", got)
	}
	_, body = ts.get(t, "/security/api-keys?account="+tr.vendor)
	if got := rowNames(parseHTML(t, body)); !slices.Equal(got, []string{"root key", "vendor key"}) {
		t.Fatalf("vendor sees %v", got)
	}

	// An inherited key opens read-only, with the way to its own account.
	href, _ := doc.Find(`[data-key-id="` + vendorKey.ID + `"] .key-name`).Attr("href")
	_, page := ts.get(t, href)
	d := parseHTML(t, page)
	if !strings.Contains(d.Find(`[data-testid="inherited-notice"]`).Text(), "inherited from Vendor") {
		t.Fatalf("no inherited notice at %s", href)
	}
	if d.Find(`[data-testid="key-actions"] a, [data-testid="key-actions"] button`).Length() != 0 {
		t.Error("change controls on an inherited key")
	}
	owner, _ := d.Find(`[data-testid="owner-link"]`).Attr("href")
	_, page = ts.get(t, owner)
	if parseHTML(t, page).Find(`[data-testid="edit-key"]`).Length() != 1 {
		t.Error("no edit control in the key's own account")
	}
}

func TestInheritanceInVerification(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	caller := ts.verifierKey(t)
	_, vendorKey := ts.addKey(t, "vendor key", inAccount(tr.vendor))
	_, customerKey := ts.addKey(t, "customer key", inAccount(tr.customer))
	for _, c := range []struct {
		key, account, want string
	}{
		{vendorKey, tr.vendor, verify.Valid},
		{vendorKey, tr.customer, verify.Valid},  // a vendor key works below
		{vendorKey, tr.root, verify.Forbidden},  // ...not above
		{vendorKey, tr.other, verify.Forbidden}, // ...nor beside
		{customerKey, tr.customer, verify.Valid},
		{customerKey, tr.vendor, verify.Forbidden},
	} {
		if got, _ := ts.verify(t, caller, map[string]any{"key": c.key, "account_id": c.account}); got != c.want {
			t.Errorf("key in %s: %s, want %s", c.account, got, c.want)
		}
	}
}

// Account-scoped roles, on users and on keys alike.
func TestAccountScopedRoles(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	ts.addKey(t, "other key", inAccount(tr.other))
	viewer := ts.signIn(t, "vee", ts.addUser(t, "vee", apikey.RoleAccountViewer, tr.vendor))
	for account, want := range map[string]int{tr.vendor: 200, tr.customer: 200, tr.root: 403, tr.other: 403} {
		if res, _ := viewer.get(t, "/security/api-keys?account="+account); res.StatusCode != want {
			t.Errorf("viewer of Vendor in %s: %d, want %d", account, res.StatusCode, want)
		}
	}
	_, body := viewer.get(t, "/accounts")
	var shown []string
	parseHTML(t, body).Find(`[data-testid="account-row"] strong`).Each(func(_ int, s *goquery.Selection) { shown = append(shown, s.Text()) })
	if !slices.Equal(shown, []string{"Vendor", "Customer"}) {
		t.Errorf("viewer's accounts page %v", shown)
	}

	_, key := ts.addKey(t, "scoped script", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: []string{tr.vendor}}}
	})
	for account, want := range map[string]int{tr.vendor: 200, tr.customer: 200, tr.other: 403} {
		if res, _ := ts.apiCall(t, "GET", "/api/v1/keys?account_id="+account, key, nil); res.StatusCode != want {
			t.Errorf("scoped key in %s: %d, want %d", account, res.StatusCode, want)
		}
	}
	_, out := ts.apiCall(t, "GET", "/api/v1/accounts", key, nil)
	if out["total"] != float64(2) {
		t.Errorf("scoped key sees accounts %v", out)
	}
}

func TestAccountCreationWithPredefinedKeys(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	res, body := ts.admin.post(t, "/accounts", url.Values{"name": {""}, "parent_id": {tr.vendor}})
	if res.StatusCode != 422 || strings.TrimSpace(parseHTML(t, body).Find(`[data-testid="error-name"]`).Text()) == "" {
		t.Fatalf("empty name: %d", res.StatusCode)
	}
	res, _ = ts.admin.post(t, "/accounts", url.Values{"name": {"Shop 17"}, "parent_id": {tr.customer}})
	if res.StatusCode != 303 {
		t.Fatalf("create: %d", res.StatusCode)
	}
	shopURL := res.Header.Get("Location")
	_, page := ts.get(t, shopURL)
	doc := parseHTML(t, page)
	var own []string
	doc.Find(`[data-testid="key-row"]`).Each(func(_ int, r *goquery.Selection) {
		if r.Find(`[data-testid="inherited"]`).Length() == 0 {
			own = append(own, strings.TrimSpace(r.Find(".key-name").Text()))
		}
	})
	if !slices.Equal(own, []string{"Chrome extension key", "Default key for client and gateway", "Embedded terminal key"}) {
		t.Fatalf("predefined keys %v", own)
	}
	if item := doc.Find(`[data-testid="attention-item"][data-rule="predefined"]`); !strings.Contains(item.Text(), "predefined keys still active") ||
		item.Find(`[data-testid="deactivate-predefined"]`).Length() != 1 {
		t.Fatal("no attention line, with its button, while predefined keys are active")
	}
	shop := strings.TrimPrefix(shopURL, "/security/api-keys?account=")
	keys, _ := ts.db.PredefinedKeys(context.Background(), shop)
	for _, k := range keys {
		if k.Name == "Default key for client and gateway" && (!k.AllowUnauthenticated || !k.AllowUntrustedEndpoints || k.Type != apikey.TypeGeneral) {
			t.Errorf("default key settings %+v", k.Settings)
		}
	}
	if res, _ := ts.admin.post(t, "/security/api-keys/predefined/deactivate?account="+shop, yes()); res.StatusCode != 303 {
		t.Fatalf("deactivate predefined: %d", res.StatusCode)
	}
	_, page = ts.get(t, shopURL)
	if parseHTML(t, page).Find(`[data-testid="deactivate-predefined"]`).Length() != 0 {
		t.Error("offered to deactivate after deactivating")
	}

	// Through the API, for Global Admins only.
	_, admin := ts.addKey(t, "admin script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	res2, out := ts.apiCall(t, "POST", "/api/v1/accounts", admin, map[string]any{"name": "API shop", "parent_id": tr.other})
	if res2.StatusCode != 201 || out["id"] == nil || out["parent_id"] != tr.other {
		t.Fatalf("API create: %d %v", res2.StatusCode, out)
	}
	if ks, _ := ts.db.PredefinedKeys(context.Background(), out["id"].(string)); len(ks) != 3 {
		t.Fatalf("API account has %d predefined keys", len(ks))
	}
	res2, out = ts.apiCall(t, "POST", "/api/v1/accounts", admin, map[string]any{"name": "Orphan", "parent_id": "acc_nowhere"})
	if res2.StatusCode != 404 && res2.StatusCode != 422 {
		t.Fatalf("missing parent: %d %v", res2.StatusCode, out)
	}
}

func TestRefusedAccountMovesAndDeletions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	ts.addKey(t, "customer key", inAccount(tr.customer))
	ts.addUser(t, "vendor-user", apikey.RoleSupport)
	u, _ := ts.db.UserByName(context.Background(), "vendor-user")
	ts.db.CreateUser(context.Background(), &apikey.User{AccountID: tr.vendor, Username: "vendor-staff", PasswordHash: u.PasswordHash, Role: apikey.RoleSupport, Active: true, CreatedBy: "t"}, nil)

	cases := []struct {
		path, form, want string
	}{
		{"/accounts/" + tr.customer + "/delete", "", "still has 1 key"},
		{"/accounts/" + tr.vendor + "/delete", "", "1 user and 1 sub-account"},
		{"/accounts/" + tr.customer + "/move", tr.other, "cannot be moved: it still has 1 key"},
		{"/accounts/" + tr.root + "/delete", "", "root account cannot be deleted"},
		// Keys below count too: moving Vendor would move who reaches them.
		{"/accounts/" + tr.vendor + "/move", tr.other, "cannot be moved: it still has 1 user"},
	}
	for _, c := range cases {
		res, body := ts.admin.post(t, c.path, yes("parent_id", c.form))
		msg := parseHTML(t, body).Find(`[data-testid="account-error"]`).Text()
		if res.StatusCode != http.StatusConflict || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %q, want %q", c.path, res.StatusCode, msg, c.want)
		}
	}
	reseller := ts.addAccount(t, "Reseller", "")
	ts.addKey(t, "shop key", inAccount(ts.addAccount(t, "Shop", reseller)))
	if res, body := ts.admin.post(t, "/accounts/"+reseller+"/move", url.Values{"parent_id": {tr.other}}); res.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "Reseller cannot be moved: its sub-accounts still have 1 key") {
		t.Errorf("moving an account whose sub-account has a key: %d", res.StatusCode)
	}
	// An empty account moves, but never under itself.
	empty := &apikey.Account{ParentID: tr.root, Name: "Empty"}
	ts.db.CreateAccount(context.Background(), empty)
	child := &apikey.Account{ParentID: empty.ID, Name: "Empty child"}
	ts.db.CreateAccount(context.Background(), child)
	if res, body := ts.admin.post(t, "/accounts/"+empty.ID+"/move", url.Values{"parent_id": {child.ID}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "under itself") {
		t.Errorf("move under own child: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, "/accounts/"+empty.ID+"/move", url.Values{"parent_id": {tr.other}}); res.StatusCode != 303 {
		t.Errorf("move: %d", res.StatusCode)
	}
	if path, _ := ts.db.AccountPath(context.Background(), child.ID); !slices.Equal(path, []string{child.ID, empty.ID, tr.other, tr.root}) {
		t.Errorf("path after move %v", path)
	}
	ts.admin.post(t, "/accounts/"+child.ID+"/delete", yes())
	if res, _ := ts.admin.post(t, "/accounts/"+empty.ID+"/delete", yes()); res.StatusCode != 303 {
		t.Errorf("delete empty: %d", res.StatusCode)
	}
}

// TestPagesShowTheChosenAccount: the audit log, users and accounts pages
// show the account chosen in the switcher and those below it, say which it
// is, and switch in place.
func TestPagesShowTheChosenAccount(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	for name, account := range map[string]string{"root key": tr.root, "vendor key": tr.vendor, "customer key": tr.customer, "other key": tr.other} {
		if res, _ := ts.admin.post(t, "/security/api-keys?account="+account, createForm(name)); res.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %d", name, res.StatusCode)
		}
	}
	ts.addUser(t, "vendor-staff", apikey.RoleGlobalViewer)
	staff, _ := ts.db.UserByName(context.Background(), "vendor-staff")
	ts.db.CreateUser(context.Background(), &apikey.User{AccountID: tr.customer, Username: "customer-staff", PasswordHash: staff.PasswordHash,
		Role: apikey.RoleSupport, Active: true, CreatedBy: "t"}, nil)

	targets := func(path string) []string {
		t.Helper()
		_, body := ts.get(t, path)
		doc := parseHTML(t, body)
		if got, _ := doc.Find(`[data-testid="account-switcher"]`).Attr("action"); got != strings.Split(path, "?")[0] {
			t.Errorf("%s: the switcher goes to %q", path, got)
		}
		var out []string
		doc.Find(`[data-testid="audit-log-row"] td:nth-child(4) a, [data-testid="user-row"] td:first-child strong, [data-testid="account-row"] td:first-child strong`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, strings.TrimSpace(s.Text()))
		})
		slices.Sort(out)
		return out
	}
	if got := targets("/security/audit?account=" + tr.vendor); !slices.Equal(got, []string{"customer key", "vendor key"}) {
		t.Errorf("vendor's audit log: %v", got)
	}
	// The root's log holds the four keys' events and the admin's sign-in.
	if got := targets("/security/audit?account=" + ts.root); len(got) != 5 || !slices.Contains(got, "admin") {
		t.Errorf("root's audit log: %v", got)
	}
	_, csvBody := ts.get(t, "/security/audit.csv?account="+tr.customer)
	if !strings.Contains(csvBody, "customer key") || strings.Contains(csvBody, "vendor key") {
		t.Errorf("customer's CSV:\n%s", csvBody)
	}
	if got := targets("/users?account=" + tr.vendor); !slices.Equal(got, []string{"customer-staff"}) {
		t.Errorf("vendor's users: %v", got)
	}
	if _, body := ts.get(t, "/users?account="+tr.other); parseHTML(t, body).Find(`[data-testid="empty-state"]`).Length() != 1 {
		t.Error("a users page without users has no empty state")
	}
	if got := targets("/accounts?account=" + tr.vendor); !slices.Equal(got, []string{"Customer", "Vendor"}) {
		t.Errorf("vendor's accounts: %v", got)
	}
	if got := targets("/accounts?account=" + ts.root); len(got) != 4 {
		t.Errorf("all accounts: %v", got)
	}
	// The chosen account is kept by the audit filters.
	_, body := ts.get(t, "/security/audit?account="+tr.vendor)
	if v, _ := parseHTML(t, body).Find(`[data-testid="audit-filters"] input[name="account"]`).Attr("value"); v != tr.vendor {
		t.Errorf("filters lose the account: %q", v)
	}
}

// TestInheritedKeysSeenByWhoeverSeesTheAccount: the keys of every account
// above work in an account, so whoever may see it (an Account Viewer of
// it, support in it) sees them there, inherited and read-only, as an
// admin does, and can open them; keys of accounts where they do not work
// stay hidden.
func TestInheritedKeysSeenByWhoeverSeesTheAccount(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	rootKey, _ := ts.addKey(t, "root admin key", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}
		k.ResponseHeaders = []apikey.Header{{Name: "X-Internal", Value: "internal-value"}}
	})
	ts.addKey(t, "vendor key", inAccount(tr.vendor))
	otherKey, _ := ts.addKey(t, "other key", inAccount(tr.other))
	_, supportKey := ts.addKey(t, "support key", inAccount(tr.customer), func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleSupport}} })
	want := []string{"root admin key", "support key", "vendor key"}

	_, out := ts.apiCall(t, "GET", "/api/v1/keys", supportKey, nil)
	var names []string
	for _, k := range out["keys"].([]any) {
		names = append(names, k.(map[string]any)["name"].(string))
	}
	if slices.Sort(names); !slices.Equal(names, want) {
		t.Errorf("a support key in Customer lists %v", names)
	}
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys/"+rootKey.ID, supportKey, nil); res.StatusCode != http.StatusOK {
		t.Errorf("a support key opens an inherited key: %d", res.StatusCode)
	}
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys/"+otherKey.ID, supportKey, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a support key opens a key that does not work in its account: %d", res.StatusCode)
	}

	viewer := ts.signIn(t, "vee", ts.addUser(t, "vee", apikey.RoleAccountViewer, tr.customer))
	_, page := viewer.get(t, "/security/api-keys?account="+tr.customer)
	doc := parseHTML(t, page)
	if got := rowNames(doc); !slices.Equal(got, want) {
		t.Errorf("an Account Viewer of Customer sees %v there", got)
	}
	if doc.Find(`[data-testid="inherited"]`).Length() != 2 || strings.Contains(page, "internal-value") {
		t.Error("inherited keys not marked, or their headers in the list")
	}
	href, _ := doc.Find(`[data-key-id="` + rootKey.ID + `"] .key-name`).Attr("href")
	res, page := viewer.get(t, href)
	if d := parseHTML(t, page); res.StatusCode != http.StatusOK || !strings.Contains(d.Find(`[data-testid="inherited-notice"]`).Text(), "inherited from Root") ||
		d.Find(`[data-testid="edit-key"], [data-testid="move-key"], [data-testid="delete-key"], [data-testid="owner-link"]`).Length() != 0 {
		t.Errorf("the viewer opens an inherited key: %d", res.StatusCode)
	}
	if res, _ := viewer.get(t, keyURL(otherKey.ID)); res.StatusCode != http.StatusNotFound {
		t.Errorf("the viewer opens a key of another vendor: %d", res.StatusCode)
	}
	_, page = ts.get(t, "/security/api-keys?account="+tr.customer)
	if got := rowNames(parseHTML(t, page)); !slices.Equal(got, want) {
		t.Errorf("the admin sees %v in Customer", got)
	}
}

// TestKeyPageAccountIsChecked: ?account= on a key's page must be an account
// the visitor may see and one where the key works.
func TestKeyPageAccountIsChecked(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	hidden := ts.addAccount(t, "Hidden tenant", tr.other)
	k, _ := ts.addKey(t, "customer key", inAccount(tr.customer))
	vendorKey, _ := ts.addKey(t, "vendor key", inAccount(tr.vendor))
	viewer := ts.signIn(t, "vee", ts.addUser(t, "vee", apikey.RoleAccountViewer, tr.customer))
	if res, page := viewer.get(t, keyURL(k.ID)+"?account="+hidden); res.StatusCode != http.StatusForbidden || strings.Contains(page, "Hidden tenant") {
		t.Errorf("an account out of reach: %d", res.StatusCode)
	}
	if res, _ := ts.get(t, keyURL(k.ID)+"?account="+tr.other); res.StatusCode != http.StatusNotFound {
		t.Errorf("a key opened in an account where it does not work: %d", res.StatusCode)
	}
	if res, page := ts.get(t, keyURL(vendorKey.ID)+"?account="+tr.customer); res.StatusCode != http.StatusOK || !strings.Contains(page, "inherited from") {
		t.Errorf("an inherited key: %d", res.StatusCode)
	}
}

// TestAccountNamesUniqueUnderAParent: two accounts of one name under the
// same parent would be indistinguishable in the switcher and pickers.
func TestAccountNamesUniqueUnderAParent(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	res, body := ts.admin.post(t, "/accounts", url.Values{"name": {"vendor"}, "parent_id": {tr.root}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, body).Find(`[data-testid="error-name"]`).Text(), "already an account named") {
		t.Errorf("same name under the root: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Vendor"}, "parent_id": {tr.other}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("same name elsewhere: %d", res.StatusCode)
	}
	_, admin := ts.addKey(t, "admin", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	if res, out := ts.apiCall(t, "POST", "/api/v1/accounts", admin, map[string]any{"name": "Customer", "parent_id": tr.vendor}); res.StatusCode != http.StatusConflict || errFields(out)["name"] == nil {
		t.Errorf("API, same name: %d %v", res.StatusCode, out)
	}
	empty := ts.addAccount(t, "Customer", tr.other)
	if res, body := ts.admin.post(t, "/accounts/"+empty+"/move", url.Values{"parent_id": {tr.vendor}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "of that name is there already") {
		t.Errorf("move onto a same-named account: %d", res.StatusCode)
	}
}

// TestAccountsPageWithManyAccounts: with a thousand accounts the tree comes
// a page at a time, found by name, each row with a link to its move page
// rather than a choice of every account; the move page finds the new
// parent by name, never offers the account or any below it, and moves.
func TestAccountsPageWithManyAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	ids := ts.addAccounts(t, 1000)
	vendor := ts.addAccount(t, "Vendor", "")
	shop := ts.addAccount(t, "Shop", vendor)

	res, body := ts.get(t, "/accounts")
	doc := parseHTML(t, body)
	_, wire := ts.admin.wire(t, http.MethodGet, "/accounts", nil, "Accept-Encoding", "gzip")
	t.Logf("accounts page, 1,000 accounts: %d bytes, %d gzip'd", len(body), len(wire))
	if res.StatusCode != http.StatusOK || len(body) > 60_000 || len(wire) > 8_000 {
		t.Fatalf("%d: %d bytes, %d gzip'd; budget 60,000 and 8,000", res.StatusCode, len(body), len(wire))
	}
	if n := doc.Find(`[data-testid="account-row"]`).Length(); n != accountsPerPage || doc.Find("select, option").Length() != 0 {
		t.Fatalf("%d rows, %d selects", n, doc.Find("select").Length())
	}
	if got := doc.Find(`[data-testid="account-count"]`).Text(); got != "1–50 of 1003" {
		t.Errorf("count %q", got)
	}
	if v, _ := doc.Find(`[data-testid="account-form"] input[name="parent_id"]`).Attr("value"); v != ts.root ||
		doc.Find(`[data-testid="chosen-parent_id"]`).Text() != "Root" {
		t.Errorf("new accounts go under %q", v)
	}
	next, _ := doc.Find(`.pager a[rel="next"]`).Attr("href")
	if next != "/accounts?page=2" {
		t.Fatalf("next page %q", next)
	}

	// Found by name, each where it sits in the tree.
	_, body = ts.get(t, "/accounts?q=shop")
	doc = parseHTML(t, body)
	if row := doc.Find(`[data-testid="account-row"]`); row.Length() != 1 || row.Find(".account-within").Text() != "in Vendor" {
		t.Fatalf("search for shop: %d rows, %q", row.Length(), row.Find(".account-within").Text())
	}

	// A row's delete link asks first, and its form comes back to the same
	// page; a refusal shows on the question, and beside the account on its page.
	_, body = ts.get(t, "/accounts?page=3")
	doc = parseHTML(t, body)
	busy, _ := doc.Find(`[data-testid="account-row"]`).Eq(10).Attr("data-account-id")
	ts.addKey(t, "busy key", inAccount(busy))
	ask, _ := doc.Find(`[data-account-id="` + busy + `"] [data-testid="delete-account"]`).Attr("href")
	res, body = ts.get(t, ask)
	q := parseHTML(t, body)
	if back, _ := q.Find(`[data-testid="confirm-form"] input[name="return"]`).Attr("value"); back != "/accounts?page=3" {
		t.Fatalf("the question returns to %q", back)
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(q.Find(`[data-testid="confirm-refusal"]`).Text(), "still has 1 key") ||
		q.Find(`[data-testid="confirm-button"]`).Length() != 0 {
		t.Fatalf("asked to delete a busy account: %d", res.StatusCode)
	}
	res, body = ts.admin.post(t, "/accounts/"+busy+"/delete", url.Values{"confirm": {"yes"}, "return": {"/accounts?page=3"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(parseHTML(t, body).Find(`[data-account-id="`+busy+`"] [data-testid="account-error"]`).Text(), "still has 1 key") {
		t.Fatalf("refused delete: %d", res.StatusCode)
	}
	// Siblings made in the same instant sit in id order, so the busy row is
	// any of them: delete one that is not it.
	empty := ids[999]
	if empty == busy {
		empty = ids[998]
	}
	_, body = ts.get(t, "/accounts/"+empty+"/delete?return=%2Faccounts%3Fpage%3D2")
	form := formValues(parseHTML(t, body).Find(`[data-testid="confirm-form"]`))
	if form.Get("return") != "/accounts?page=2" || form.Get("confirm") != "yes" {
		t.Fatalf("question's form %v", form)
	}
	if res, _ = ts.admin.post(t, "/accounts/"+empty+"/delete", form); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/accounts?page=2" {
		t.Fatalf("delete: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}

	// The move page: a chooser of new parents, the current one chosen.
	_, body = ts.get(t, "/accounts?q=vendor")
	move, _ := parseHTML(t, body).Find(`[data-account-id="` + vendor + `"] [data-testid="move-account"]`).Attr("href")
	res, body = ts.get(t, move)
	doc = parseHTML(t, body)
	t.Logf("move page, 1,000 accounts: %d bytes", len(body))
	if res.StatusCode != http.StatusOK || len(body) > 25_000 {
		t.Fatalf("move page: %d, %d bytes; budget 25,000", res.StatusCode, len(body))
	}
	if got := doc.Find(`[data-testid="chosen-parent_id"]`).Text(); got != "Root (current parent)" {
		t.Errorf("chosen %q", got)
	}
	if n := doc.Find(`[data-testid="account-choices"] a`).Length(); n != choicesPerPage || doc.Find(`[data-testid="account-count"]`).Text() != "1–50 of 1000" {
		t.Errorf("%d choices, %q", n, doc.Find(`[data-testid="account-count"]`).Text())
	}
	for _, q := range []string{"vendor", "shop"} {
		if _, body := ts.get(t, move+"?q="+q); !strings.Contains(body, `data-testid="no-accounts"`) {
			t.Errorf("the move page offers %s", q)
		}
	}
	_, body = ts.get(t, move+"?q=customer+00042")
	choice, _ := parseHTML(t, body).Find(`[data-testid="account-choices"] a`).Attr("href")
	res, body = ts.get(t, choice)
	doc = parseHTML(t, body)
	if got := doc.Find(`[data-testid="chosen-parent_id"]`).Text(); got != "Customer 00042" {
		t.Fatalf("chosen %q after %s", got, choice)
	}
	if !doc.Find(`[data-testid="account-choices"] a[aria-current]`).Is("a") {
		t.Error("the choice is not marked in the list")
	}
	moveForm := doc.Find(`[data-testid="move-form"]`)
	post := func(parent string) (*http.Response, *goquery.Selection) {
		t.Helper()
		action, _ := moveForm.Attr("action")
		res, body := ts.admin.post(t, action, url.Values{"parent_id": {parent}})
		return res, parseHTML(t, body).Find(`[data-testid="move-form"]`)
	}
	// A place below itself, or gone, is refused beside the field, the choice kept.
	for parent, want := range map[string]int{shop: http.StatusConflict, "acc_gone": http.StatusUnprocessableEntity} {
		res, f := post(parent)
		if v, _ := f.Find(`input[name="parent_id"]`).Attr("value"); res.StatusCode != want || v != parent || strings.TrimSpace(f.Find(`[data-testid="error-parent_id"]`).Text()) == "" {
			t.Errorf("move under %s: %d, kept %q, %q", parent, res.StatusCode, v, f.Find(`[data-testid="error-parent_id"]`).Text())
		}
	}
	parent, _ := moveForm.Find(`input[name="parent_id"]`).Attr("value")
	res, _ = post(parent)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "#account-"+vendor) {
		t.Fatalf("move: %d to %q", res.StatusCode, loc)
	}
	if path, _ := ts.db.AccountPath(ctx, shop); !slices.Equal(path, []string{shop, vendor, ids[42], ts.root}) {
		t.Errorf("path after the move %v", path)
	}
	_, body = ts.get(t, res.Header.Get("Location"))
	if parseHTML(t, body).Find(`[data-account-id="`+vendor+`"]`).Length() != 1 {
		t.Error("the page after the move does not list the account")
	}

	// htmx: a dialog, whose search swaps only the list and whose choices
	// load into the dialog.
	_, body = ts.get(t, move, "HX-Request", "true", "HX-Target", "dialog-slot")
	if !strings.HasPrefix(body, "<dialog") || parseHTML(t, body).Find(`[data-testid="account-choices"] a[hx-target="#dialog-slot"]`).Length() != choicesPerPage {
		t.Fatalf("move dialog: %.200s", body)
	}
	_, body = ts.get(t, move+"?q=00042", "HX-Request", "true", "HX-Target", "account-choices")
	if !strings.HasPrefix(body, `<div id="account-choices"`) || strings.Contains(body, "<form") {
		t.Fatalf("move choices: %.200s", body)
	}
}

// TestAccountMovePage: with few accounts the move page is a select of the
// places an account may go, the account itself and those below it left out.
func TestAccountMovePage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	_, body := ts.get(t, "/accounts")
	move, _ := parseHTML(t, body).Find(`[data-account-id="` + tr.vendor + `"] [data-testid="move-account"]`).Attr("href")
	_, body = ts.get(t, move)
	form := parseHTML(t, body).Find(`[data-testid="move-form"]`)
	var offered []string
	for _, o := range form.Find(`select[name="parent_id"] option`).EachIter() {
		offered = append(offered, strings.TrimSpace(o.Text()))
	}
	if !slices.Equal(offered, []string{"Root (current parent)", "Other vendor"}) {
		t.Fatalf("offered %q", offered)
	}
	if v, _ := form.Find(`option[selected]`).Attr("value"); v != tr.root {
		t.Errorf("chosen %q", v)
	}
	res, _ := ts.admin.post(t, move, url.Values{"parent_id": {tr.other}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/accounts#account-"+tr.vendor {
		t.Fatalf("move: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if path, _ := ts.db.AccountPath(context.Background(), tr.customer); !slices.Equal(path, []string{tr.customer, tr.vendor, tr.other, tr.root}) {
		t.Errorf("path after the move %v", path)
	}
	// Moving to where it is changes nothing and records nothing.
	if res, _ := ts.admin.post(t, move, url.Values{"parent_id": {tr.other}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("move in place: %d", res.StatusCode)
	}
	if res, _ := ts.get(t, "/accounts/"+tr.root+"/move"); res.StatusCode != http.StatusConflict {
		t.Errorf("the root's move page: %d", res.StatusCode)
	}
	viewer := ts.signIn(t, "vic", ts.addUser(t, "vic", apikey.RoleGlobalViewer))
	if res, _ := viewer.get(t, move); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's move page: %d", res.StatusCode)
	}
}

// TestAccountSearchKeepsToReach: an account found by name says where it
// sits only by the accounts the visitor may see.
func TestAccountSearchKeepsToReach(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	within := func(c *client) string {
		t.Helper()
		_, body := c.get(t, "/accounts?q=customer")
		row := parseHTML(t, body).Find(`[data-account-id="` + tr.customer + `"]`)
		if row.Length() != 1 {
			t.Fatalf("customer not found: %.300s", body)
		}
		return row.Find(".account-within").Text()
	}
	if got := within(ts.admin); got != "in Vendor" {
		t.Errorf("the admin reads %q", got)
	}
	viewer := ts.signIn(t, "cleo", ts.addUser(t, "cleo", apikey.RoleAccountViewer, tr.customer))
	if got := within(viewer); got != "" {
		t.Errorf("a viewer of Customer alone reads %q", got)
	}
}
