package web

import (
	"net/http"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// With more accounts than a select should hold, the header links to the
// chooser, which finds them by name a page at a time and goes back to the
// section the visitor was in: a page without JavaScript, a dialog with htmx.
func TestAccountChooser(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ids := ts.addAccounts(t, selectMax) // with the root, one more than a select holds
	_, body := ts.get(t, "/security/audit?account="+ids[3])
	doc := parseHTML(t, body)
	link, ok := doc.Find(`[data-testid="switch-account"]`).Attr("href")
	if !ok || doc.Find(`select[name="account"]`).Length() != 0 || doc.Find(`[data-testid="current-account"]`).Text() != "Customer 00003" {
		t.Fatalf("header switcher: link %q, current %q", link, doc.Find(`[data-testid="current-account"]`).Text())
	}

	choices := func(path string, headers ...string) (hrefs []string, current, count string, next string) {
		t.Helper()
		res, body := ts.get(t, path, headers...)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		doc := parseHTML(t, body)
		for _, a := range doc.Find(`[data-testid="account-choices"] a`).EachIter() {
			href, _ := a.Attr("href")
			hrefs = append(hrefs, href)
		}
		next, _ = doc.Find(`#account-choices a[rel="next"]`).Attr("href")
		return hrefs, strings.TrimSpace(doc.Find(`[data-testid="account-choices"] a[aria-current]`).Text()),
			doc.Find(`[data-testid="account-count"]`).Text(), next
	}
	hrefs, _, count, next := choices(link)
	if len(hrefs) != choicesPerPage || hrefs[0] != "/security/audit?account="+ts.root || count != "1–50 of 101" {
		t.Fatalf("first page: %d links from %q, count %q", len(hrefs), hrefs[0], count)
	}
	hrefs, _, _, next = choices(next)
	if len(hrefs) != choicesPerPage || next == "" {
		t.Fatalf("second page: %d links, next %q", len(hrefs), next)
	}
	if hrefs, _, count, next = choices(next); len(hrefs) != 1 || next != "" || count != "101–101 of 101" {
		t.Fatalf("last page: %d links, count %q, next %q", len(hrefs), count, next)
	}
	if hrefs, _, _, _ = choices("/accounts/switch?section=audit&q=customer+00042"); len(hrefs) != 1 || hrefs[0] != "/security/audit?account="+ids[42] {
		t.Fatalf("found by name: %v", hrefs)
	}
	if _, current, _, _ := choices(link + "&q=Customer+0000"); current != "Customer 00003" {
		t.Errorf("the current account is marked %q", current)
	}

	// htmx: the chooser in a dialog, then only the list as the search changes.
	_, body = ts.get(t, link, "HX-Request", "true", "HX-Target", "dialog-slot")
	if !strings.HasPrefix(body, "<dialog") || parseHTML(t, body).Find(`[data-testid="account-search"] input[name="q"]`).Length() != 1 {
		t.Fatalf("chooser dialog: %.200s", body)
	}
	_, body = ts.get(t, "/accounts/switch?section=audit&q=00042", "HX-Request", "true", "HX-Target", "account-choices")
	if !strings.HasPrefix(body, `<div id="account-choices"`) || strings.Contains(body, "<form") {
		t.Fatalf("chooser list: %.200s", body)
	}

	// A section the visitor may not open sends to the keys; only the
	// accounts the visitor may see are offered.
	viewer := ts.signIn(t, "val", ts.addUser(t, "val", apikey.RoleAccountViewer, ids[5], ids[6]))
	res, body := viewer.get(t, "/accounts/switch?section=users")
	doc = parseHTML(t, body)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="account-choices"] a`).Length() != 2 ||
		doc.Find(`[data-testid="account-choices"] a[href="/security/api-keys?account=`+ids[6]+`"]`).Length() != 1 {
		t.Fatalf("viewer's chooser: %d %.300s", res.StatusCode, doc.Find(`[data-testid="account-choices"]`).Text())
	}
	if _, body := ts.get(t, "/accounts/switch?section=audit&q=nothing+like+it"); !strings.Contains(body, `data-testid="no-accounts"`) {
		t.Error("no word when nothing matches")
	}
}
