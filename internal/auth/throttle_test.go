package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyconsole/internal/auth"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

var policy = auth.Policy{Window: 15 * time.Minute, FreeTries: 3, FirstDelay: time.Second, MaxDelay: 5 * time.Minute,
	UsernameCeiling: 20, AddressCeiling: 100, Remember: 30 * 24 * time.Hour}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newThrottle(t *testing.T) *auth.DBThrottle {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return auth.NewDBThrottle(db, policy)
}

func allowed(t *testing.T, th *auth.DBThrottle, username, ip string, now time.Time) auth.Check {
	t.Helper()
	c, err := th.Check(context.Background(), username, ip, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func failed(t *testing.T, th *auth.DBThrottle, username, ip string, at time.Time) {
	t.Helper()
	if err := th.Failed(context.Background(), username, ip, at, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDelayGrows(t *testing.T) {
	t.Parallel()
	for failures, want := range map[int]time.Duration{0: 0, 2: 0, 3: time.Second, 4: 2 * time.Second, 5: 4 * time.Second,
		11: 256 * time.Second, 12: 5 * time.Minute, 40: 5 * time.Minute} {
		if got := policy.Delay(failures); got != want {
			t.Errorf("Delay(%d) = %s, want %s", failures, got, want)
		}
	}
}

// One username from one address: three free tries, then each waits longer
// after the latest failure; other addresses are not held back by it.
func TestThrottleDelaysThePairThatFails(t *testing.T) {
	t.Parallel()
	th := newThrottle(t)
	now := t0
	for i := range 3 {
		if !allowed(t, th, "alice", "192.0.2.1", now).Allowed {
			t.Fatalf("free try %d refused", i)
		}
		failed(t, th, "alice", "192.0.2.1", now)
	}
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if allowed(t, th, "alice", "192.0.2.1", now.Add(wait-time.Millisecond)).Allowed {
			t.Fatalf("allowed before its %s delay", wait)
		}
		if !allowed(t, th, "alice", "198.51.100.7", now).Allowed {
			t.Fatal("another address held back by this one's failures")
		}
		now = now.Add(wait)
		if !allowed(t, th, "alice", "192.0.2.1", now).Allowed {
			t.Fatalf("refused after its %s delay", wait)
		}
		failed(t, th, "alice", "192.0.2.1", now)
	}
	// A success ends the delay.
	if err := th.Succeeded(context.Background(), "alice", "192.0.2.1", now, nil); err != nil {
		t.Fatal(err)
	}
	if !allowed(t, th, "alice", "192.0.2.1", now).Allowed {
		t.Fatal("still delayed after a success")
	}
}

// Guessing one username from many addresses, or many usernames from one
// address, stops at a ceiling, except for a username and address that
// signed in together before: whoever floods cannot lock the owner out.
func TestThrottleCeilings(t *testing.T) {
	t.Parallel()
	type try struct{ username, ip string }
	for _, c := range []struct {
		name           string
		n              int
		username, ip   func(int) string
		locks          func(auth.Check) bool
		owner, refused try
		others         []try
	}{
		{"username", policy.UsernameCeiling, func(int) string { return "bob" }, func(i int) string { return fmt.Sprintf("192.0.2.%d", i) },
			func(c auth.Check) bool { return c.LocksUsername }, try{"bob", "203.0.113.5"}, try{"bob", "192.0.2.200"},
			[]try{{"carl", "192.0.2.200"}}},
		{"address", policy.AddressCeiling, func(i int) string { return fmt.Sprint("guess", i) }, func(int) string { return "10.1.1.1" },
			func(c auth.Check) bool { return c.LocksAddress }, try{"dana", "10.1.1.1"}, try{"erik", "10.1.1.1"},
			[]try{{"erik", "10.1.1.2"}}},
	} {
		th := newThrottle(t)
		if err := th.Succeeded(context.Background(), c.owner.username, c.owner.ip, t0, nil); err != nil {
			t.Fatal(err)
		}
		for i := range c.n {
			ch := allowed(t, th, c.username(i), c.ip(i), t0)
			if !ch.Allowed || c.locks(ch) != (i == c.n-1) {
				t.Fatalf("%s: try %d: %+v", c.name, i, ch)
			}
			failed(t, th, c.username(i), c.ip(i), t0)
		}
		if allowed(t, th, c.refused.username, c.refused.ip, t0).Allowed {
			t.Fatalf("%s: a fresh try let past the ceiling", c.name)
		}
		for _, ok := range append(c.others, c.owner) {
			if !allowed(t, th, ok.username, ok.ip, t0).Allowed {
				t.Fatalf("%s: %v held back", c.name, ok)
			}
		}
		if !allowed(t, th, c.refused.username, c.refused.ip, t0.Add(policy.Window)).Allowed {
			t.Fatalf("%s: the ceiling outlived the window", c.name)
		}
	}
}
