package web

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
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
