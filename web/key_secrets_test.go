package web

import (
	"net/http"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// A custom value equal to another key's previous secret, still in its
// grace period, is refused beside the field (page and JSON), so that
// verification never answers for the wrong key; a custom value shows only
// its last four characters.
func TestCustomValueCannotTakeAPreviousSecret(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "admin", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	verifier := ts.verifierKey(t)
	const value = "Shared-Custom-Value-Long-Enough-2026-abcd"
	res, a := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "A", "type": "general", "access_type": "custom", "custom_value": value})
	if res.StatusCode != http.StatusCreated || a["display_prefix"] != "…abcd" {
		t.Fatalf("create A: %d %v", res.StatusCode, a)
	}
	if res, out := ts.apiCall(t, "POST", "/api/v1/keys/"+a["id"].(string)+"/regenerate", admin, map[string]any{"grace": "1h"}); res.StatusCode != http.StatusOK {
		t.Fatalf("regenerate A: %d %v", res.StatusCode, out)
	}
	res, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "B", "type": "general", "access_type": "custom", "custom_value": value})
	if res.StatusCode != http.StatusUnprocessableEntity || errCode(out) != "VALIDATION" || errFields(out)["custom_value"] == nil {
		t.Fatalf("create B with A's previous secret: %d %v", res.StatusCode, out)
	}
	form := createForm("B")
	form.Set("access_type", "custom")
	form.Set("custom_value", value)
	res, body := ts.admin.post(t, "/security/api-keys", form)
	doc := parseHTML(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity || strings.TrimSpace(doc.Find(`[data-testid="error-custom_value"]`).Text()) == "" {
		t.Fatalf("form with A's previous secret: %d", res.StatusCode)
	}
	if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "B" {
		t.Errorf("the form lost what was typed: name %q", v)
	}
	_, ans := ts.apiCall(t, "POST", "/api/v1/keys/verify", verifier, map[string]any{"key": value})
	if ans["valid"] != true || ans["key_id"] != a["id"] {
		t.Fatalf("verify the previous secret: %v, want key A", ans)
	}
	if res, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "C", "type": "general", "access_type": "custom",
		"custom_value": "Visible-Start-Hidden-Value-Long-Enough-wxyz"}); res.StatusCode != http.StatusCreated {
		t.Fatalf("create C: %d %v", res.StatusCode, out)
	}
	_, list := ts.get(t, "/security/api-keys")
	if strings.Contains(list, "Visible-") || !strings.Contains(list, "…wxyz") {
		t.Error("the list shows the start of a custom value, or not its last four characters")
	}
}
