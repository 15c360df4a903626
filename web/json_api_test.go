package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/usage"
	"keyconsole/internal/verify"
)

// otherLast is s with its last character changed, whatever it was.
func otherLast(s string) string {
	if strings.HasSuffix(s, "x") {
		return s[:len(s)-1] + "y"
	}
	return s[:len(s)-1] + "x"
}

// rawBody is sent by apiCall as it is, not as JSON.
type rawBody string

// apiCall sends a JSON API request with the key in X-Api-Key (or as given
// in headers) and decodes the JSON answer.
func (ts *testServer) apiCall(t *testing.T, method, path, key string, body any, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	res, raw := ts.apiRaw(t, method, path, key, body, headers...)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return res, out
}

// apiRaw is apiCall with the answer's body as it came.
func (ts *testServer) apiRaw(t *testing.T, method, path, key string, body any, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if raw, ok := body.(rawBody); ok {
		r = strings.NewReader(string(raw))
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	ts.bodies.Lock()
	ts.bodies.all = append(ts.bodies.all, string(raw))
	ts.bodies.Unlock()
	return res, raw
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func errFields(body map[string]any) map[string]any {
	e, _ := body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

// verifierKey is a key allowed to call the verify endpoint.
func (ts *testServer) verifierKey(t *testing.T) string {
	t.Helper()
	_, secret := ts.addKey(t, "verifier", func(k *apikey.Key) { k.AdvancedPermissions = []string{apikey.AdvancedVerify} })
	return secret
}

func (ts *testServer) verify(t *testing.T, caller string, body map[string]any) (string, map[string]any) {
	t.Helper()
	res, out := ts.apiCall(t, "POST", "/api/v1/keys/verify", caller, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %v", res.StatusCode, out)
	}
	code, _ := out["code"].(string)
	if valid, _ := out["valid"].(bool); valid != (code == verify.Valid) {
		t.Fatalf("valid=%v with code %s", valid, code)
	}
	return code, out
}

func TestVerifyOutcomes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	caller := ts.verifierKey(t)
	past, future := ts.now.Add(-time.Minute), ts.now.Add(time.Hour)
	good, goodSecret := ts.addKey(t, "good", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleSupport}}
		k.ExpiresAt = &future
	})
	_, inactive := ts.addKey(t, "inactive", func(k *apikey.Key) { k.Active = false })
	_, expired := ts.addKey(t, "expired", func(k *apikey.Key) { k.ExpiresAt = &past })
	_, v4 := ts.addKey(t, "v4", func(k *apikey.Key) {
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("10.1.0.0/16"), Source: "10.1.0.0/16"}}
	})
	_, v6 := ts.addKey(t, "v6", func(k *apikey.Key) {
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("2001:db8:aa::/48"), Source: "2001:db8:aa::/48"}}
	})
	typo := []byte(goodSecret)
	typo[10] ^= 1

	cases := []struct {
		name string
		body map[string]any
		want string
	}{
		{"valid", map[string]any{"key": goodSecret}, verify.Valid},
		{"unknown", map[string]any{"key": "kc_g_" + strings.Repeat("A", 32) + "1xoR1n"}, verify.NotFound},
		{"checksum typo", map[string]any{"key": string(typo)}, verify.NotFound},
		{"too short", map[string]any{"key": "short"}, verify.NotFound},
		{"inactive", map[string]any{"key": inactive}, verify.KeyInactive},
		{"expired", map[string]any{"key": expired}, verify.KeyExpired},
		{"v4 inside", map[string]any{"key": v4, "client_ip": "10.1.200.3"}, verify.Valid},
		{"v4 outside", map[string]any{"key": v4, "client_ip": "10.2.0.1"}, verify.IPNotAllowed},
		{"v4-mapped v6", map[string]any{"key": v4, "client_ip": "::ffff:10.1.0.9"}, verify.Valid},
		{"no address", map[string]any{"key": v4}, verify.IPNotAllowed},
		{"v6 inside", map[string]any{"key": v6, "client_ip": "2001:db8:aa:1::7"}, verify.Valid},
		{"v6 outside", map[string]any{"key": v6, "client_ip": "2001:db8:ab::1"}, verify.IPNotAllowed},
		{"own account", map[string]any{"key": goodSecret, "account_id": ts.root}, verify.Valid},
		{"unknown account", map[string]any{"key": goodSecret, "account_id": "acc_nowhere"}, verify.Forbidden},
	}
	for _, c := range cases {
		if got, out := ts.verify(t, caller, c.body); got != c.want {
			t.Errorf("%s: %s, want %s (%v)", c.name, got, c.want, out)
		}
	}
	// A valid answer names the key; the others say nothing about it.
	_, out := ts.verify(t, caller, map[string]any{"key": goodSecret})
	if out["key_id"] != good.ID || out["account_id"] != ts.root || out["expires_at"] == nil || len(out["roles"].([]any)) != 1 {
		t.Errorf("valid answer %v", out)
	}
	_, out = ts.verify(t, caller, map[string]any{"key": inactive})
	for _, field := range []string{"key_id", "account_id", "expires_at"} {
		if v, has := out[field]; !has || v != nil {
			t.Errorf("refusal: %s is %v, want present and null (%v)", field, v, out)
		}
	}
	// A missing key is answered as an unknown one.
	if got, _ := ts.verify(t, caller, map[string]any{"client_ip": "192.0.2.1"}); got != verify.NotFound {
		t.Errorf("no key: %s", got)
	}
	// A key below the verified account is forbidden there; one above is valid below.
	child := &apikey.Account{ParentID: ts.root, Name: "Child"}
	ts.db.CreateAccount(context.Background(), child)
	if got, _ := ts.verify(t, caller, map[string]any{"key": goodSecret, "account_id": child.ID}); got != verify.Valid {
		t.Errorf("root key in child account: %s", got)
	}
	_, childSecret := ts.addKey(t, "child key", func(k *apikey.Key) { k.AccountID = child.ID })
	if got, _ := ts.verify(t, caller, map[string]any{"key": childSecret, "account_id": ts.root}); got != verify.Forbidden {
		t.Errorf("child key in root account: %s", got)
	}

	// The caller needs the verify permission; a bad address is a validation error.
	if res, body := ts.apiCall(t, "POST", "/api/v1/keys/verify", goodSecret, map[string]any{"key": v4}); res.StatusCode != 403 || errCode(body) != "FORBIDDEN" {
		t.Errorf("caller without verify: %d %v", res.StatusCode, body)
	}
	res, body := ts.apiCall(t, "POST", "/api/v1/keys/verify", caller, map[string]any{"key": v4, "client_ip": "10.1.0.300"})
	if res.StatusCode != 422 || errCode(body) != "VALIDATION" || errFields(body)["client_ip"] == nil {
		t.Errorf("bad client_ip: %d %v", res.StatusCode, body)
	}
}

// A key in an account the verifying caller may not see is answered like an unknown one.
func TestVerifyHidesOtherAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	a := &apikey.Account{ParentID: ts.root, Name: "A"}
	b := &apikey.Account{ParentID: ts.root, Name: "B"}
	ts.db.CreateAccount(context.Background(), a)
	ts.db.CreateAccount(context.Background(), b)
	_, caller := ts.addKey(t, "verifier in A", func(k *apikey.Key) {
		k.AccountID = a.ID
		k.AdvancedPermissions = []string{apikey.AdvancedVerify}
	})
	_, inA := ts.addKey(t, "client in A", func(k *apikey.Key) { k.AccountID = a.ID; k.Active = false })
	_, inB := ts.addKey(t, "client in B", func(k *apikey.Key) { k.AccountID = b.ID; k.Active = false })
	if got, _ := ts.verify(t, caller, map[string]any{"key": inA}); got != verify.KeyInactive {
		t.Errorf("own account: %s", got)
	}
	if got, _ := ts.verify(t, caller, map[string]any{"key": inB}); got != verify.NotFound {
		t.Errorf("other account: %s", got)
	}
}

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	past := ts.now.Add(-time.Minute)
	viewer := []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
	_, good := ts.addKey(t, "good", func(k *apikey.Key) { k.Roles = viewer })
	_, inactive := ts.addKey(t, "inactive", func(k *apikey.Key) { k.Roles = viewer; k.Active = false })
	_, expired := ts.addKey(t, "expired", func(k *apikey.Key) { k.Roles = viewer; k.ExpiresAt = &past })
	_, walled := ts.addKey(t, "walled", func(k *apikey.Key) {
		k.Roles = viewer
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("203.0.113.0/24"), Source: "203.0.113.0/24"}}
	})
	cases := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"no key", nil, 401, "UNAUTHORIZED"},
		{"x-api-key", []string{"X-Api-Key", good}, 200, ""},
		{"bearer", []string{"Authorization", "Bearer " + good}, 200, ""},
		{"wrong", []string{"X-Api-Key", otherLast(good)}, 401, "UNAUTHORIZED"},
		{"inactive", []string{"X-Api-Key", inactive}, 401, "KEY_INACTIVE"},
		{"expired", []string{"X-Api-Key", expired}, 401, "KEY_EXPIRED"},
		{"ip", []string{"X-Api-Key", walled}, 403, "IP_NOT_ALLOWED"},
		// Without trusted proxies, a forged X-Forwarded-For changes nothing.
		{"forged xff", []string{"X-Api-Key", walled, "X-Forwarded-For", "203.0.113.5"}, 403, "IP_NOT_ALLOWED"},
	}
	for _, c := range cases {
		res, body := ts.apiCall(t, "GET", "/api/v1/keys", "", nil, c.headers...)
		if res.StatusCode != c.status || errCode(body) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.StatusCode, errCode(body), c.status, c.code)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", c.name, res.Header.Get("Cache-Control"))
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *testConfig) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	_, walled := ts.addKey(t, "walled", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("203.0.113.0/24"), Source: "203.0.113.0/24"}}
	})
	// The peer (127.0.0.1) is a trusted proxy: the nearest address before it counts.
	for _, c := range []struct {
		xff  string
		want int
	}{
		{"203.0.113.5", 200},
		{"198.51.100.1", 403},
		{"203.0.113.5, 198.51.100.1", 403}, // the client's own claim before an untrusted hop is ignored
		{"198.51.100.1, 203.0.113.9", 200},
		{"not-an-ip", 403},
	} {
		res, body := ts.apiCall(t, "GET", "/api/v1/keys", walled, nil, "X-Forwarded-For", c.xff)
		if res.StatusCode != c.want {
			t.Errorf("XFF %q: %d %v", c.xff, res.StatusCode, body)
		}
	}
}

// Deactivating or regenerating a key is seen by the very next request,
// though the key was cached a moment before.
func TestCacheSeesChangesAtOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	form := createForm("cached")
	form.Del("allowed_ips")
	form.Set("allow_unauthenticated", "true")
	ts.admin.post(t, "/security/api-keys", form)
	k := keyByName(t, ts, "cached")
	_, body := ts.admin.post(t, keyURL(k.ID)+"/regenerate", map[string][]string{})
	secret := secretIn(t, body)
	for i := 0; i < 3; i++ {
		if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", secret, nil); res.StatusCode != 200 {
			t.Fatalf("warm-up %d: %d", i, res.StatusCode)
		}
	}
	ts.admin.post(t, keyURL(k.ID)+"/deactivate", yes())
	if res, body := ts.apiCall(t, "GET", "/api/v1/keys", secret, nil); errCode(body) != "KEY_INACTIVE" {
		t.Fatalf("after deactivate: %d %v", res.StatusCode, body)
	}
	ts.admin.post(t, keyURL(k.ID)+"/activate", yes())
	ts.apiCall(t, "GET", "/api/v1/keys", secret, nil)
	_, body = ts.admin.post(t, keyURL(k.ID)+"/regenerate", map[string][]string{})
	fresh := secretIn(t, body)
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", secret, nil); res.StatusCode != 401 {
		t.Fatalf("old secret after regenerate: %d", res.StatusCode)
	}
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", fresh, nil); res.StatusCode != 200 {
		t.Fatalf("new secret: %d", res.StatusCode)
	}
	// The caching also covers deletion.
	ts.admin.post(t, keyURL(k.ID)+"/delete", map[string][]string{})
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", fresh, nil); res.StatusCode != 401 {
		t.Fatalf("deleted key: %d", res.StatusCode)
	}
}

func TestGracePeriod(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	caller := ts.verifierKey(t)
	exp := ts.now.Add(48 * time.Hour)
	k, old := ts.addKey(t, "rolling", func(k *apikey.Key) { k.ExpiresAt = &exp })
	res, body := ts.admin.post(t, keyURL(k.ID)+"/regenerate", map[string][]string{"grace": {"7d"}})
	if res.StatusCode != 200 {
		t.Fatalf("regenerate: %d", res.StatusCode)
	}
	fresh := secretIn(t, body)
	for _, s := range []string{old, fresh} {
		if got, _ := ts.verify(t, caller, map[string]any{"key": s}); got != verify.Valid {
			t.Errorf("during the overlap: %s", got)
		}
	}
	// The old secret never outlives the key: 7 days was cut to the expiry.
	stored := keyByName(t, ts, "rolling")
	if stored.PreviousValidUntil == nil || !stored.PreviousValidUntil.Equal(exp.Truncate(time.Microsecond)) {
		t.Errorf("old secret until %v, want the key's expiry %v", stored.PreviousValidUntil, exp)
	}
	_, page := ts.get(t, keyURL(k.ID))
	if !strings.Contains(parseHTML(t, page).Find(`[data-testid="grace-notice"]`).Text(), formatDateTime(exp)) {
		t.Error("details page does not say until when the old secret works")
	}
	// Past the overlap the old secret is unknown.
	ts.now = ts.now.Add(47 * time.Hour)
	if got, _ := ts.verify(t, caller, map[string]any{"key": old}); got != verify.Valid {
		t.Errorf("just before the end: %s", got)
	}
	ts.now = ts.now.Add(time.Hour)
	if got, _ := ts.verify(t, caller, map[string]any{"key": old}); got != verify.NotFound {
		t.Errorf("after the end: %s", got)
	}
	ts.now = ts.now.Add(-48 * time.Hour)

	// An admin can end the overlap early.
	k2, old2 := ts.addKey(t, "rolling 2")
	ts.admin.post(t, keyURL(k2.ID)+"/regenerate", map[string][]string{"grace": {"1h"}})
	if got, _ := ts.verify(t, caller, map[string]any{"key": old2}); got != verify.Valid {
		t.Fatalf("overlap: %s", got)
	}
	if res, _ := ts.admin.post(t, keyURL(k2.ID)+"/end-grace", map[string][]string{}); res.StatusCode != 303 {
		t.Fatalf("end overlap: %d", res.StatusCode)
	}
	if got, _ := ts.verify(t, caller, map[string]any{"key": old2}); got != verify.NotFound {
		t.Errorf("after ending the overlap: %s", got)
	}
	// Regenerating with no grace stops the old secret, and any older one, at once.
	k3, old3 := ts.addKey(t, "rolling 3")
	_, body = ts.admin.post(t, keyURL(k3.ID)+"/regenerate", map[string][]string{"grace": {"24h"}})
	mid := secretIn(t, body)
	ts.admin.post(t, keyURL(k3.ID)+"/regenerate", map[string][]string{"grace": {"0"}})
	for _, s := range []string{old3, mid} {
		if got, _ := ts.verify(t, caller, map[string]any{"key": s}); got != verify.NotFound {
			t.Errorf("superseded secret: %s", got)
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *testConfig) { c.RateLimit = verify.Config{RatePerSecond: 1, Burst: 3} })
	_, key := ts.addKey(t, "busy", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}} })
	for i := 0; i < 3; i++ {
		if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", key, nil); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	res, body := ts.apiCall(t, "GET", "/api/v1/keys", key, nil)
	if res.StatusCode != 429 || errCode(body) != "RATE_LIMITED" || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the limit: %d %v Retry-After=%q", res.StatusCode, body, res.Header.Get("Retry-After"))
	}
	ts.now = ts.now.Add(2 * time.Second)
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", key, nil); res.StatusCode != 200 {
		t.Fatalf("after waiting: %d", res.StatusCode)
	}
}

func TestUsageRecorded(t *testing.T) {
	t.Parallel()
	var rec *usage.Recorder
	ts := newTestServer(t, func(c *testConfig) {
		rec = usage.New(c.Store, nil)
		c.Usage = rec
	})
	k, key := ts.addKey(t, "used", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("127.0.0.0/8"), Source: "127.0.0.0/8"}}
	})
	for i := 0; i < 3; i++ {
		ts.apiCall(t, "GET", "/api/v1/keys", key, nil)
	}
	ts.admin.post(t, keyURL(k.ID)+"/deactivate", yes())
	ts.apiCall(t, "GET", "/api/v1/keys", key, nil)
	// Nothing is written per request.
	if got, _ := ts.db.Key(context.Background(), k.ID); got.LastUsedAt != nil {
		t.Fatal("last use written before a flush")
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := ts.db.Key(context.Background(), k.ID)
	if got.LastUsedAt == nil || got.LastUsedFrom != "127.0.0.1" {
		t.Fatalf("last use %v from %q", got.LastUsedAt, got.LastUsedFrom)
	}
	counts, _ := ts.db.KeyUsage(context.Background(), k.ID, "2000-01-01")
	byCode := map[string]int{}
	for _, c := range counts {
		byCode[c.Code] += c.Count
	}
	if byCode[verify.Valid] != 3 || byCode[verify.KeyInactive] != 1 {
		t.Fatalf("counts %v", byCode)
	}
	// The usage tab shows the day, accepted and refused counts.
	_, page := ts.get(t, keyURL(k.ID)+"?tab=usage")
	row := parseHTML(t, page).Find(`[data-testid="usage-row"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), ts.now.Format("2006-01-02")) || row.Find("td").Eq(1).Text() != "3" || row.Find("td").Eq(2).Text() != "1" {
		t.Errorf("usage tab row %q", row.Text())
	}
	// Usage of a key deleted before the flush is dropped, not an error.
	ts.admin.post(t, keyURL(k.ID)+"/activate", yes())
	ts.apiCall(t, "GET", "/api/v1/keys", key, nil)
	ts.admin.post(t, keyURL(k.ID)+"/delete", map[string][]string{})
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatalf("flush after delete: %v", err)
	}
}

func TestResponseHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, key := ts.addKey(t, "Header key", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
		k.ResponseHeaders = []apikey.Header{
			{Name: "X-Key", Value: "${key.name} in ${account.name}"},
			{Name: "X-Page", Value: "${result.count}/${result.limit}@${result.offset}"},
			{Name: "X-Hidden", Value: "no", Excluded: true},
		}
	})
	ts.addKey(t, "another")
	res, _ := ts.apiCall(t, "GET", "/api/v1/keys?limit=1&offset=1", key, nil)
	if got := res.Header.Get("X-Key"); got != "Header key in Root" {
		t.Errorf("X-Key %q", got)
	}
	if got := res.Header.Get("X-Page"); got != "1/1@1" {
		t.Errorf("X-Page %q", got)
	}
	if res.Header.Get("X-Hidden") != "" {
		t.Error("excluded header sent")
	}
	// Also on answers that are not lists, and on refusals made with the key.
	res, _ = ts.apiCall(t, "GET", "/api/v1/keys/key_missing", key, nil)
	if res.StatusCode != 404 || res.Header.Get("X-Key") != "Header key in Root" || res.Header.Get("X-Page") != "/@" {
		t.Errorf("on a 404: %d %q %q", res.StatusCode, res.Header.Get("X-Key"), res.Header.Get("X-Page"))
	}
}

// TestKeyHeadersCannotUndoNoStore: a key saved with a header that is now
// reserved (before the rule) still cannot make a secret's answer cacheable.
func TestKeyHeadersCannotUndoNoStore(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "old admin key", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}
		k.ResponseHeaders = []apikey.Header{{Name: "Cache-Control", Value: "public, max-age=3600"}, {Name: "X-Content-Type-Options", Value: "none"}, {Name: "X-Ok", Value: "yes"}}
	})
	res, body := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "new", "type": "general"})
	if res.StatusCode != 201 || body["secret"] == nil {
		t.Fatalf("create: %d", res.StatusCode)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" || res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("X-Ok") != "yes" {
		t.Errorf("secret answer headers: Cache-Control %q, nosniff %q, X-Ok %q", got, res.Header.Get("X-Content-Type-Options"), res.Header.Get("X-Ok"))
	}
	res, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "new2", "type": "general",
		"response_headers": []map[string]any{{"name": "Cache-Control", "value": "public"}}})
	if res.StatusCode != 422 || errFields(out)["response_headers"] == nil {
		t.Errorf("a key with a Cache-Control header: %d %v", res.StatusCode, out)
	}
}

// The public documents other services fetch answer in JSON, errors too:
// a mistyped path or method is not the console's HTML page.
func TestWellKnownErrorsInJSON(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/.well-known/jwks"},
		{"POST", "/.well-known/jwks.json"},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		rec := httptest.NewRecorder()
		ts.srv.ServeHTTP(rec, req)
		var body struct{ Error struct{ Code string } }
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "NOT_FOUND" ||
			!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %s %q", c.method, c.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
}
