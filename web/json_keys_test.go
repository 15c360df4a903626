package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
	"keyconsole/internal/verify"
)

func TestAPIKeyCRUD(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })

	// Validation errors name every bad field.
	res, body := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{
		"name": "", "type": "desktop", "allowed_ips": []string{"10.0.0.1/8"}, "roles": []string{"account-viewer"},
	})
	fields := errFields(body)
	if res.StatusCode != 422 || errCode(body) != "VALIDATION" || fields["name"] == nil || fields["type"] == nil || fields["allowed_ips"] == nil || fields["role_accounts"] == nil {
		t.Fatalf("validation: %d %v", res.StatusCode, body)
	}
	if res, body := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "x", "type": "general", "colour": "red"}); res.StatusCode != 422 || errFields(body)["colour"] == nil {
		t.Fatalf("unknown field: %d %v", res.StatusCode, body)
	}
	if res, _ := ts.apiCall(t, "POST", "/api/v1/keys", admin, nil, "Content-Type", "application/json"); res.StatusCode != 400 {
		t.Fatalf("empty body: %d", res.StatusCode)
	}

	// Create: 201 with the id and the secret, once.
	res, body = ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{
		"name": "Terminal 7", "type": "embedded", "roles": []string{"support"}, "allowed_ips": []string{"192.0.2.0/24", "2001:db8::1"},
		"expires_in": "custom", "custom_days": 45, "advanced_permissions": []string{"verify"},
		"response_headers": []map[string]any{{"name": "X-Terminal", "value": "${key.id}"}},
	})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %v", res.StatusCode, body)
	}
	secret, _ := body["secret"].(string)
	id, _ := body["id"].(string)
	if !strings.HasPrefix(secret, "kc_e_") || !apikey.LooksGenerated(secret) || id == "" || body["active"] != true {
		t.Fatalf("created %v", body)
	}
	if _, has := body["secret_hash"]; has {
		t.Fatal("hash in the answer")
	}
	// Get and list never show the secret again.
	res, body = ts.apiCall(t, "GET", "/api/v1/keys/"+id, admin, nil)
	if res.StatusCode != 200 || body["name"] != "Terminal 7" || body["version"] != float64(1) || len(body["allowed_ips"].([]any)) != 2 {
		t.Fatalf("get: %d %v", res.StatusCode, body)
	}
	res, body = ts.apiCall(t, "GET", "/api/v1/keys?q=terminal", admin, nil)
	if res.StatusCode != 200 || body["total"] != float64(1) {
		t.Fatalf("list: %d %v", res.StatusCode, body)
	}
	if n := ts.responsesContaining(secret); n != 1 {
		t.Fatalf("secret in %d answers", n)
	}

	// PATCH changes what it names and keeps the rest.
	res, body = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"active": false, "version": 1})
	if res.StatusCode != 200 || body["active"] != false || body["version"] != float64(2) || body["type"] != "embedded" || len(body["roles"].([]any)) != 1 {
		t.Fatalf("patch: %d %v", res.StatusCode, body)
	}
	stored, _ := ts.db.Key(context.Background(), id)
	if len(stored.AllowedIPs) != 2 || len(stored.ResponseHeaders) != 1 || stored.ExpiresAt == nil {
		t.Fatalf("patch lost fields: %+v", stored)
	}
	res, body = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"active": true, "version": 1})
	if res.StatusCode != 409 || errCode(body) != "CONFLICT" {
		t.Fatalf("stale patch: %d %v", res.StatusCode, body)
	}
	res, body = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"name": "renamed"})
	if res.StatusCode != 422 || errFields(body)["name"] == nil {
		t.Fatalf("rename: %d %v", res.StatusCode, body)
	}
	// What GET answered may come back unchanged.
	res, body = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"name": "Terminal 7", "access_type": "generated", "account_id": ts.root, "active": true})
	if res.StatusCode != 200 || body["version"] != float64(3) {
		t.Fatalf("patch with the unchanged name: %d %v", res.StatusCode, body)
	}
	res, body = ts.apiCall(t, "PATCH", "/api/v1/keys/"+id, admin, map[string]any{"allowed_ips": []string{"10.0.0.0 255.0.255.0"}})
	if res.StatusCode != 422 || !strings.Contains(errFields(body)["allowed_ips"].(string), "Line 1") {
		t.Fatalf("bad netmask: %d %v", res.StatusCode, body)
	}

	// A duplicate name is a conflict on the name.
	res, body = ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "terminal 7", "type": "general"})
	if res.StatusCode != 409 || errCode(body) != "CONFLICT" {
		t.Fatalf("duplicate: %d %v", res.StatusCode, body)
	}

	// Regenerate with a grace period, then delete.
	res, body = ts.apiCall(t, "POST", "/api/v1/keys/"+id+"/regenerate", admin, map[string]any{"grace": "1h"})
	fresh, _ := body["secret"].(string)
	if res.StatusCode != 200 || fresh == secret || body["previous_secret_valid_until"] == nil || body["version"] != float64(4) {
		t.Fatalf("regenerate: %d %v", res.StatusCode, body)
	}
	if res, body := ts.apiCall(t, "POST", "/api/v1/keys/"+id+"/regenerate", admin, map[string]any{"grace": "3w"}); res.StatusCode != 422 || errFields(body)["grace"] == nil {
		t.Fatalf("bad grace: %d %v", res.StatusCode, body)
	}
	if res, _ := ts.apiCall(t, "DELETE", "/api/v1/keys/"+id, admin, nil); res.StatusCode != 204 {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res, body := ts.apiCall(t, "GET", "/api/v1/keys/"+id, admin, nil); res.StatusCode != 404 || errCode(body) != "NOT_FOUND" {
		t.Fatalf("after delete: %d %v", res.StatusCode, body)
	}
	events, _ := ts.db.KeyAudit(context.Background(), id, 10)
	if len(events) != 5 || events[0].ActorKind != apikey.PrincipalKey || events[0].ActorName != "script" {
		t.Fatalf("audit by key: %+v", events)
	}
}

// TestAPIRoleTable calls every API route with a key of every role.
func TestAPIRoleTable(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	keys := map[string]string{}
	for _, r := range []apikey.Role{apikey.RoleGlobalAdmin, apikey.RoleGlobalViewer, apikey.RoleAccountViewer, apikey.RoleSupport, ""} {
		role := r
		_, secret := ts.addKey(t, "caller "+string(role), func(k *apikey.Key) {
			if role != "" {
				k.Roles = []apikey.RoleGrant{{Role: role, Accounts: []string{apikey.AllAccounts}}}
			}
		})
		keys[string(role)] = secret
	}
	general, _ := ts.addKey(t, "general target")
	chrome, _ := ts.addKey(t, "chrome target", func(k *apikey.Key) { k.Type = apikey.TypeChrome })
	all := map[string]bool{"global-admin": true, "global-viewer": true, "account-viewer": true, "support": true}
	admin := map[string]bool{"global-admin": true}
	routes := []struct {
		method, path string
		body         any
		allowed      map[string]bool
	}{
		{"GET", "/api/v1/keys", nil, all},
		{"GET", "/api/v1/keys/" + general.ID, nil, all},
		{"POST", "/api/v1/keys", map[string]any{"name": "", "type": "general"}, admin},
		{"PATCH", "/api/v1/keys/" + general.ID, map[string]any{"active": true}, admin},
		{"POST", "/api/v1/keys/" + general.ID + "/regenerate", nil, admin},
		{"POST", "/api/v1/keys/" + chrome.ID + "/regenerate", nil, map[string]bool{"global-admin": true, "support": true}},
		{"DELETE", "/api/v1/keys/key_doesnotexist", nil, admin},
		{"POST", "/api/v1/keys/" + general.ID + "/move", map[string]any{"account_id": ts.root}, admin},                                                                     // where it is: changes nothing
		{"POST", "/api/v1/keys/bulk", map[string]any{"action": "deactivate", "ids": []string{"key_doesnotexist"}}, map[string]bool{"global-admin": true, "support": true}}, // support: refused key by key
		{"GET", "/api/v1/accounts", nil, all},
		{"POST", "/api/v1/accounts", map[string]any{"name": ""}, admin},
	}
	covered := map[string]bool{
		"POST /api/v1/keys/verify": true, // TestVerifyOutcomes: decided by the verify permission
		// TestUserTokens: any valid key may sign a user in; roles do not apply.
		"POST /api/v1/login": true, "POST /api/v1/token/refresh": true, "POST /api/v1/logout": true,
		"GET /api/v1/openapi.json": true, // TestOpenAPIDocument: public
	}
	for _, rt := range routes {
		covered[rt.method+" "+routePattern(rt.path)] = true
	}
	for _, r := range ts.srv.echo.Routes() {
		if strings.HasPrefix(r.Path, "/api/") && !covered[r.Method+" "+r.Path] {
			t.Errorf("API route %s %s is not in the role table", r.Method, r.Path)
		}
	}
	for _, rt := range routes {
		for role, secret := range keys {
			res, body := ts.apiCall(t, rt.method, rt.path, secret, rt.body)
			forbidden := res.StatusCode == http.StatusForbidden && errCode(body) == "FORBIDDEN"
			if forbidden == rt.allowed[role] || res.StatusCode >= 500 || res.StatusCode == 401 {
				t.Errorf("%s %s with a %q key: %d %v", rt.method, rt.path, role, res.StatusCode, body)
			}
		}
	}
}

// TestConcurrentVerificationWhileEditing runs verifications in parallel with
// edits of the same keys; run with -race it checks the cache's locking, and
// every answer must be one a key could have given at some moment.
func TestConcurrentVerificationWhileEditing(t *testing.T) {
	t.Parallel()
	// The clock is frozen, so the rate limit would never refill: set it out of reach.
	ts := newTestServer(t, func(c *testConfig) { c.RateLimit = verify.Config{RatePerSecond: 1e9, Burst: 1 << 30} })
	caller := ts.verifierKey(t)
	var ids, secrets []string
	for i := 0; i < 4; i++ {
		k, s := ts.addKey(t, "busy "+string(rune('a'+i)))
		ids, secrets = append(ids, k.ID), append(secrets, s)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := w; ; n++ { // each worker goes round every key
				select {
				case <-stop:
					return
				default:
				}
				res, err := ts.srv.verifier.Verify(context.Background(), verifyReq(secrets[n%len(secrets)]))
				if err != nil {
					t.Error(err)
					return
				}
				if res.Code != verify.Valid && res.Code != verify.KeyInactive {
					t.Errorf("unexpected %s", res.Code)
					return
				}
			}
		}(w)
	}
	for i := 0; i < 16; i++ {
		id := ids[i%len(ids)]
		ts.admin.post(t, keyURL(id)+"/deactivate", yes())
		ts.admin.post(t, keyURL(id)+"/activate", yes())
	}
	// After the last edit every key is active, and says so at once.
	for _, s := range secrets {
		if got, _ := ts.verify(t, caller, map[string]any{"key": s}); got != verify.Valid {
			t.Errorf("after the edits: %s", got)
		}
	}
	close(stop)
	wg.Wait()
}

func verifyReq(secret string) verify.Request { return verify.Request{Secret: secret} }

// TestEveryValidationNamesAField: a body that is not JSON, and sign-in or
// refresh without their fields, are VALIDATION errors that name the field.
func TestEveryValidationNamesAField(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "admin", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	for _, path := range []string{"/api/v1/keys", "/api/v1/accounts", "/api/v1/keys/verify", "/api/v1/login"} {
		res, out := ts.apiCall(t, "POST", path, admin, rawBody("{not json"))
		if path == "/api/v1/keys/verify" && res.StatusCode == 403 {
			continue // the admin key lacks "verify": refused before the body is read
		}
		if errCode(out) != "VALIDATION" || errFields(out)["body"] == nil {
			t.Errorf("%s with a broken body: %d %v", path, res.StatusCode, out)
		}
	}
	res, out := ts.apiCall(t, "POST", "/api/v1/login", admin, map[string]any{"username": "admin"})
	if res.StatusCode != 422 || errFields(out)["password"] == nil {
		t.Errorf("sign-in without a password: %d %v", res.StatusCode, out)
	}
	for _, path := range []string{"/api/v1/token/refresh", "/api/v1/logout"} {
		res, out = ts.apiCall(t, "POST", path, admin, map[string]any{})
		if res.StatusCode != 422 || errFields(out)["refresh_token"] == nil {
			t.Errorf("%s without a token: %d %v", path, res.StatusCode, out)
		}
	}
}

// TestBodiesAreReadStrictly: each way a JSON body can be wrong is refused,
// naming the field where there is one; nothing after the object, no field
// given twice and no name in another case slips through.
func TestBodiesAreReadStrictly(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "admin", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	for _, c := range []struct {
		body, field string
		status      int
	}{
		{``, "body", 400},
		{`   `, "body", 400},
		{`[1]`, "body", 400},
		{`{"name":"a"} {"name":"b"}`, "body", 400},
		{`{"name":"a","name":"b"}`, "name", 422},
		{`{"NAME":"a"}`, "NAME", 422},
		{`{"nope":1}`, "nope", 422},
		{`{"` + strings.Repeat("s", 40) + `":1}`, "body", 422}, // too long for a name: never repeated back
		{`{"name":1}`, "name", 422},
		{`{"allowed_ips":[1]}`, "allowed_ips", 422},
		{`{"name":"` + strings.Repeat("a", DefaultMaxBody) + `"}`, "body", 413},
	} {
		res, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, rawBody(c.body))
		if res.StatusCode != c.status || errCode(out) != "VALIDATION" || errFields(out)[c.field] == nil {
			t.Errorf("%.40q: %d %v, want %d naming %s", c.body, res.StatusCode, out, c.status, c.field)
		}
	}
	before := storetest.Count(t, ts.dbPath, "api_keys")
	if res, _ := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": 1}); res.StatusCode != 422 {
		t.Fatalf("a wrong type: %d", res.StatusCode)
	}
	if after := storetest.Count(t, ts.dbPath, "api_keys"); after != before {
		t.Errorf("%d keys, then %d: a refused body was stored", before, after)
	}
	// JSON sent as a form (curl -d without a Content-Type) is named as
	// such, not answered "the body is empty".
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	res, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, rawBody(`{"name":"a"}`), form...)
	if msg, _ := errFields(out)["body"].(string); res.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(msg, "Content-Type: application/json") {
		t.Errorf("JSON sent as a form: %d %v", res.StatusCode, out)
	}
	// An empty form is no body at all: regenerating takes none.
	k, _ := ts.addKey(t, "to regenerate")
	if res, out := ts.apiCall(t, "POST", "/api/v1/keys/"+k.ID+"/regenerate", admin, rawBody(""), form...); res.StatusCode != http.StatusOK {
		t.Errorf("regenerate with an empty form: %d %v", res.StatusCode, out)
	}
}
