package web

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// unmaskCSRF is the visit's token behind a token a page showed.
func unmaskCSRF(t testing.TB, shown string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(shown)
	if err != nil || len(b) == 0 || len(b)%2 != 0 {
		t.Fatalf("token %q is not masked", shown)
	}
	pad, masked := b[:len(b)/2], b[len(b)/2:]
	out := make([]byte, len(masked))
	for i := range masked {
		out[i] = pad[i] ^ masked[i]
	}
	return string(out)
}

// Each answer shows the token behind a fresh pad; every string shown works,
// in the form field and in htmx's header, and nothing else does.
func TestCSRFMaskedPerAnswer(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "shown in the list")
	_, first := ts.get(t, "/security/api-keys")
	_, second := ts.get(t, "/security/api-keys")
	a, b := csrfIn(t, first), csrfIn(t, second)
	if a == b {
		t.Fatal("two answers show the same token")
	}
	token := unmaskCSRF(t, a)
	if unmaskCSRF(t, b) != token || len(token) < 32 {
		t.Fatal("the two answers mask different tokens")
	}
	// Every token a page shows is masked: forms and the meta tag alike.
	doc := parseHTML(t, first)
	fields := doc.Find(`input[name="_csrf"]`)
	if fields.Length() < 2 {
		t.Fatalf("%d token fields in the list", fields.Length())
	}
	fields.Each(func(_ int, f *goquery.Selection) {
		if v, _ := f.Attr("value"); unmaskCSRF(t, v) != token {
			t.Errorf("field token %q masks another token", v)
		}
	})

	testKey := func(headers []string, form url.Values) int {
		t.Helper()
		res, _ := ts.admin.postRaw(t, "/security/api-keys/test", form, headers...)
		return res.StatusCode
	}
	keyForm := func(token string) url.Values {
		return url.Values{"key": {"kc_g_unknown"}, "client_ip": {""}, "_csrf": {token}}
	}
	for _, shown := range []string{a, b} {
		if got := testKey(nil, keyForm(shown)); got != http.StatusOK {
			t.Errorf("form field %q: %d", shown, got)
		}
		if got := testKey([]string{"X-CSRF-Token", shown}, keyForm("")); got != http.StatusOK {
			t.Errorf("header %q: %d", shown, got)
		}
	}

	raw, _ := base64.RawURLEncoding.DecodeString(a)
	raw[len(raw)-1] ^= 1
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	for what, bad := range map[string]string{
		"the bare token":      token,
		"a tampered token":    tampered,
		"a short token":       a[:len(a)-1],
		"a long token":        a + "A",
		"a token of its pads": base64.RawURLEncoding.EncodeToString(make([]byte, 2*len(token))),
		"not base64":          strings.Repeat("*", len(a)),
	} {
		if got := testKey(nil, keyForm(bad)); got != http.StatusForbidden {
			t.Errorf("%s in the form: %d", what, got)
		}
		if got := testKey([]string{"X-CSRF-Token", bad}, keyForm("")); got != http.StatusForbidden {
			t.Errorf("%s in the header: %d", what, got)
		}
	}
	if n := ts.responsesContaining(token); n != 0 {
		t.Errorf("%d answers show the bare token", n)
	}
}
