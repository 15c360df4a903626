package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// asSent is a transport that neither asks for compression nor undoes it.
var asSent = &http.Transport{DisableCompression: true}

// wire sends a request as c with the headers given and nothing added (no
// Accept-Encoding of Go's own), and returns the answer as it came: its body
// still compressed, if it was.
func (c *client) wire(t testing.TB, method, path string, form url.Values, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
		headers = append(headers, "Content-Type", "application/x-www-form-urlencoded")
	}
	raw := &http.Client{Jar: c.http.Jar, Transport: asSent, CheckRedirect: c.http.CheckRedirect}
	return c.send(t, raw, method, path, body, headers...)
}

func gunzip(t testing.TB, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(plain)
}

func varies(res *http.Response) bool {
	for _, v := range res.Header.Values("Vary") {
		for name := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(name), "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}

// Pages, htmx fragments and the CSV export go gzip'd to a client that asks,
// as they are to one that does not; either way they vary by Accept-Encoding.
func TestPagesCompressedWhenAsked(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "compressed key")
	for i := range 10 { // audit events enough for a CSV over 1 KiB
		ts.admin.post(t, "/security/api-keys", createForm(fmt.Sprintf("audited key %d", i)))
	}
	anon := ts.newClient(t)
	cases := []struct {
		c       *client
		path    string
		headers []string
		want    string
	}{
		{ts.admin, "/security/api-keys", nil, "compressed key"},
		{ts.admin, "/security/api-keys", []string{"HX-Request", "true", "HX-Target", "key-list"}, "compressed key"},
		{ts.admin, "/security/api-keys/new", []string{"HX-Request", "true", "HX-Target", "dialog-slot"}, `name="_csrf"`},
		{ts.admin, "/users", nil, "admin"},
		{ts.admin, "/security/audit.csv", nil, "time_utc,actor_kind"},
		{anon, "/login", nil, `name="_csrf"`},
	}
	for _, tc := range cases {
		res, b := tc.c.wire(t, http.MethodGet, tc.path, nil, append([]string{"Accept-Encoding", "gzip, deflate, br"}, tc.headers...)...)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" || !varies(res) {
			t.Errorf("%s %v: %d, encoding %q, Vary %q", tc.path, tc.headers, res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Values("Vary"))
			continue
		}
		if plain := gunzip(t, b); !strings.Contains(plain, tc.want) || len(b) >= len(plain) {
			t.Errorf("%s %v: %d bytes compressed to %d, %q in them: %v", tc.path, tc.headers, len(plain), len(b), tc.want, strings.Contains(plain, tc.want))
		}
		for _, ae := range []string{"", "identity", "gzip;q=0", "br", "deflate, gzip; q=0.000"} {
			res, b := tc.c.wire(t, http.MethodGet, tc.path, nil, append([]string{"Accept-Encoding", ae}, tc.headers...)...)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" || !varies(res) || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s %v, Accept-Encoding %q: %d, encoding %q, Vary %q", tc.path, tc.headers, ae, res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Values("Vary"))
			}
		}
	}
}

// The answers that show a new secret are never compressed, whatever the
// client takes: the console's show-once dialog and page after create and
// regenerate, and the JSON API's.
func TestNewSecretsNeverCompressed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, script := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	gz := []string{"Accept-Encoding", "gzip"}
	dialog := []string{"HX-Request", "true", "HX-Target", "dialog-slot"}
	for i, headers := range [][]string{gz, append(dialog, gz...)} {
		name := []string{"shown on a page", "shown in a dialog"}[i]
		_, page := ts.get(t, "/security/api-keys")
		form := createForm(name)
		form.Set("_csrf", csrfIn(t, page))
		res, b := ts.admin.wire(t, http.MethodPost, "/security/api-keys", form, headers...)
		if res.StatusCode != http.StatusCreated || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("create, %s: %d, encoding %q", name, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		secretIn(t, string(b))
		k := keyByName(t, ts, name)
		res, b = ts.admin.wire(t, http.MethodPost, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"0"}, "_csrf": {csrfIn(t, page)}}, headers...)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("regenerate, %s: %d, encoding %q", name, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		secretIn(t, string(b))
	}

	res, body := ts.apiCall(t, "POST", "/api/v1/keys", script, map[string]any{"name": "made by a script", "type": "general"}, gz...)
	if res.StatusCode != http.StatusCreated || res.Header.Get("Content-Encoding") != "" || body["secret"] == nil {
		t.Fatalf("API create: %d, encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	res, body = ts.apiCall(t, "POST", "/api/v1/keys/"+body["id"].(string)+"/regenerate", script, map[string]any{}, gz...)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" || body["secret"] == nil {
		t.Fatalf("API regenerate: %d, encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
}
