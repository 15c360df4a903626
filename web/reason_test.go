package web

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// TestReasonsReachTheAuditLog: deactivate, regenerate and delete take an
// optional reason, in the console and the API; it is shown in the audit
// log, the key's audit tab and the CSV, joins the hash chain, and one too
// long is refused beside its field without anything changing.
func TestReasonsReachTheAuditLog(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "reasoned")
	if _, body := ts.get(t, keyURL(k.ID)+"/deactivate"); parseHTML(t, body).Find(`input[name="reason"]`).Length() != 1 {
		t.Fatal("the deactivate question offers no reason")
	}
	res, body := ts.admin.post(t, keyURL(k.ID)+"/deactivate", yes("reason", strings.Repeat("x", apikey.MaxReasonLen+1)))
	if res.StatusCode != 422 || !strings.Contains(parseHTML(t, body).Find(`[data-testid="error-reason"]`).Text(), "Keep the reason to 200") {
		t.Fatalf("a long reason: %d", res.StatusCode)
	}
	if stored, _ := ts.db.Key(context.Background(), k.ID); !stored.Active {
		t.Fatal("deactivated all the same")
	}
	if res, _ := ts.admin.post(t, keyURL(k.ID)+"/deactivate", yes("reason", "  leaked in ticket 4711 ")); res.StatusCode != 303 {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"0"}, "reason": {"rotation after the leak"}}); res.StatusCode != 200 {
		t.Fatalf("regenerate: %d", res.StatusCode)
	}
	_, script := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	if res, out := ts.apiCall(t, "POST", "/api/v1/keys/"+k.ID+"/regenerate", script, map[string]any{"reason": "a\nb"}); res.StatusCode != 422 || errFields(out)["reason"] == nil {
		t.Fatalf("a reason on two lines: %d %v", res.StatusCode, out)
	}
	if res, _ := ts.apiCall(t, "DELETE", "/api/v1/keys/"+k.ID+"?reason="+url.QueryEscape("customer left"), script, nil); res.StatusCode != 204 {
		t.Fatalf("delete: %d", res.StatusCode)
	}

	_, body = ts.get(t, "/security/audit")
	var shown []string
	for _, r := range parseHTML(t, body).Find(`[data-testid="audit-reason"]`).EachIter() {
		shown = append(shown, r.Text())
	}
	want := []string{"Reason: customer left", "Reason: rotation after the leak", "Reason: leaked in ticket 4711"}
	if strings.Join(shown, "|") != strings.Join(want, "|") {
		t.Fatalf("reasons shown %q, want %q", shown, want)
	}
	_, raw := ts.get(t, "/security/audit.csv")
	rows, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if head := rows[0]; head[len(head)-1] != "reason" || rows[1][len(head)-1] != "customer left" {
		t.Fatalf("CSV %q / %q", head, rows[1])
	}
	if check, err := ts.db.VerifyAudit(context.Background()); err != nil || check.Problem != "" {
		t.Fatalf("chain: %+v %v", check, err)
	}
}
