package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// An Account Viewer sees, in the roles of the keys it may see, the
// accounts it may see by name (pages) or id (JSON), and every other one
// only as "another account".
func TestRolesHideAccountsOutOfScope(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	scoped := []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: []string{tr.customer, tr.other}}}
	k, _ := ts.addKey(t, "customer key", inAccount(tr.customer), func(k *apikey.Key) { k.Roles = scoped })
	cora := ts.signIn(t, "cora", ts.addUser(t, "cora", apikey.RoleAccountViewer, tr.vendor))
	for _, path := range []string{"/security/api-keys?account=" + tr.customer, keyURL(k.ID) + "?account=" + tr.customer} {
		res, body := cora.get(t, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		shown := strings.Contains(body, "Account Viewer (Customer, another account)") || strings.Contains(body, "Account Viewer (another account, Customer)")
		if !shown || strings.Contains(body, "Other vendor") || strings.Contains(body, tr.other) {
			t.Errorf("%s shows the roles as %q", path, parseHTML(t, body).Find("body").Text())
		}
	}
	_, key := ts.addKey(t, "vendor viewer", inAccount(tr.vendor), func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: []string{tr.vendor}}}
	})
	res, out := ts.apiCall(t, "GET", "/api/v1/keys/"+k.ID, key, nil)
	got, _ := out["role_accounts"].([]any)
	if res.StatusCode != http.StatusOK || len(got) != 2 || !slices.Contains(got, any(tr.customer)) || !slices.Contains(got, any(apikey.AnotherAccount)) {
		t.Errorf("JSON role_accounts: %d %v", res.StatusCode, out)
	}
	res, out = ts.apiCall(t, "GET", "/api/v1/keys?account_id="+tr.customer, key, nil)
	if list, _ := out["keys"].([]any); res.StatusCode != http.StatusOK || len(list) == 0 || strings.Contains(fmt.Sprint(list), tr.other) {
		t.Errorf("JSON list: %d %v", res.StatusCode, out)
	}
	_, admin := ts.addKey(t, "admin", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	_, out = ts.apiCall(t, "GET", "/api/v1/keys/"+k.ID, admin, nil)
	if got, _ := out["role_accounts"].([]any); len(got) != 2 || !slices.Contains(got, any(tr.other)) {
		t.Errorf("a Global Admin's JSON role_accounts: %v", out)
	}
}

// A verifying key used on behalf of a signed-in user (the user's access
// token beside it) learns of no key outside that user's accounts, though
// the key alone, in the root account, sees them all.
func TestVerifyOnBehalfOfAUserKeepsToTheUsersAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	_, verifier := ts.addKey(t, "verifier app", func(k *apikey.Key) {
		k.AllowUnauthenticated, k.AllowUntrustedEndpoints = false, true
		k.AdvancedPermissions = []string{apikey.AdvancedVerify}
	})
	_, inside := ts.addKey(t, "customer key", inAccount(tr.customer))
	_, outside := ts.addKey(t, "other key", inAccount(tr.other))
	code, tok := login(t, ts, verifier, map[string]any{"username": "cora", "password": ts.addUser(t, "cora", apikey.RoleAccountViewer, tr.vendor)})
	if code != http.StatusOK {
		t.Fatalf("sign-in: %d %v", code, tok)
	}
	bearer := "Bearer " + tok["access_token"].(string)
	for secret, want := range map[string]string{inside: "VALID", outside: "NOT_FOUND"} {
		res, out := ts.apiCall(t, "POST", "/api/v1/keys/verify", verifier, map[string]any{"key": secret}, "Authorization", bearer)
		if res.StatusCode != http.StatusOK || out["code"] != want {
			t.Errorf("verify on behalf of cora: %d %v, want %s", res.StatusCode, out, want)
		}
	}
}
