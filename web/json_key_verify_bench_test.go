package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/verify"
)

// BenchmarkVerifyEndpoint runs POST /api/v1/keys/verify through the whole
// middleware chain (caller's key, request log, metrics, headers, JSON in
// and out) beside a bare Echo handler answering a small JSON body: the
// difference is what the console adds to a verification. The network and
// net/http's own work, the same for both, are left out.
func BenchmarkVerifyEndpoint(b *testing.B) {
	ts := newTestServer(b, func(c *testConfig) {
		c.Logs = io.Discard
		c.RateLimit = verify.Config{RatePerSecond: 1e9, Burst: 1e9}
	})
	_, caller := ts.addKey(b, "verifier", func(k *apikey.Key) { k.AdvancedPermissions = []string{apikey.AdvancedVerify} })
	_, secret := ts.addKey(b, "client")
	body := []byte(`{"key":"` + secret + `","client_ip":"10.1.2.3"}`)

	floor := echo.New()
	floor.POST("/api/v1/keys/verify", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"valid": true, "code": "VALID"})
	})
	for _, h := range []struct {
		name    string
		handler http.Handler
	}{{"floor", floor}, {"server", ts.srv}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &answer{header: http.Header{}}
				r := httptest.NewRequest(http.MethodPost, "/api/v1/keys/verify", nil)
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("X-Api-Key", caller)
				in := bytes.NewReader(body)
				for pb.Next() {
					clear(w.header)
					w.status = 0
					in.Reset(body)
					r.Body, r.ContentLength = io.NopCloser(in), int64(len(body))
					h.handler.ServeHTTP(w, r)
					if w.status != http.StatusOK {
						b.Fatalf("answered %d", w.status)
					}
				}
			})
		})
	}
}

// answer is a ResponseWriter that keeps only the status.
type answer struct {
	header http.Header
	status int
}

func (a *answer) Header() http.Header { return a.header }
func (a *answer) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}
func (a *answer) Write(p []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return len(p), nil
}
