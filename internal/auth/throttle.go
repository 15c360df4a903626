package auth

import (
	"sync"
	"time"
)

// Throttle refuses sign-in attempts for a username or a client address that
// failed too often recently. It is in memory: a restart forgives, which is
// acceptable for a single-process console.
type Throttle struct {
	Limit  int           // failures allowed within Window
	Window time.Duration // how far back failures count

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle refuses after limit failures within window.
func NewThrottle(limit int, window time.Duration) *Throttle {
	return &Throttle{Limit: limit, Window: window, failures: map[string][]time.Time{}}
}

// maxTracked bounds memory under a flood of distinct usernames or addresses.
const maxTracked = 100_000

func userKey(username string) string { return "u:" + username }
func ipKey(ip string) string         { return "i:" + ip }

// Attempt reserves a sign-in try for username from ip at now, or refuses
// it when either has had Limit tries within Window. The try counts as a
// failure until Succeeded gives it back. Checking and counting under one
// lock means parallel guesses cannot all slip past the limit.
func (t *Throttle) Attempt(username, ip string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.recent(userKey(username), now) >= t.Limit || t.recent(ipKey(ip), now) >= t.Limit {
		return false
	}
	if len(t.failures) >= maxTracked {
		t.prune(now)
	}
	for _, k := range []string{userKey(username), ipKey(ip)} {
		t.failures[k] = append(t.failures[k], now)
	}
	return true
}

// Succeeded forgets the username's failures and returns the address the try
// reserved at `at`; the address's other failures stay, so one good account
// cannot be used to reset guessing at others.
func (t *Throttle) Succeeded(username, ip string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, userKey(username))
	k := ipKey(ip)
	times := t.failures[k]
	for i, x := range times {
		if x.Equal(at) {
			t.failures[k] = append(times[:i], times[i+1:]...)
			break
		}
	}
	if len(t.failures[k]) == 0 {
		delete(t.failures, k)
	}
}

// recent counts failures within the window and drops older ones.
func (t *Throttle) recent(k string, now time.Time) int {
	times := t.failures[k]
	keep := times[:0]
	for _, at := range times {
		if now.Sub(at) < t.Window {
			keep = append(keep, at)
		}
	}
	if len(keep) == 0 {
		delete(t.failures, k)
		return 0
	}
	t.failures[k] = keep
	return len(keep)
}

func (t *Throttle) prune(now time.Time) {
	for k := range t.failures {
		t.recent(k, now)
	}
}
