package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
)

// editFormOf opens a key's edit form as c and returns what it would post.
func editFormOf(t *testing.T, c *client, id string) url.Values {
	t.Helper()
	res, page := c.get(t, keyURL(id)+"/edit")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("edit form: %d", res.StatusCode)
	}
	return formValues(parseHTML(t, page).Find(`[data-testid="key-form"]`))
}

// conflictAnswer checks a 409 that lists the changes to fields, by label, and returns the page.
func conflictAnswer(t *testing.T, res *http.Response, body string, fields ...string) *goquery.Document {
	t.Helper()
	doc := parseHTML(t, body)
	var listed []string
	for _, li := range doc.Find(`[data-testid="conflict-change"]`).EachIter() {
		listed = append(listed, li.AttrOr("data-field", ""))
	}
	if res.StatusCode != http.StatusConflict || !slices.Equal(listed, fields) {
		t.Fatalf("conflict: %d, changes listed %q, want %q", res.StatusCode, listed, fields)
	}
	return doc
}

func keyForm(doc *goquery.Document) url.Values {
	return formValues(doc.Find(`[data-testid="key-form"]`))
}

// Admin A edits a key while admin B changes its type and allowed IPs: A's
// save is refused with B's changes listed and A's edit kept on top of them;
// saving from that page applies both; the stale form stays refused.
func TestEditConflictShowsTheirChanges(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Till")
	olga := ts.signIn(t, "olga", ts.addUser(t, "olga", apikey.RoleGlobalAdmin))

	mine, theirs := editFormOf(t, ts.admin, k.ID), editFormOf(t, olga, k.ID)
	theirs.Set("type", "embedded")
	theirs.Set("allowed_ips", "192.0.2.0/24")
	if res, _ := olga.post(t, keyURL(k.ID), theirs); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("olga's save: %d", res.StatusCode)
	}
	mine["header_name"][0], mine["header_value"][0] = "X-Team", "billing"
	stale := mine
	res, body := ts.admin.post(t, keyURL(k.ID), mine)
	doc := conflictAnswer(t, res, body, "Type", "Allowed IPs")
	if got := doc.Find(`[data-field="Type"]`).Text(); !strings.Contains(got, "General") || !strings.Contains(got, "Embedded") {
		t.Errorf("type change reads %q", got)
	}
	if got := doc.Find(`[data-field="Allowed IPs"]`).Text(); !strings.Contains(got, "192.0.2.0/24") {
		t.Errorf("IP change reads %q", got)
	}
	if doc.Find(`[data-testid="conflict-collision"], .field-flag`).Length() != 0 {
		t.Error("fields only one side changed are flagged")
	}
	again := keyForm(doc)
	if again.Get("type") != "embedded" || again.Get("allowed_ips") != "192.0.2.0/24" || again["header_name"][0] != "X-Team" || again["header_value"][0] != "billing" || again.Get("version") != "2" {
		t.Fatalf("conflict form %v", again)
	}
	if got, _ := ts.db.Key(t.Context(), k.ID); len(got.ResponseHeaders) != 0 {
		t.Fatal("the refused save was stored")
	}

	// The stale form again: still refused, nothing stored.
	res, body = ts.admin.post(t, keyURL(k.ID), stale)
	conflictAnswer(t, res, body, "Type", "Allowed IPs")

	// Saving from the conflict page applies A's edit on top of B's.
	if res, _ := ts.admin.post(t, keyURL(k.ID), again); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save after the conflict: %d", res.StatusCode)
	}
	got, _ := ts.db.Key(t.Context(), k.ID)
	if got.Type != apikey.TypeEmbedded || len(got.AllowedIPs) != 1 || got.AllowedIPs[0].Prefix != netip.MustParsePrefix("192.0.2.0/24") ||
		len(got.ResponseHeaders) != 1 || got.ResponseHeaders[0].Value != "billing" || got.Version != 3 || got.UpdatedBy != "admin" {
		t.Fatalf("stored %+v", got)
	}
	if events, _ := ts.db.KeyAudit(t.Context(), k.ID, 1); len(events[0].Changes) != 1 || events[0].Changes[0].Field != apikey.FieldResponseHeaders {
		t.Errorf("last save changed %+v", events[0].Changes)
	}
	if res, body := ts.admin.post(t, keyURL(k.ID), stale); res.StatusCode != http.StatusConflict {
		t.Fatalf("stale form after the save: %d %.200s", res.StatusCode, body)
	}
}

// A field both changed keeps the user's value, flagged, and shows both.
func TestEditConflictOnTheSameField(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Till")
	olga := ts.signIn(t, "olga", ts.addUser(t, "olga", apikey.RoleGlobalAdmin))
	mine, theirs := editFormOf(t, ts.admin, k.ID), editFormOf(t, olga, k.ID)
	theirs.Set("allowed_ips", "198.51.100.0/24")
	theirs.Del("allow_unauthenticated")
	olga.post(t, keyURL(k.ID), theirs)

	mine.Set("allowed_ips", "203.0.113.7")
	res, body := ts.admin.post(t, keyURL(k.ID), mine)
	doc := conflictAnswer(t, res, body, "Allow unauthenticated requests", "Allowed IPs")
	if got := doc.Find(`[data-field="Allowed IPs"] [data-testid="conflict-collision"]`).Text(); !strings.Contains(got, "203.0.113.7") {
		t.Errorf("collision reads %q", got)
	}
	if got := doc.Find(`[data-testid="flag-allowed_ips"]`).Text(); !strings.Contains(got, "olga") || !strings.Contains(got, "198.51.100.0/24") {
		t.Errorf("flag reads %q", got)
	}
	again := keyForm(doc)
	if again.Get("allowed_ips") != "203.0.113.7" || again.Has("allow_unauthenticated") {
		t.Fatalf("conflict form %v", again)
	}
	if res, _ := ts.admin.post(t, keyURL(k.ID), again); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save after the conflict: %d", res.StatusCode)
	}
	if got, _ := ts.db.Key(t.Context(), k.ID); got.AllowUnauthenticated || got.AllowedIPs[0].Source != "203.0.113.7" {
		t.Fatalf("stored %+v", got)
	}
}

// A form that comes back for another reason (a mistake to fix) keeps the
// version it was read at, so the next save still meets the conflict.
func TestEditErrorKeepsTheVersionRead(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Till")
	olga := ts.signIn(t, "olga", ts.addUser(t, "olga", apikey.RoleGlobalAdmin))
	mine, theirs := editFormOf(t, ts.admin, k.ID), editFormOf(t, olga, k.ID)
	theirs.Del("active")
	olga.post(t, keyURL(k.ID), theirs)

	mine.Set("allowed_ips", "10.0.0.256")
	res, body := ts.admin.post(t, keyURL(k.ID), mine)
	doc := refusedBeside(t, res, body, "allowed_ips", "out of range")
	fixed := keyForm(doc)
	if fixed.Get("version") != "1" || fixed.Get("base") != mine.Get("base") {
		t.Fatalf("the form's version became %q", fixed.Get("version"))
	}
	fixed.Set("allowed_ips", "10.0.0.255")
	res, body = ts.admin.post(t, keyURL(k.ID), fixed)
	conflictAnswer(t, res, body, "Active")
	if got, _ := ts.db.Key(t.Context(), k.ID); got.Active {
		t.Fatal("olga's change was overwritten")
	}
}

// Every field the audit trail names (but the name, which an edit cannot
// change) is one a conflict compares.
func TestEditFieldsCoverEveryChange(t *testing.T) {
	t.Parallel()
	at := time.Now()
	a := apikey.Settings{Name: "a", Type: apikey.TypeGeneral}
	b := apikey.Settings{Name: "b", Type: apikey.TypeChrome, Active: true, AllowUnauthenticated: true, AllowUntrustedEndpoints: true,
		AutoEndpointTrust: true, AdvancedPermissions: []string{apikey.AdvancedVerify}, Roles: []apikey.RoleGrant{{Role: apikey.RoleSupport}},
		ExpiresAt: &at, AllowedIPs: []apikey.IPEntry{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Source: "192.0.2.0/24"}},
		ResponseHeaders: []apikey.Header{{Name: "X-A", Value: "1"}}}
	for _, ch := range apikey.Diff(a, b) {
		if ch.Field != apikey.FieldName && !slices.ContainsFunc(editFields, func(f editField) bool { return f.field == ch.Field }) {
			t.Errorf("a conflict does not compare %q", ch.Field)
		}
	}
}

// The edit form of a key with as much as a key may hold still saves: what
// the form carries for conflicts does not push it past the body limit.
func TestEditFormOfABigKeySaves(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Big", func(k *apikey.Key) {
		for i := range 20 {
			k.ResponseHeaders = append(k.ResponseHeaders, apikey.Header{Name: fmt.Sprintf("X-H%d", i), Value: strings.Repeat("${key.name}", 90)})
		}
		for i := range 200 {
			p := netip.MustParsePrefix(fmt.Sprintf("2001:db8:%x::/48", i))
			k.AllowedIPs = append(k.AllowedIPs, apikey.IPEntry{Prefix: p, Source: p.String()})
		}
	})
	form := editFormOf(t, ts.admin, k.ID)
	form.Del("active")
	if res, body := ts.admin.post(t, keyURL(k.ID), form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", res.StatusCode, body)
	}
}
