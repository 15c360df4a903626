package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// A query parameter an operation does not take is refused by name, as an
// unknown body field is, never answered as if it were not there.
func TestAPIRefusesUnknownQueryParameters(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "admin", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}
		k.AdvancedPermissions = []string{apikey.AdvancedVerify}
	})
	victim, secret := ts.addKey(t, "victim")

	refused := []struct {
		method, path string
		body         any
		field, says  string
	}{
		// "account" for "account_id": once the caller's own keys, silently.
		{"GET", "/api/v1/keys?account=acc_other", nil, "account", "this operation takes account_id, q, type, status, sort, attention, limit, offset."},
		{"GET", "/api/v1/keys?limit=1&limit=50", nil, "limit", "given twice"},
		{"GET", "/api/v1/keys?limit=%zz", nil, "query", "not valid"},
		{"GET", "/api/v1/keys?=1", nil, "query", "Unknown parameter"},
		// A secret pasted as the query is refused without being repeated.
		{"GET", "/api/v1/keys?" + secret, nil, "query", "Unknown parameter"},
		{"GET", "/api/v1/keys/" + victim.ID + "?fields=name", nil, "fields", "takes no query parameters"},
		{"GET", "/api/v1/accounts?limit=5", nil, "limit", "takes no query parameters"},
		{"POST", "/api/v1/keys/verify?key=" + secret, map[string]any{"key": secret}, "key", "takes no query parameters"},
		// A misspelt reason would have deleted the key without one.
		{"DELETE", "/api/v1/keys/" + victim.ID + "?reasn=rotated", nil, "reasn", "this operation takes reason."},
	}
	for _, c := range refused {
		res, body := ts.apiCall(t, c.method, c.path, admin, c.body)
		e, _ := body["error"].(map[string]any)
		fields, _ := e["fields"].(map[string]any)
		msg, _ := fields[c.field].(string)
		if res.StatusCode != http.StatusUnprocessableEntity || e["code"] != "VALIDATION" || !strings.Contains(msg, c.says) {
			t.Errorf("%s %s: %d %v; want 422 VALIDATION naming %q with %q", c.method, c.path, res.StatusCode, body, c.field, c.says)
		}
	}
	if n := ts.responsesContaining(secret); n != 0 {
		t.Errorf("the secret came back in %d answers", n)
	}
	// Nothing was done by the refused requests: the key is still there.
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys/"+victim.ID, admin, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the key is gone after refused requests: %d", res.StatusCode)
	}

	// The parameters an operation takes still work.
	res, body := ts.apiCall(t, "GET", "/api/v1/keys?limit=1&offset=0&sort=name", admin, nil)
	if res.StatusCode != http.StatusOK || body["limit"] != float64(1) {
		t.Fatalf("documented parameters: %d %v", res.StatusCode, body)
	}
	if res, _ := ts.apiCall(t, "DELETE", "/api/v1/keys/"+victim.ID+"?reason=rotated", admin, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete with a reason: %d", res.StatusCode)
	}

	// The key is checked first: without one, a wrong parameter tells nothing.
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys?account=acc_other", "", nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no key: %d, want 401", res.StatusCode)
	}

	// Thousands of unknown parameters get a short answer.
	var q strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&q, "&p%d=1", i)
	}
	res, body = ts.apiCall(t, "GET", "/api/v1/keys?"+q.String()[1:], admin, nil)
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if res.StatusCode != http.StatusUnprocessableEntity || len(fields) != maxQueryErrors {
		t.Fatalf("2,000 unknown parameters: %d, %d fields named", res.StatusCode, len(fields))
	}
}

// queryParams, read from the document with no OpenAPI library, agree with
// the document as an OpenAPI loader reads it (references resolved, a path's
// own parameters shared by its operations), for every operation.
func TestQueryParametersOfEveryOperation(t *testing.T) {
	t.Parallel()
	spec, err := openAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	ops := 0
	for path, item := range spec.doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			want := []string{}
			for _, p := range slices.Concat(item.Parameters, op.Parameters) {
				if p.Value.In == "query" {
					want = append(want, p.Value.Name)
				}
			}
			key := method + " " + strings.NewReplacer("{", ":", "}", "").Replace(path)
			if got, ok := queryParams[key]; !ok || !slices.Equal(got, want) {
				t.Errorf("%s: %v (described: %v), want %v", key, got, ok, want)
			}
		}
	}
	if ops != len(queryParams) || ops < 15 {
		t.Errorf("%d operations in the document, %d read", ops, len(queryParams))
	}
	if got := queryParams["GET /api/v1/keys"]; !slices.Equal(got, []string{"account_id", "q", "type", "status", "sort", "attention", "limit", "offset"}) {
		t.Errorf("GET /api/v1/keys takes %v", got)
	}
}
