package web

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/usage"
	"keyconsole/internal/verify"
)

// TestRegenerateWithGraceSaysOldSecretWorks: the show-once dialog after a
// regenerate that keeps the old secret says until when it works.
func TestRegenerateWithGraceSaysOldSecretWorks(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "kept")
	res, body := ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"24h"}})
	dialog := parseHTML(t, body).Find(`[data-testid="secret-dialog"]`)
	if res.StatusCode != 200 || dialog.Length() != 1 {
		t.Fatalf("regenerate: %d", res.StatusCode)
	}
	if strings.Contains(dialog.Text(), "no longer works") {
		t.Errorf("says the old secret stopped: %q", dialog.Text())
	}
	if got, want := dialog.Find(`[data-testid="old-secret-until"]`).Text(), formatDateTime(ts.now.Add(24*time.Hour)); got != want {
		t.Errorf("old secret until %q, want %q", got, want)
	}
	// Without a grace period it says the old one stopped.
	_, body = ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"0"}})
	if text := parseHTML(t, body).Find(`[data-testid="secret-dialog"]`).Text(); !strings.Contains(text, "no longer works") {
		t.Errorf("immediate stop not said: %q", text)
	}
}

// TestKeyTestWithoutAddressOnAllowList: testing a key with an allow list and
// no client address says no address was given, not that the address is refused.
func TestKeyTestWithoutAddressOnAllowList(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, secret := ts.addKey(t, "listed", func(k *apikey.Key) {
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Source: "192.0.2.0/24"}}
	})
	_, body := ts.admin.post(t, "/security/api-keys/test", url.Values{"key": {secret}, "client_ip": {""}})
	got := parseHTML(t, body).Find(`[data-testid="key-test-result"]`).Text()
	if !strings.Contains(got, "No client address was given") || strings.Contains(got, "that address") {
		t.Errorf("no address: %q", got)
	}
	_, body = ts.admin.post(t, "/security/api-keys/test", url.Values{"key": {secret}, "client_ip": {"198.51.100.1"}})
	if got := parseHTML(t, body).Find(`[data-testid="key-test-result"]`).Text(); !strings.Contains(got, "may not be used from that address") {
		t.Errorf("refused address: %q", got)
	}
}

// TestUsageCountsRefusedRequests: a request the key opens but that is then
// refused (no permission, no signed-in user) counts as refused, not accepted.
func TestUsageCountsRefusedRequests(t *testing.T) {
	t.Parallel()
	var rec *usage.Recorder
	ts := newTestServer(t, func(c *testConfig) {
		rec = usage.New(c.Store, nil)
		c.Usage = rec
	})
	viewer, key := ts.addKey(t, "viewer", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}} })
	ts.apiCall(t, "GET", "/api/v1/keys", key, nil)
	if res, _ := ts.apiCall(t, "POST", "/api/v1/keys", key, map[string]any{"name": "x"}); res.StatusCode != 403 {
		t.Fatalf("create by a viewer: %d", res.StatusCode)
	}
	needsUser, userKey := ts.addKey(t, "needs a user", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
		k.AllowUnauthenticated = false
	})
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", userKey, nil); res.StatusCode != 401 {
		t.Fatalf("without a user: %d", res.StatusCode)
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	counts := func(id string) map[string]int {
		rows, _ := ts.db.KeyUsage(context.Background(), id, "2000-01-01")
		out := map[string]int{}
		for _, r := range rows {
			out[r.Code] += r.Count
		}
		return out
	}
	if got := counts(viewer.ID); got[verify.Valid] != 1 || got["FORBIDDEN"] != 1 {
		t.Errorf("viewer counts %v", got)
	}
	if got := counts(needsUser.ID); got[verify.Valid] != 0 || got["UNAUTHORIZED"] != 1 {
		t.Errorf("key without a user counts %v", got)
	}
	if got, _ := ts.db.Key(context.Background(), needsUser.ID); got.LastUsedAt != nil {
		t.Error("a refused request moved the last use")
	}
	_, page := ts.get(t, keyURL(viewer.ID)+"?tab=usage")
	cells := parseHTML(t, page).Find(`[data-testid="usage-row"] td`)
	if cells.Eq(1).Text() != "1" || cells.Eq(2).Text() != "1" {
		t.Errorf("usage tab row %q", cells.Text())
	}
}
