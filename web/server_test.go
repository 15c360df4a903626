package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/static"
)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, path := range []string{"/security/api-keys", "/healthz", "/nowhere", static.URL("app.css")} {
		res, _ := ts.get(t, path)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe sources: %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", path, res.Header)
		}
		if len(res.Header.Get("X-Request-Id")) < 8 {
			t.Errorf("%s: no request id", path)
		}
	}
}

func TestPagesHaveNoInlineScript(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "k")
	_, body := ts.get(t, "/security/api-keys")
	doc := parseHTML(t, body)
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, ok := s.Attr("src"); !ok || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("inline or foreign script: src=%q", src)
		}
	})
	if strings.Contains(strings.ToLower(body), " onclick=") || strings.Contains(body, " style=") {
		t.Error("inline handler or style attribute")
	}
	if doc.Find(`script[src^="/static/htmx.min.js?v="]`).Length() != 1 {
		t.Error("htmx is not loaded from /static with a version")
	}
}

func TestStaticFilesCaching(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, body := ts.get(t, static.URL("htmx.min.js"))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `version:"2.0.11"`) {
		t.Fatalf("htmx: %d", res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("versioned Cache-Control %q", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	res, _ = ts.get(t, "/static/htmx.min.js?v=old")
	if cc := res.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("stale version cached for a year: %q", cc)
	}
	for _, p := range []string{"/static/nothing.js", "/static/embed.go", "/static/../go.mod"} {
		if res, _ := ts.get(t, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		res, body := ts.get(t, p)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `"ok"`) {
			t.Errorf("%s: %d %s", p, res.StatusCode, body)
		}
	}
	ts.db.Close()
	if res, _ := ts.get(t, "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with a closed database: %d", res.StatusCode)
	}
}

func TestRequestLogCarriesNoSecrets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, secret := ts.addKey(t, "logged")
	before := strings.Count(ts.logs.String(), "msg=request ")
	ts.get(t, "/security/api-keys?q="+secret, "X-Api-Key", secret, "Authorization", "Bearer "+secret, "Cookie", "session="+secret)
	ts.get(t, "/api/v1/keys/"+secret, "X-Api-Key", secret)
	ts.get(t, "/nowhere/"+secret)
	ts.get(t, "/security/api-keys", "X-Request-Id", "abcdefgh level=ERROR forged")
	// A secret in the request id header is neither logged nor echoed;
	// a short id is kept.
	for _, id := range []string{secret, strings.Repeat("a1B2", 8)} {
		if res, _ := ts.get(t, "/healthz", "X-Request-Id", id); res.Header.Get("X-Request-Id") == id {
			t.Errorf("request id %q echoed", id)
		}
	}
	if res, _ := ts.get(t, "/healthz", "X-Request-Id", "req-0123456789"); res.Header.Get("X-Request-Id") != "req-0123456789" {
		t.Errorf("a short request id was replaced")
	}
	logs := ts.logs.String()
	if strings.Contains(logs, secret) || strings.Contains(logs, secret[5:20]) {
		t.Fatalf("secret in log:\n%s", logs)
	}
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("refusals logged as errors:\n%s", logs)
	}
	if strings.Contains(logs, "forged") {
		t.Fatalf("request id injected into log:\n%s", logs)
	}
	for _, want := range []string{"method=GET", "route=/security/api-keys", "status=200", "duration=", "request_id=", "route=unmatched status=404"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	// One line per request.
	if n := strings.Count(logs, "msg=request ") - before; n != 7 {
		t.Errorf("%d request lines:\n%s", n, logs)
	}
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, body := ts.get(t, "/no/such/page")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is nothing at this address.") {
		t.Errorf("page 404: %d", res.StatusCode)
	}
	res, body = ts.get(t, "/api/v1/nothing")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, `"code":"NOT_FOUND"`) {
		t.Errorf("api 404: %d %s", res.StatusCode, body)
	}
	res, body = ts.admin.do(t, http.MethodPut, "/api/v1/keys", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(body, `"code":"NOT_FOUND"`) {
		t.Errorf("api 405: %d %s", res.StatusCode, body)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, secret := ts.addKey(t, "measured")
	ts.get(t, "/security/api-keys")
	ts.apiCall(t, "GET", "/api/v1/keys", secret, nil)
	ts.apiCall(t, "GET", "/api/v1/keys/"+secret, "nope-not-a-key-but-long-enough-to-look", nil)
	res, body := ts.get(t, "/metrics")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`keyconsole_http_requests_total{method="GET",route="/security/api-keys",status="200"}`,
		`keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys"`,
		`keyconsole_key_verifications_total{code="VALID"} 1`,
		`keyconsole_key_verifications_total{code="NOT_FOUND"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, secret) || strings.Contains(body, secret[5:20]) {
		t.Fatal("a secret in the metrics")
	}
}

// CSS and JavaScript are sent compressed to browsers that take it.
func TestStaticFilesCompressed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, name := range []string{"app.css", "htmx.min.js"} {
		req, _ := http.NewRequest("GET", ts.URL+static.URL(name), nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %d, encoding %q", name, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if len(plain) <= len(body) {
			t.Fatalf("%s: %d bytes compressed to %d", name, len(plain), len(body))
		}
	}
}

// A client that goes away while its request reads the database is counted
// as 499, not logged as our failure (a load generator stopping used to
// leave a trail of 500s and errors).
func TestAbandonedRequestIsNotAnError(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, secret := ts.addKey(t, "reader")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/keys", nil)
	r.Header.Set("X-Api-Key", secret)
	ts.srv.ServeHTTP(httptest.NewRecorder(), r)
	logs := ts.logs.String()
	if strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "route=/api/v1/keys status=499") {
		t.Fatalf("abandoned request logged as:\n%s", logs)
	}
}

// TestHeadWhereGet: HEAD answers wherever GET does, with GET's status and
// headers and no body: static files, pages, health and the API.
func TestHeadWhereGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, page := ts.get(t, "/security/api-keys")
	css := parseHTML(t, page).Find(`link[rel="stylesheet"]`).AttrOr("href", "")
	for _, path := range []string{css, "/static/favicon.svg", "/login", "/healthz", "/readyz", "/security/api-keys", "/api/v1/keys"} {
		get, _ := ts.admin.do(t, http.MethodGet, path, nil)
		head, body := ts.admin.do(t, http.MethodHead, path, nil)
		if head.StatusCode != get.StatusCode || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") || body != "" {
			t.Errorf("HEAD %s: %d %q (GET: %d), %d bytes of body", path, head.StatusCode, head.Header.Get("Content-Type"), get.StatusCode, len(body))
		}
	}
}
