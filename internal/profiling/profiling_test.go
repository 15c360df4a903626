package profiling

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The handler serves the named profiles and the CPU profile; nothing
// outside /debug/pprof/.
func TestHandler(t *testing.T) {
	t.Parallel()
	h := Handler()
	for path, want := range map[string]int{
		"/debug/pprof/heap":              http.StatusOK,
		"/debug/pprof/profile?seconds=1": http.StatusOK,
		"/":                              http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
		if want == http.StatusOK && rec.Body.Len() == 0 {
			t.Errorf("%s: empty", path)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	if !strings.Contains(rec.Body.String(), "heap") {
		t.Errorf("index lists no heap profile: %.200s", rec.Body)
	}
}
