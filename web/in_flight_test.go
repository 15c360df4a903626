package web

import (
	"runtime"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
)

// Each processor counts the requests in flight in a shard of its own, and a
// request may begin in one shard and end in another: the sums are what is
// in flight, however the adds were spread while collections emptied the
// pool the shards come from.
func TestInFlightSumsItsShards(t *testing.T) {
	t.Parallel()
	f := newInFlight([]*echo.Route{{Method: "POST", Path: "/login"}, {Method: "GET", Path: "/security/api-keys"}, {Method: "POST", Path: "/login"}})
	login, keys, unmatched := f.place("POST", "/login"), f.place("GET", "/security/api-keys"), f.place("GET", "/nowhere")
	if login == keys || unmatched == login || unmatched == keys {
		t.Fatalf("places %d, %d, %d: want three", login, keys, unmatched)
	}
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				place := []int{login, keys, unmatched}[(w+i)%3]
				(*f.shards.Pick())[place].Add(1)
				if i%50 == 0 {
					runtime.GC()
				}
				if i >= 3 { // three stay in flight a worker: one of each
					(*f.shards.Pick())[place].Add(-1)
				}
			}
		})
	}
	wg.Wait()
	if got, want := f.String(), "8 × GET /security/api-keys, 8 × POST /login, 8 unmatched"; got != want {
		t.Errorf("in flight %q, want %q", got, want)
	}
	for _, place := range []int{login, keys, unmatched} {
		for range workers {
			(*f.shards.Pick())[place].Add(-1)
		}
	}
	if got := f.String(); got != "" {
		t.Errorf("in flight %q after every request ended, want none", got)
	}
}
