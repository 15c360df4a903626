package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
)

func TestKeyListPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	soon := ts.now.Add(3*24*time.Hour + time.Hour)
	past := ts.now.Add(-time.Hour)
	later := ts.now.Add(200 * 24 * time.Hour)
	scoped := ts.addAccount(t, "Customer X", "")
	ts.addKey(t, "Billing gateway", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}, {Role: apikey.RoleAccountViewer, Accounts: []string{scoped}}}
		k.ExpiresAt = &later
	})
	chrome, _ := ts.addKey(t, "Chrome extension", func(k *apikey.Key) { k.Type = apikey.TypeChrome; k.ExpiresAt = &soon })
	ts.addKey(t, "Old terminal", func(k *apikey.Key) { k.Type = apikey.TypeEmbedded; k.Active = false })
	ts.addKey(t, "Expired one", func(k *apikey.Key) { k.ExpiresAt = &past })

	res, body := ts.get(t, "/security/api-keys")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	doc := parseHTML(t, body)
	if got, want := rowNames(doc), []string{"Billing gateway", "Chrome extension", "Expired one", "Old terminal"}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	row := doc.Find(fmt.Sprintf(`[data-key-id="%s"]`, chrome.ID))
	if got := strings.TrimSpace(row.Find(`[data-testid="key-status"]`).Text()); got != "Expires in 3 days" {
		t.Errorf("chrome status %q", got)
	}
	if got := row.Find("code.key-prefix").Text(); !strings.HasPrefix(got, chrome.DisplayPrefix) || !strings.HasPrefix(got, "kc_c_") {
		t.Errorf("prefix %q", got)
	}
	if !strings.Contains(body, "Inactive") || !strings.Contains(body, "Expired") || !strings.Contains(body, "Account Viewer (Customer X)") || !strings.Contains(body, "Global Viewer") {
		t.Error("status or role labels missing")
	}
	if got := doc.Find(`[data-testid="key-count"]`).Text(); got != "1–4 of 4" {
		t.Errorf("count %q", got)
	}
	if doc.Find(`[data-testid="current-account"]`).Length() != 1 || doc.Find("title").Text() != "API access keys · keyconsole" {
		t.Error("layout incomplete")
	}
}

func TestKeyListFilters(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	past := ts.now.Add(-time.Hour)
	ts.addKey(t, "alpha")
	ts.addKey(t, "beta chrome", func(k *apikey.Key) { k.Type = apikey.TypeChrome })
	ts.addKey(t, "gamma off", func(k *apikey.Key) { k.Active = false })
	ts.addKey(t, "delta gone", func(k *apikey.Key) { k.ExpiresAt = &past })

	cases := []struct {
		query string
		want  []string
	}{
		{"?q=CHROME", []string{"beta chrome"}},
		{"?type=chrome", []string{"beta chrome"}},
		{"?status=inactive", []string{"gamma off"}},
		{"?status=expired", []string{"delta gone"}},
		{"?status=active", []string{"alpha", "beta chrome"}},
		{"?sort=-name", []string{"gamma off", "delta gone", "beta chrome", "alpha"}},
		{"?sort=bogus&type=bogus&status=bogus&page=-3", []string{"alpha", "beta chrome", "delta gone", "gamma off"}}, // bad values fall back
		{"?q=nothing-like-it", nil},
	}
	for _, c := range cases {
		_, body := ts.get(t, "/security/api-keys"+c.query)
		if got := rowNames(parseHTML(t, body)); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}

	// A search with no match says so and offers to clear it.
	_, body := ts.get(t, "/security/api-keys?q=nothing-like-it&sort=created")
	doc := parseHTML(t, body)
	empty := doc.Find(`[data-testid="empty-state"]`)
	if !strings.Contains(empty.Text(), "No keys match") {
		t.Fatalf("empty state %q", empty.Text())
	}
	if href, _ := empty.Find("a").Attr("href"); href != "/security/api-keys?sort=created" {
		t.Errorf("clear link %q", href)
	}
	// The toolbar echoes the query back.
	if v, _ := doc.Find(`input[name="q"]`).Attr("value"); v != "nothing-like-it" {
		t.Errorf("search input %q", v)
	}
}

func TestKeyListSortLinksAndPages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for i := 0; i < 53; i++ {
		ts.addKey(t, fmt.Sprintf("key %02d", i))
	}
	_, body := ts.get(t, "/security/api-keys?type=general")
	doc := parseHTML(t, body)
	if n := len(rowNames(doc)); n != 50 {
		t.Fatalf("first page has %d rows", n)
	}
	next, _ := doc.Find(`a[rel="next"]`).Attr("href")
	if next != "/security/api-keys?page=2&type=general" {
		t.Fatalf("next %q", next)
	}
	if doc.Find(`a[rel="prev"]`).Length() != 0 {
		t.Error("previous link on page 1")
	}
	// Name is the current sort: its heading says so and reverses it.
	nameHead := doc.Find(`th[aria-sort="ascending"]`)
	if href, _ := nameHead.Find("a").Attr("href"); href != "/security/api-keys?sort=-name&type=general" {
		t.Errorf("name sort link %q", href)
	}

	_, body = ts.get(t, next)
	doc = parseHTML(t, body)
	if got := rowNames(doc); !slices.Equal(got, []string{"key 50", "key 51", "key 52"}) {
		t.Fatalf("page 2: %v", got)
	}
	if got := doc.Find(`[data-testid="key-count"]`).Text(); got != "51–53 of 53" {
		t.Errorf("count %q", got)
	}
	if prev, _ := doc.Find(`a[rel="prev"]`).Attr("href"); prev != "/security/api-keys?type=general" {
		t.Errorf("prev %q", prev)
	}
	// A page past the end says so and links back to the first.
	_, body = ts.get(t, "/security/api-keys?type=general&page=9")
	empty := parseHTML(t, body).Find(`[data-testid="empty-state"]`)
	if !strings.Contains(empty.Text(), "No keys on this page") {
		t.Errorf("past the end: %q", empty.Text())
	}
	if href, _ := empty.Find("a").Attr("href"); href != "/security/api-keys?type=general" {
		t.Errorf("first page link %q", href)
	}
}

func TestKeyListFragmentForHtmx(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "only")
	res, body := ts.get(t, "/security/api-keys?q=only", "HX-Request", "true", "HX-Target", "key-list")
	if res.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.HasPrefix(strings.TrimSpace(body), `<section id="key-list"`) {
		t.Fatalf("fragment: %d %.200s", res.StatusCode, body)
	}
	if !slices.Contains(res.Header.Values("Vary"), "HX-Request") {
		t.Error("no Vary: HX-Request")
	}
	// A history restore gets the whole page back.
	_, body = ts.get(t, "/security/api-keys?q=only", "HX-Request", "true", "HX-Target", "key-list", "HX-History-Restore-Request", "true")
	if !strings.Contains(body, "<html") {
		t.Error("history restore got a fragment")
	}
}

func TestKeyListEmptyAndUnknownAccount(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, body := ts.get(t, "/security/api-keys")
	if !strings.Contains(parseHTML(t, body).Find(`[data-testid="empty-state"]`).Text(), "No API keys yet") {
		t.Error("no empty state on an empty list")
	}
	res, body := ts.get(t, "/security/api-keys?account=acc_nope")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "No such account.") {
		t.Errorf("unknown account: %d", res.StatusCode)
	}
}

// A page of 50 keys stays light with a thousand accounts: the header's
// switcher offers no select of them all, and rows carry no form of their
// own; every row's button still posts, through the one shared form. Each
// row's menu of actions (plain links) costs about 300 bytes that compress
// to almost nothing, so the raw budget allows for them and the wire's
// stays as it was; so does each row's checkbox for bulk actions (in the
// one bulk form, through its form attribute).
func TestKeyListWeight(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	accounts := ts.addAccounts(t, 1000)
	places := []string{"Berlin", "Lisbon", "Toronto", "Osaka", "Nairobi"}
	later := ts.now.Add(90 * 24 * time.Hour)
	for i := range 50 {
		ts.addKey(t, fmt.Sprintf("Payment terminal %s store %02d", places[i%len(places)], i), func(k *apikey.Key) {
			k.Type = []apikey.Type{apikey.TypeGeneral, apikey.TypeEmbedded, apikey.TypeChrome}[i%3]
			k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}, {Role: apikey.RoleAccountViewer, Accounts: accounts[i : i+2]}}
			k.Active = i%7 != 0
			if i%2 == 0 {
				k.ExpiresAt = &later
			}
		})
	}
	res, body := ts.get(t, "/security/api-keys")
	doc := parseHTML(t, body)
	if res.StatusCode != http.StatusOK || len(rowNames(doc)) != 50 {
		t.Fatalf("%d, %d rows", res.StatusCode, len(rowNames(doc)))
	}
	_, wire := ts.admin.wire(t, http.MethodGet, "/security/api-keys", nil, "Accept-Encoding", "gzip")
	t.Logf("50 rows, 1,000 accounts: %d bytes, %d gzip'd", len(body), len(wire))
	if len(body) > 72_000 || len(wire) > 8_000 {
		t.Errorf("the list weighs %d bytes, %d gzip'd; budget 72,000 and 8,000", len(body), len(wire))
	}
	if doc.Find(`select[name="account"]`).Length() != 0 || doc.Find(`[data-testid="switch-account"]`).Length() != 1 {
		t.Error("the switcher lists a thousand accounts in a select")
	}
	if n := doc.Find(`[data-testid="key-row"] form, [data-testid="key-row"] input:not([form="bulk-form"])`).Length(); n != 0 {
		t.Errorf("%d forms and fields in rows", n)
	}

	// A row's Deactivate, as a browser without JavaScript follows it: to
	// the question, whose form comes back to the list.
	ask, _ := doc.Find(`[data-testid="key-row"] [data-testid="deactivate-key"]`).First().Attr("href")
	_, res, _ = ts.admin.answer(t, ask)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/security/api-keys" {
		t.Fatalf("row deactivate: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	id := strings.TrimSuffix(strings.TrimPrefix(ask, "/security/api-keys/"), "/deactivate?return=%2Fsecurity%2Fapi-keys")
	if k, err := ts.db.Key(context.Background(), id); err != nil || k.Active {
		t.Fatalf("key %s still active (%v)", id, err)
	}

	// A row's Activate posts the page's shared form, at once.
	_, body = ts.get(t, "/security/api-keys")
	doc = parseHTML(t, body)
	button := doc.Find(`[data-key-id="` + id + `"] [data-testid="activate-key"]`)
	formID, _ := button.Attr("form")
	action, _ := button.Attr("formaction")
	shared := doc.Find("form#" + formID)
	if shared.Length() != 1 || !strings.HasSuffix(action, "/activate") {
		t.Fatalf("button posts through form %q to %q", formID, action)
	}
	if method, _ := shared.Attr("method"); method != "post" {
		t.Errorf("shared form method %q", method)
	}
	form := formValues(shared)
	name, _ := button.Attr("name")
	value, _ := button.Attr("value")
	form.Add(name, value) // the button's own field
	res, _ = ts.admin.postRaw(t, action, form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/security/api-keys" {
		t.Fatalf("row button: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if k, err := ts.db.Key(context.Background(), id); err != nil || !k.Active {
		t.Errorf("key %s still inactive (%v)", id, err)
	}
}

// rowMenu is what a key row's menu offers, by label, each with where it goes.
func rowMenu(doc *goquery.Document, keyID string) map[string]string {
	out := map[string]string{}
	doc.Find(`[data-key-id="` + keyID + `"] details.row-menu a`).Each(func(_ int, a *goquery.Selection) {
		out[strings.TrimSpace(a.Text())], _ = a.Attr("href")
	})
	return out
}

// TestKeyRowMenu: each row offers its key's Edit, Regenerate and Delete in
// a menu, as far as the visitor may: an admin all three (each leads to its
// form, without JavaScript too), support only Regenerate and only on Chrome
// keys, a viewer nothing (nor an empty column); an inherited key none.
func TestKeyRowMenu(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	general, _ := ts.addKey(t, "General key")
	chrome, _ := ts.addKey(t, "Chrome key", func(k *apikey.Key) { k.Type = apikey.TypeChrome })
	below := ts.addAccount(t, "Customer", "")

	_, body := ts.get(t, "/security/api-keys")
	doc := parseHTML(t, body)
	for _, k := range []*apikey.Key{general, chrome} {
		menu := rowMenu(doc, k.ID)
		want := map[string]string{"Edit": keyURL(k.ID) + "/edit", "Regenerate": keyURL(k.ID) + "/regenerate", "Delete": keyURL(k.ID) + "/delete"}
		if !maps.Equal(menu, want) {
			t.Errorf("admin's menu of %s: %v", k.Name, menu)
		}
		for label, href := range menu {
			if res, page := ts.get(t, href); res.StatusCode != http.StatusOK || parseHTML(t, page).Find(`[data-testid="dialog-page"] form`).Length() != 1 {
				t.Errorf("%s of %s: %d", label, k.Name, res.StatusCode)
			}
		}
	}
	if label := doc.Find(`[data-key-id="` + general.ID + `"] .row-menu summary`).Text(); label != "Actions for General key" {
		t.Errorf("the menu is named %q", label)
	}

	_, body = ts.get(t, "/security/api-keys?account="+below)
	if n := parseHTML(t, body).Find(`details.row-menu`).Length(); n != 0 {
		t.Errorf("%d menus on inherited keys", n)
	}

	support := ts.signIn(t, "sue", ts.addUser(t, "sue", apikey.RoleSupport))
	_, body = support.get(t, "/security/api-keys")
	doc = parseHTML(t, body)
	if got := rowMenu(doc, chrome.ID); !maps.Equal(got, map[string]string{"Regenerate": keyURL(chrome.ID) + "/regenerate"}) {
		t.Errorf("support's menu of the Chrome key: %v", got)
	}
	if doc.Find(`[data-key-id="`+general.ID+`"] details.row-menu`).Length() != 0 || doc.Find(`[data-testid="deactivate-key"]`).Length() != 0 {
		t.Error("support offered more than Regenerate on a Chrome key")
	}

	viewer := ts.signIn(t, "vic", ts.addUser(t, "vic", apikey.RoleGlobalViewer))
	_, body = viewer.get(t, "/security/api-keys")
	doc = parseHTML(t, body)
	if doc.Find(`details.row-menu, td.row-actions`).Length() != 0 || doc.Find(`[data-testid="key-table"] thead th`).Length() != 7 {
		t.Error("a viewer's list has actions, or a column for them")
	}
}
