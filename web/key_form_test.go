package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
)

const customSecret = "My-Own-Very-Long-Custom-Value-2026-xyz"

// refusedBeside checks a 422 whose message for field holds want.
func refusedBeside(t *testing.T, res *http.Response, body, field, want string) *goquery.Document {
	t.Helper()
	doc := parseHTML(t, body)
	msg := doc.Find(`[data-testid="error-` + field + `"]`).Text()
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, want) {
		t.Fatalf("%s: %d, message %q, want %q", field, res.StatusCode, msg, want)
	}
	return doc
}

// Input typed for a choice other than the one picked is refused beside its
// field, never dropped, and the form keeps what was typed (but a secret).
func TestKeyFormRefusesContradictoryInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	cases := []struct {
		name, field, want string
		change            func(url.Values)
		kept, keptValue   string // a field that must come back as typed, and its value
	}{
		{"custom days with a preset", "custom_days", "only for a custom expiry",
			func(v url.Values) { v.Set("expires_in", "180d"); v.Set("custom_days", "45") }, "#custom_days", "45"},
		{"date with never", "expires_on", "only for a custom expiry",
			func(v url.Values) { v.Set("expires_in", "never"); v.Set("expires_on", "2099-01-31") }, "#expires_on", "2099-01-31"},
		{"custom value with a generated secret", "custom_value", "choose “Custom value”",
			func(v url.Values) { v.Set("custom_value", customSecret) }, "#access_type option[selected]", "generated"},
		{"accounts without Account Viewer", "role_accounts", "Account Viewer role",
			func(v url.Values) { v["roles"] = []string{"support"} }, `input[name="role_accounts"][checked]`, "all"},
		{"excluded on an empty header row", "response_headers", "Excluded is ticked on an empty row", func(v url.Values) {
			v["header_name"], v["header_value"], v["header_excluded"] = []string{"X-Team", ""}, []string{"billing", ""}, []string{"1"}
		}, `input[name="header_name"]`, "X-Team"},
	}
	for _, c := range cases {
		form := createForm("Contradiction " + c.name)
		c.change(form)
		res, body := ts.admin.post(t, "/security/api-keys", form)
		doc := refusedBeside(t, res, body, c.field, c.want)
		if got := doc.Find(c.kept).First().AttrOr("value", ""); got != c.keptValue {
			t.Errorf("%s: kept %q, want %q", c.name, got, c.keptValue)
		}
		if v := doc.Find("#name").AttrOr("value", ""); v != "Contradiction "+c.name {
			t.Errorf("%s: name not kept: %q", c.name, v)
		}
		if strings.Contains(body, customSecret) {
			t.Errorf("%s: the custom value came back", c.name)
		}
	}
	if p, _ := ts.db.ListKeys(t.Context(), storeQuery(ts, "Contradiction")); len(p.Keys) != 0 {
		t.Fatalf("stored %d keys", len(p.Keys))
	}

	// An edit: days typed while Expires says "keep".
	k, _ := ts.addKey(t, "Edited")
	_, page := ts.get(t, keyURL(k.ID)+"/edit")
	edit := formValues(parseHTML(t, page).Find(`[data-testid="key-form"]`))
	edit.Set("custom_days", "10")
	res, body := ts.admin.post(t, keyURL(k.ID), edit)
	doc := refusedBeside(t, res, body, "custom_days", "choose Custom under Expires")
	if doc.Find("#custom_days").AttrOr("value", "") != "10" || doc.Find(`#expires_in option[selected]`).AttrOr("value", "") != "keep" {
		t.Error("edit not kept as typed")
	}
	if got, _ := ts.db.Key(t.Context(), k.ID); got.Version != 1 {
		t.Fatal("refused edit was stored")
	}
}

// Regenerating a custom-value key: a value typed under "generate" is
// refused, not dropped; a bad grace is refused beside its field.
func TestRegenerateRefusesContradictoryInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	form := createForm("Own value")
	form.Set("access_type", "custom")
	form.Set("custom_value", customSecret)
	if res, _ := ts.admin.post(t, "/security/api-keys", form); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	k := keyByName(t, ts, "Own value")
	res, body := ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"secret": {"generate"}, "custom_value": {customSecret + "-2"}})
	doc := refusedBeside(t, res, body, "custom_value", "only with “Enter a new custom value”")
	if !doc.Find(`input[name="secret"][value="generate"]`).Is("[checked]") || strings.Contains(body, customSecret) {
		t.Error("choice not kept, or the value echoed")
	}
	res, body = ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"secret": {"generate"}, "grace": {"2d"}})
	refusedBeside(t, res, body, "grace", "immediately, 1 hour, 24 hours or 7 days")
	if got := keyByName(t, ts, "Own value"); got.SecretHash != k.SecretHash {
		t.Fatal("a refused regenerate replaced the secret")
	}
}

// The JSON API refuses a field that contradicts another, naming it.
func TestJSONContradictoryFields(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	viewer, _ := ts.addKey(t, "viewer", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: []string{apikey.AllAccounts}}}
	})
	for _, c := range []struct {
		method, path, field string
		body                map[string]any
	}{
		{"POST", "/api/v1/keys", "custom_value", map[string]any{"name": "a", "type": "general", "custom_value": customSecret}},
		{"POST", "/api/v1/keys", "custom_value", map[string]any{"name": "b", "type": "general", "access_type": "jwt", "custom_value": customSecret}},
		{"POST", "/api/v1/keys", "custom_days", map[string]any{"name": "c", "type": "general", "expires_in": "30d", "custom_days": 45}},
		{"POST", "/api/v1/keys", "expires_on", map[string]any{"name": "d", "type": "general", "expires_in": "never", "expires_on": "2099-01-31"}},
		{"POST", "/api/v1/keys", "role_accounts", map[string]any{"name": "e", "type": "general", "roles": []string{"support"}, "role_accounts": []string{"all"}}},
		{"PATCH", "/api/v1/keys/" + viewer.ID, "custom_days", map[string]any{"custom_days": "45"}},
		{"PATCH", "/api/v1/keys/" + viewer.ID, "role_accounts", map[string]any{"roles": []string{"support"}, "role_accounts": []string{"all"}}},
	} {
		res, body := ts.apiCall(t, c.method, c.path, admin, c.body)
		if res.StatusCode != 422 || errCode(body) != "VALIDATION" || errFields(body)[c.field] == nil {
			t.Errorf("%s %v: %d %v", c.method, c.body, res.StatusCode, body)
		}
	}
	// Roles changed without accounts: the stored accounts go with the role.
	res, body := ts.apiCall(t, "PATCH", "/api/v1/keys/"+viewer.ID, admin, map[string]any{"roles": []string{"support"}})
	if res.StatusCode != 200 || len(body["role_accounts"].([]any)) != 0 {
		t.Fatalf("roles without accounts: %d %v", res.StatusCode, body)
	}
}
