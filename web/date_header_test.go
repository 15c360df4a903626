package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The Date header is formatted once a second and says that second.
func TestDateHeaderSaysItsSecond(t *testing.T) {
	t.Parallel()
	var d dateHeader
	t0 := time.Date(2026, 12, 4, 21, 17, 24, 100, time.FixedZone("CET", 3600))
	first := d.at(t0)
	if want := "Fri, 04 Dec 2026 20:17:24 GMT"; len(first) != 1 || first[0] != want {
		t.Fatalf("Date %q, want %q", first, want)
	}
	if again := d.at(t0.Add(800 * time.Millisecond)); &again[0] != &first[0] {
		t.Error("formatted again within its second")
	}
	if next := d.at(t0.Add(time.Second)); next[0] != "Fri, 04 Dec 2026 20:17:25 GMT" || first[0] != "Fri, 04 Dec 2026 20:17:24 GMT" {
		t.Errorf("next second %q; the first now %q", next, first)
	}
}

// An API answer carries one Date, the time it was made, set by the server
// itself (asked directly, without net/http's, which would add its own).
func TestAPIAnswersAreDated(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	before := time.Now().Truncate(time.Second)
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/keys", nil))
	after := time.Now()
	dated := rec.Result().Header.Values("Date")
	if len(dated) != 1 {
		t.Fatalf("Date headers %q", dated)
	}
	at, err := http.ParseTime(dated[0])
	if err != nil || at.Before(before) || at.After(after) {
		t.Errorf("Date %q (%v) not between %v and %v", dated[0], err, before, after)
	}
}
