package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"keyconsole/internal/apikey"
)

// countingBody is a body of size bytes, the letter a after its head,
// counting what the server reads of it.
type countingBody struct {
	head []byte
	size int64
	read atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	if left := b.size - b.read.Load(); left <= 0 {
		return 0, io.EOF
	} else if int64(len(p)) > left {
		p = p[:left]
	}
	for i := range p {
		n := b.read.Load() + int64(i)
		if n < int64(len(b.head)) {
			p[i] = b.head[n]
		} else {
			p[i] = 'a'
		}
	}
	b.read.Add(int64(len(p)))
	return len(p), nil
}

func (b *countingBody) Close() error { return nil }

// An oversized body, before sign-in or after, as a form, multipart or
// JSON, is refused with 413 (or 415 for multipart of unknown length)
// without the server reading it whole: nothing when its length says it
// is too large, at most the limit otherwise.
func TestLargeBodiesAreRefusedUnread(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, key := ts.addKey(t, "app")
	u, _ := url.Parse(ts.URL)
	adminCookies := ts.admin.http.Jar.Cookies(u)
	const huge = 40 << 20
	for _, c := range []struct {
		name, path, contentType, head string
		length                        int64 // -1: unknown (chunked)
		key                           bool  // with the API key
		signedIn                      bool
		status                        int
		maxRead                       int64
	}{
		{"sign-in form, length given", "/login", "application/x-www-form-urlencoded", "username=", huge, false, false, 413, 0},
		{"sign-in form, length unknown", "/login", "application/x-www-form-urlencoded", "username=", -1, false, false, 413, DefaultMaxBody + 1},
		{"sign-in multipart, length given", "/login", "multipart/form-data; boundary=x", "--x\r\n", huge, false, false, 413, 0},
		{"sign-in multipart, length unknown", "/login", "multipart/form-data; boundary=x", "--x\r\n", -1, false, false, 415, 0},
		{"API sign-in JSON, length given", "/api/v1/login", "application/json", `{"username":"`, huge, false, false, 413, 0},
		{"API sign-in JSON with a key, length unknown", "/api/v1/login", "application/json", `{"username":"`, -1, true, false, 413, DefaultMaxBody + 1},
		{"API sign-in form with a key, length unknown", "/api/v1/login", "application/x-www-form-urlencoded", "username=", -1, true, false, 413, DefaultMaxBody + 1},
		{"API multipart with a key, length unknown", "/api/v1/login", "multipart/form-data; boundary=x", "--x\r\n", -1, true, false, 415, 0},
		{"signed-in key form, length given", "/security/api-keys", "application/x-www-form-urlencoded", "name=", huge, false, true, 413, 0},
		{"signed-in key form, length unknown", "/security/api-keys", "application/x-www-form-urlencoded", "name=", -1, false, true, 413, DefaultMaxBody + 1},
	} {
		body := &countingBody{head: []byte(c.head), size: huge}
		req := httptest.NewRequest(http.MethodPost, c.path, body)
		req.ContentLength = c.length
		req.Header.Set("Content-Type", c.contentType)
		if c.key {
			req.Header.Set("X-Api-Key", key)
		}
		if c.signedIn {
			for _, ck := range adminCookies {
				req.AddCookie(ck)
			}
		}
		rec := httptest.NewRecorder()
		ts.Config.Handler.ServeHTTP(rec, req) // through the OpenAPI check
		if rec.Code != c.status {
			t.Errorf("%s: %d %.200s, want %d", c.name, rec.Code, rec.Body.String(), c.status)
		}
		if got := body.read.Load(); got > c.maxRead {
			t.Errorf("%s: the server read %d bytes, want at most %d", c.name, got, c.maxRead)
		}
		if strings.HasPrefix(c.path, "/api/") {
			var out map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || errCode(out) != "VALIDATION" || errFields(out)["body"] == nil {
				t.Errorf("%s: %.200s, want a VALIDATION error naming the body", c.name, rec.Body.String())
			}
		}
	}
}

// --max-body sets the one limit for forms and JSON alike, over real HTTP.
func TestMaxBodyIsConfigured(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *testConfig) { c.MaxBody = 2048 })
	_, admin := ts.addKey(t, "admin", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	res, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, rawBody(`{"name":"`+strings.Repeat("a", 2048)+`"}`))
	if res.StatusCode != 413 || errCode(out) != "VALIDATION" || errFields(out)["body"] != "The body is larger than 2 KiB." {
		t.Errorf("JSON over the limit: %d %v", res.StatusCode, out)
	}
	if res, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{"name": "Small", "type": "general"}); res.StatusCode != 201 {
		t.Errorf("JSON under the limit: %d %v", res.StatusCode, out)
	}
	res, body := ts.admin.post(t, "/security/api-keys", url.Values{"name": {strings.Repeat("a", 2048)}})
	if res.StatusCode != 413 || !strings.Contains(body, "The body is larger than 2 KiB.") {
		t.Errorf("form over the limit: %d %.300s", res.StatusCode, body)
	}
}

// A body of a declared length ends there, over real HTTP: the server reads
// no further, however much more the client sends (net/http's bound, which
// limitBody relies on for such bodies). Cut at its declared 20 bytes, this
// JSON is malformed; read whole, it would be a valid verification.
func TestBodyEndsAtItsDeclaredLength(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, caller := ts.addKey(t, "caller", func(k *apikey.Key) { k.AdvancedPermissions = []string{apikey.AdvancedVerify} })
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"key":"` + strings.Repeat("a", 40) + `"}`
	fmt.Fprintf(conn, "POST /api/v1/keys/verify HTTP/1.1\r\nHost: x\r\nX-Api-Key: %s\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n%s", caller, body)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 400 || errFields(out)["body"] != "The body is not valid JSON." {
		t.Errorf("%d %v %v, want the body cut at 20 bytes", res.StatusCode, out, err)
	}
}

// The CSRF token counts only from the form body or the header: one in the
// query string (where logs, histories and Referer headers keep it) is not
// looked at.
func TestCSRFTokenNotTakenFromTheQuery(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Toggled")
	_, page := ts.admin.get(t, "/security/api-keys")
	token := csrfIn(t, page)
	res, _ := ts.admin.postRaw(t, keyURL(k.ID)+"/deactivate?_csrf="+url.QueryEscape(token), yes())
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("token in the query: %d, want 403", res.StatusCode)
	}
	if stored, _ := ts.db.Key(t.Context(), k.ID); !stored.Active {
		t.Fatal("the key was deactivated by a token in the query")
	}
	res, _ = ts.admin.postRaw(t, keyURL(k.ID)+"/deactivate", yes("_csrf", token))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("token in the body: %d, want 303", res.StatusCode)
	}
}

func TestMediaTypes(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string][2]bool{
		"multipart/form-data; boundary=x":        {true, false},
		" Multipart/Mixed":                       {true, false},
		"application/x-www-form-urlencoded":      {false, true},
		"Application/X-WWW-Form-Urlencoded; a=b": {false, true},
		"application/x-www-form-urlencodedfoo":   {false, false},
		"application/json":                       {false, false},
		"":                                       {false, false},
	} {
		if got := [2]bool{hasMediaPrefix(ct, "multipart/"), isMediaType(ct, "application/x-www-form-urlencoded")}; got != want {
			t.Errorf("%q: %v, want %v", ct, got, want)
		}
	}
}
