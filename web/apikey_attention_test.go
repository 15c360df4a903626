package web

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
)

// attentionKeys stores, in the root account, keys that each match one
// attention rule and keys that just miss it, and returns what each rule's
// filtered list must show, by rule.
func attentionKeys(t *testing.T, ts *testServer) map[apikey.Attention][]string {
	t.Helper()
	ctx := context.Background()
	now, day := ts.now, 24*time.Hour
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	var uses []apikey.LastUse
	add := func(name string, lastUse time.Duration, mutate ...func(*apikey.Key)) string {
		k, _ := ts.addKey(t, name, mutate...)
		if lastUse != 0 {
			uses = append(uses, apikey.LastUse{KeyID: k.ID, At: now.Add(-lastUse)})
		}
		return k.ID
	}
	recent := time.Hour
	off := func(k *apikey.Key) { k.Active = false }
	predefined := func(k *apikey.Key) { k.Predefined = true }
	admin := func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} }
	onlyFrom := func(prefixes ...string) func(k *apikey.Key) {
		return func(k *apikey.Key) {
			for _, p := range prefixes {
				k.AllowedIPs = append(k.AllowedIPs, apikey.IPEntry{Prefix: netip.MustParsePrefix(p), Source: p})
			}
		}
	}
	add("expires in 13 days", recent, func(k *apikey.Key) { k.ExpiresAt = at(13 * day) })
	add("expires in 15 days", recent, func(k *apikey.Key) { k.ExpiresAt = at(15 * day) })
	add("expired an hour ago", recent, func(k *apikey.Key) { k.ExpiresAt = at(-time.Hour) })
	add("expires in 3 days but off", recent, off, func(k *apikey.Key) { k.ExpiresAt = at(3 * day) })
	add("never used", 0)
	add("used 91 days ago", 91*day)
	add("used 89 days ago", 89*day)
	add("never used but off", 0, off)
	add("predefined on", recent, predefined)
	add("predefined off", recent, predefined, off)
	add("admin from anywhere", recent, admin)
	add("admin from one address", recent, admin, onlyFrom("10.0.0.1/32"))
	add("admin from anywhere but off", recent, admin, off)
	add("viewer from anywhere", recent, func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}} })
	hour := add("refused an hour ago", recent)
	yesterday := add("refused 25 hours ago", recent)
	// JWT keys are made through the API, which signs their JWT; the admin
	// script that makes them is kept to the test's own addresses.
	scriptKey, script := ts.addKey(t, "admin script", admin, onlyFrom("127.0.0.1/32", "::1/128"))
	uses = append(uses, apikey.LastUse{KeyID: scriptKey.ID, At: now})
	for name, expiry := range map[string]map[string]any{
		"JWT for a year":      {"expires_in": "never"},
		"JWT for 10 days":     {"expires_in": "custom", "custom_days": "10"},
		"JWT for a year, off": {"expires_in": "never", "active": false},
	} {
		req := map[string]any{"name": name, "type": "general", "access_type": "jwt", "allow_unauthenticated": true, "roles": []string{"global-viewer"}}
		for k, v := range expiry {
			req[k] = v
		}
		res, body := ts.apiCall(t, "POST", "/api/v1/keys", script, req)
		if res.StatusCode != 201 {
			t.Fatalf("create %s: %d %v", name, res.StatusCode, body)
		}
		uses = append(uses, apikey.LastUse{KeyID: body["id"].(string), At: now.Add(-recent)})
	}
	err := ts.db.RecordUsage(ctx, uses, []apikey.UsageCount{
		{KeyID: hour, Day: now.Format(time.DateOnly), Code: "IP_NOT_ALLOWED", Count: 3, Latest: now.Add(-time.Hour)},
		{KeyID: yesterday, Day: now.Add(-25 * time.Hour).Format(time.DateOnly), Code: "IP_NOT_ALLOWED", Count: 1, Latest: now.Add(-25 * time.Hour)},
		{KeyID: yesterday, Day: now.Format(time.DateOnly), Code: "VALID", Count: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	return map[apikey.Attention][]string{
		apikey.AttentionExpiring:          {"expires in 13 days", "JWT for 10 days"},
		apikey.AttentionUnused:            {"never used", "used 91 days ago"},
		apikey.AttentionPredefined:        {"predefined on"},
		apikey.AttentionAdminUnrestricted: {"admin from anywhere"},
		apikey.AttentionIPRefused:         {"refused an hour ago"},
		apikey.AttentionJWTLong:           {"JWT for a year"},
	}
}

// Each rule of the panel counts exactly the keys that match it, and its
// link opens the list of exactly those keys; keys that just miss a rule
// (expiring in 15 days, used 89 days ago, an admin key with one allowed
// address, refused 25 hours ago, a JWT for 10 days) are in neither.
func TestAttentionPanelAndFilteredLists(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	want := attentionKeys(t, ts)
	_, body := ts.get(t, "/security/api-keys")
	panel := parseHTML(t, body).Find(`[data-testid="attention-panel"]`)
	if panel.Length() != 1 {
		t.Fatal("no attention panel")
	}
	for _, rule := range apikey.Attentions {
		item := panel.Find(`[data-testid="attention-item"][data-rule="` + string(rule) + `"]`)
		if got := item.Find(".attention-count").Text(); got != itoa(len(want[rule])) {
			t.Errorf("%s: panel counts %q, want %d", rule, got, len(want[rule]))
		}
		href, _ := item.Find("a").Attr("href")
		if href != "/security/api-keys?attention="+string(rule) {
			t.Errorf("%s: link %q", rule, href)
		}
		res, body := ts.get(t, href)
		doc := parseHTML(t, body)
		if got := rowNames(doc); res.StatusCode != 200 || !slices.Equal(got, want[rule]) {
			t.Errorf("%s: list %d %v, want %v", rule, res.StatusCode, got, want[rule])
		}
		chip := doc.Find(`[data-testid="attention-filter"]`)
		if !strings.HasPrefix(strings.TrimSpace(chip.Text()), "Showing: "+attentionText(rule, ts.srv.keys.JWTOfflineLimit())) {
			t.Errorf("%s: chip %q", rule, chip.Text())
		}
		if clear, _ := chip.Find("a").Attr("href"); clear != "/security/api-keys" {
			t.Errorf("%s: clear link %q", rule, clear)
		}
	}
	if text := panel.Find(`[data-rule="jwt-long"]`).Text(); !strings.Contains(text, "more than 30 days from now") {
		t.Errorf("the JWT rule does not tell its limit: %q", text)
	}
}

func itoa(n int) string { return countText(n, false) }

// A list cut to an attention rule keeps the rule through its pages, its
// sort headings and its search form; the chip lifts it and keeps the rest.
func TestAttentionFilterKeptByPagesSortAndSearch(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for i := range 53 {
		ts.addKey(t, "idle "+countText(100+i, false))
	}
	used, _ := ts.addKey(t, "idle but used")
	if err := ts.db.RecordUsage(context.Background(), []apikey.LastUse{{KeyID: used.ID, At: ts.now}}, nil); err != nil {
		t.Fatal(err)
	}
	_, body := ts.get(t, "/security/api-keys?attention=unused&sort=-name")
	doc := parseHTML(t, body)
	if n := len(rowNames(doc)); n != 50 {
		t.Fatalf("first page has %d rows", n)
	}
	next, _ := doc.Find(`a[rel="next"]`).Attr("href")
	if next != "/security/api-keys?attention=unused&page=2&sort=-name" {
		t.Errorf("next %q", next)
	}
	if href, _ := doc.Find(`th[aria-sort="descending"] a`).Attr("href"); href != "/security/api-keys?attention=unused" {
		t.Errorf("sort link %q", href)
	}
	if v, _ := doc.Find(`[data-testid="key-filters"] input[name="attention"]`).Attr("value"); v != "unused" {
		t.Errorf("the search form drops the filter: %q", v)
	}
	if clear, _ := doc.Find(`[data-testid="attention-filter"] a`).Attr("href"); clear != "/security/api-keys?sort=-name" {
		t.Errorf("clear link %q", clear)
	}
	_, body = ts.get(t, next)
	doc = parseHTML(t, body)
	if got := rowNames(doc); !slices.Equal(got, []string{"idle 102", "idle 101", "idle 100"}) {
		t.Errorf("page 2: %v", got)
	}
	if got := doc.Find(`[data-testid="key-count"]`).Text(); got != "51–53 of 53" {
		t.Errorf("count %q", got)
	}
	// A search within the rule, as the toolbar sends it (htmx asks for the table only).
	_, body = ts.get(t, "/security/api-keys?attention=unused&q=used", "HX-Request", "true", "HX-Target", "key-list")
	doc = parseHTML(t, body)
	if got := rowNames(doc); len(got) != 0 || doc.Find(`[data-testid="attention-filter"]`).Length() != 1 {
		t.Errorf("search within the rule: %v, chip %d", got, doc.Find(`[data-testid="attention-filter"]`).Length())
	}
	if doc.Find(`[data-testid="attention-panel"]`).Length() != 0 {
		t.Error("the table alone carries the panel")
	}
}

// An attention filter that does not exist is refused with a message
// naming the ones that do, not quietly dropped.
func TestAttentionFilterUnknown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "alpha")
	res, body := ts.get(t, "/security/api-keys?attention=stale")
	doc := parseHTML(t, body)
	msg := doc.Find(`[data-testid="attention-error"]`).Text()
	if res.StatusCode != 400 || !strings.Contains(msg, `There is no attention filter "stale"`) ||
		!strings.Contains(msg, "expiring, unused, predefined, admin-unrestricted, ip-refused, jwt-long") {
		t.Errorf("%d %q", res.StatusCode, msg)
	}
	if doc.Find(`[data-testid="attention-filter"]`).Length() != 0 {
		t.Error("a chip for a filter not applied")
	}
}

// Viewers see the panel too, with the counts of the account they look at
// including the keys it inherits, as its list shows them; no button.
func TestAttentionPanelForViewersWithInheritedKeys(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	child := ts.addAccount(t, "Shop", "")
	ts.addKey(t, "root predefined", func(k *apikey.Key) { k.Predefined = true })
	ts.addKey(t, "shop predefined", func(k *apikey.Key) { k.Predefined = true; k.AccountID = child })
	viewer := ts.signIn(t, "viewer", ts.addUser(t, "viewer", apikey.RoleGlobalViewer))
	_, body := viewer.get(t, "/security/api-keys?account="+child)
	doc := parseHTML(t, body)
	item := doc.Find(`[data-testid="attention-item"][data-rule="predefined"]`)
	if got := item.Find(".attention-count").Text(); got != "2" || doc.Find(`[data-testid="deactivate-predefined"]`).Length() != 0 {
		t.Errorf("viewer: count %q, buttons %d", got, doc.Find(`[data-testid="deactivate-predefined"]`).Length())
	}
	href, _ := item.Find("a").Attr("href")
	_, body = viewer.get(t, href)
	if got := rowNames(parseHTML(t, body)); !slices.Equal(got, []string{"root predefined", "shop predefined"}) {
		t.Errorf("%s: %v", href, got)
	}
	if checked := doc.Find(`[data-testid="attention-checked"]`).Text(); !strings.Contains(checked, "active keys expiring within 14 days") {
		t.Errorf("rules that found nothing: %q", checked)
	}
}

// The JSON list takes the same filter: each rule's keys exactly, and an
// unknown rule is a VALIDATION error naming the field.
func TestAttentionFilterInTheJSONList(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	want := attentionKeys(t, ts)
	_, reader := ts.addKey(t, "reader", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("127.0.0.1/32"), Source: "127.0.0.1/32"}, {Prefix: netip.MustParsePrefix("::1/128"), Source: "::1/128"}}
	})
	want[apikey.AttentionUnused] = []string{"never used", "reader", "used 91 days ago"} // the reader too: never used, as far as the database knows
	for _, rule := range apikey.Attentions {
		res, body := ts.apiCall(t, "GET", "/api/v1/keys?attention="+string(rule), reader, nil)
		var got []string
		for _, k := range body["keys"].([]any) {
			got = append(got, k.(map[string]any)["name"].(string))
		}
		if res.StatusCode != 200 || !slices.Equal(got, want[rule]) {
			t.Errorf("%s: %d %v, want %v", rule, res.StatusCode, got, want[rule])
		}
	}
	res, body := ts.apiCall(t, "GET", "/api/v1/keys?attention=stale", reader, nil)
	e, _ := body["error"].(map[string]any)
	fields, _ := e["fields"].(map[string]any)
	if res.StatusCode != 422 || e["code"] != "VALIDATION" || !strings.Contains(fmt.Sprint(fields["attention"]), `"stale"`) {
		t.Errorf("unknown rule: %d %v", res.StatusCode, body)
	}
}

// Counts read as numbers do, and a capped one says it stopped.
func TestAttentionCountText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n    int
		more bool
		want string
	}{{0, false, "0"}, {999, false, "999"}, {1000, true, "1,000+"}, {1234567, false, "1,234,567"}} {
		if got := countText(c.n, c.more); got != c.want {
			t.Errorf("%d %v: %q", c.n, c.more, got)
		}
	}
	if got := spanText(24 * time.Hour); got != "24 hours" {
		t.Errorf("a day reads %q", got)
	}
	if got := spanText(apikey.DefaultJWTOfflineLimit); got != "30 days" {
		t.Errorf("the default limit reads %q", got)
	}
}

// Past the cap the panel says "1,000+" rather than counting on.
func TestAttentionPanelCountStopsAtTheCap(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	var bulk store.Bulk
	for i := range apikey.AttentionCountCap + 1 {
		bulk.Keys = append(bulk.Keys, &apikey.Key{ID: fmt.Sprintf("key_cap_%04d", i), AccountID: ts.root, SecretHash: fmt.Sprintf("h%04d", i),
			DisplayPrefix: fmt.Sprintf("kc_g_%04x", i), CreatedAt: ts.now, UpdatedAt: ts.now, CreatedBy: "t", UpdatedBy: "t", Version: 1,
			Settings: apikey.Settings{Name: fmt.Sprintf("Idle %04d", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}})
	}
	if err := ts.db.BulkLoad(context.Background(), bulk); err != nil {
		t.Fatal(err)
	}
	_, body := ts.get(t, "/security/api-keys")
	if got := parseHTML(t, body).Find(`[data-rule="unused"] .attention-count`).Text(); got != "1,000+" {
		t.Errorf("count %q", got)
	}
}
