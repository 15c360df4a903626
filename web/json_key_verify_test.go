package web

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/verify"
)

// The verification answer is written by hand; it must stay what
// encoding/json would write, escapes and all.
func TestVerifyAnswerJSONAsEncodingJSON(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	at := time.Date(2027, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	plus := time.Date(2027, 3, 4, 5, 6, 7, 0, time.FixedZone("", 2*3600))
	for _, a := range []verifyAnswer{
		{Code: "NOT_FOUND", Roles: []string{}},
		{Valid: true, Code: "VALID", KeyID: str("key_1"), AccountID: str("acc_root"), Roles: []string{"global-admin", "account-viewer"}, ExpiresAt: &at},
		{Valid: true, Code: "VALID", KeyID: str(`k"e\y<&>`), AccountID: str("é\u2028\x01"), Roles: []string{"r"}, ExpiresAt: &plus},
	} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(a); err != nil {
			t.Fatal(err)
		}
		got := append(a.appendJSON(nil), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendJSON:\n got %s\nwant %s", got, want.Bytes())
		}
	}
}

// A valid answer is kept with the cached key, made once; a change to the
// key is answered at once, kept answer and all, and the answer is the same
// bytes whichever way it was made.
func TestVerifyAnswerFollowsTheKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	caller := ts.verifierKey(t)
	_, admin := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	k, secret := ts.addKey(t, "client", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleSupport}} })
	answer := func() string {
		t.Helper()
		res, body := ts.apiRaw(t, "POST", "/api/v1/keys/verify", caller, rawBody(`{"key":"`+secret+`"}`))
		if res.StatusCode != 200 {
			t.Fatalf("verify: %d %s", res.StatusCode, body)
		}
		return string(body)
	}
	first := answer()
	if !strings.Contains(first, `"roles":["support"]`) || answer() != first {
		t.Fatalf("answers %s, then another", first)
	}
	res, out := ts.apiCall(t, "PATCH", "/api/v1/keys/"+k.ID, admin, map[string]any{"roles": []string{"global-viewer", "support"}, "expires_in": "custom", "expires_on": "2031-01-02"})
	if res.StatusCode != 200 {
		t.Fatalf("update: %d %v", res.StatusCode, out)
	}
	stored, err := ts.db.Key(context.Background(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := string(appendValidAnswer(nil, stored))
	if !strings.Contains(want, `"roles":["global-viewer","support"],"expires_at":"2031-01-0`) {
		t.Fatalf("the stored key answers %s", want)
	}
	if got := answer(); got != want {
		t.Fatalf("after the change:\n got %s\nwant %s", got, want)
	}
}

// Every refusal has its answer made at start, the one encoding/json would
// write: a code without one would be answered with an empty body.
func TestEveryRefusalHasItsAnswer(t *testing.T) {
	t.Parallel()
	for _, code := range verify.Codes {
		if code == verify.Valid {
			continue
		}
		want, _ := json.Marshal(verifyAnswer{Code: code, Roles: []string{}})
		if got := refusedAnswers[code]; string(got) != string(want)+"\n" {
			t.Errorf("%s: %q, want %s", code, got, want)
		}
	}
	if len(refusedAnswers) != len(verify.Codes)-1 {
		t.Errorf("%d refusals answered, %d codes besides Valid", len(refusedAnswers), len(verify.Codes)-1)
	}
}
