package web

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// TestKeyTestExplainsEachStep: the tester lists every check in order with
// its outcome in words; the first that fails says what would fix it and
// the later ones are not checked; a previous secret in its grace period is
// named as such. The pasted key never comes back.
func TestKeyTestExplainsEachStep(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, walled := ts.addKey(t, "walled", func(k *apikey.Key) {
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Source: "192.0.2.0/24"}}
	})
	past := ts.now.Add(-time.Hour)
	_, expired := ts.addKey(t, "expired", func(k *apikey.Key) { k.ExpiresAt = &past })
	_, off := ts.addKey(t, "off", func(k *apikey.Key) { k.Active = false })
	steps := func(key, ip string) []string {
		t.Helper()
		_, body := ts.admin.post(t, "/security/api-keys/test", url.Values{"key": {key}, "client_ip": {ip}})
		if strings.Contains(body, key) {
			t.Fatal("the tested key is echoed back")
		}
		var out []string
		for _, li := range parseHTML(t, body).Find(`[data-testid="key-test-steps"] li`).EachIter() {
			out = append(out, li.AttrOr("data-outcome", "")+": "+strings.Join(strings.Fields(li.Text()), " "))
		}
		return out
	}
	cases := []struct {
		name, key, ip string
		want          []string // per step, a part of its line
	}{
		{"valid", walled, "192.0.2.7", []string{"Passed: Format", "Passed: Found", "Passed: Active", "Passed: Expiry", "Passed: Client address: Passed. 192.0.2.7 is on the allow list", "Passed: Account", "Passed: Rate limit"}},
		{"no address", walled, "", []string{"Passed", "Passed", "Passed", "Passed", "Failed: Client address: Failed. No client address was given, and the key works only from 192.0.2.0/24. To fix: Enter the address", "Not checked", "Not checked"}},
		{"checksum", otherLast(walled), "", []string{"Failed: Format and checksum: Failed. It starts like a generated key, but its checksum is wrong", "Not checked", "Not checked", "Not checked", "Not checked", "Not checked", "Not checked"}},
		{"unknown", strings.Repeat("z", 40), "", []string{"Passed: Format and checksum: Passed. A custom value.", "Failed: Found: Failed. No key has this secret", "Not checked"}},
		{"too long", strings.Repeat("z", 513), "", []string{"Failed: Format and checksum: Failed. Too long for any key: none has more than 512 characters.", "Not checked"}},
		{"short JWT", "eyJhbGciOiJFZERTQSJ9.e30.x", "", []string{"Failed: Format and checksum: Failed. Too short for any key", "Not checked"}},
		{"expired", expired, "", []string{"Passed", "Passed", "Passed", "Failed: Expiry: Failed. It expired", "Not checked"}},
		{"inactive", off, "", []string{"Passed", "Passed", "Failed: Active: Failed. The key is switched off. To fix: Activate it"}},
	}
	for _, c := range cases {
		got := steps(c.key, c.ip)
		if len(got) != 7 {
			t.Fatalf("%s: %d steps: %q", c.name, len(got), got)
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s, step %d: %q, want %q", c.name, i+1, got[i], w)
			}
		}
	}
	// A regenerate with a grace period: the old secret is found as such.
	k, old := ts.addKey(t, "rotating")
	if res, _ := ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"24h"}}); res.StatusCode != 200 {
		t.Fatalf("regenerate: %d", res.StatusCode)
	}
	if got := steps(old, ""); !strings.Contains(got[1], "by its previous secret, which works until") {
		t.Fatalf("old secret: %q", got[1])
	}
}
