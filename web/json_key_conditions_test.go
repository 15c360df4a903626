package web

import (
	"fmt"
	"sync"
	"testing"

	"keyconsole/internal/apikey"
)

// TestKeyETagAndIfMatch: every key answer carries its version as an ETag;
// If-Match makes a PATCH conditional (412 once someone saved since); a
// malformed one is a VALIDATION error naming the header.
func TestKeyETagAndIfMatch(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	res, body := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "tagged", "type": "general"})
	id, _ := body["id"].(string)
	if res.StatusCode != 201 || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
	}
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys/"+id, admin, nil); res.Header.Get("ETag") != `"1"` {
		t.Fatalf("get: ETag %q", res.Header.Get("ETag"))
	}
	res, _ = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"active": false}, "If-Match", `"1"`)
	if res.StatusCode != 200 || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("conditional patch: %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
	}
	res, body = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"active": true}, "If-Match", `"1"`)
	if res.StatusCode != 412 || errCode(body) != "PRECONDITION_FAILED" {
		t.Fatalf("stale If-Match: %d %v", res.StatusCode, body)
	}
	res, body = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"active": true}, "If-Match", `W/2`)
	if res.StatusCode != 422 || errFields(body)["If-Match"] == nil {
		t.Fatalf("malformed If-Match: %d %v", res.StatusCode, body)
	}
	// The body's version still answers 409, as before.
	if res, body := ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"active": true, "version": 1}); res.StatusCode != 409 || errCode(body) != "CONFLICT" {
		t.Fatalf("stale version: %d %v", res.StatusCode, body)
	}
}

// TestUnconditionalPatchUnderContention: PATCHes that name no version
// never answer 409, however many land at once on one key; each one's
// change is applied on top of the others'.
func TestUnconditionalPatchUnderContention(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	_, body := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "contended", "type": "general"})
	id, _ := body["id"].(string)
	const writers, each = 8, 12
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ips := []string{fmt.Sprintf("10.%d.%d.0/24", w, i)}
				if res, body := ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"allowed_ips": ips, "active": i%2 == 0}); res.StatusCode != 200 {
					t.Errorf("writer %d, patch %d: %d %v", w, i, res.StatusCode, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if _, body := ts.apiCall(t, "GET", "/api/v1/keys/"+id, admin, nil); body["version"].(float64) != 1+writers*each {
		t.Fatalf("version %v after %d patches", body["version"], writers*each)
	}
}
