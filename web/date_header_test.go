package web

import (
	"net/http"
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

// An API answer carries one Date, the time it was made.
func TestAPIAnswersAreDated(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	before := time.Now().Truncate(time.Second)
	res, _ := ts.get(t, "/api/v1/keys")
	after := time.Now()
	if len(res.Header.Values("Date")) != 1 {
		t.Fatalf("Date headers %q", res.Header.Values("Date"))
	}
	at, err := http.ParseTime(res.Header.Get("Date"))
	if err != nil || at.Before(before) || at.After(after) {
		t.Errorf("Date %q (%v) not between %v and %v", res.Header.Get("Date"), err, before, after)
	}
}
