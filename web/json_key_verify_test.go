package web

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
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
