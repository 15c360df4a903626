package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeThrottleStore records what DBThrottle asks of the store; the store's
// own tests cover the counting on both engines.
type fakeThrottleStore struct {
	mu       sync.Mutex
	reserves []string
	sweeps   []time.Time
	succeeds []string
	allow    bool
	err      error
}

func (f *fakeThrottleStore) ReserveSignInTry(_ context.Context, username, ip string, now time.Time, limit int, window time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reserves = append(f.reserves, fmt.Sprint(username, " ", ip, " ", now.Format(time.RFC3339), " ", limit, " ", window))
	return f.allow, f.err
}

func (f *fakeThrottleStore) SignInSucceeded(_ context.Context, username, ip string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.succeeds = append(f.succeeds, username+" "+ip+" "+at.Format(time.RFC3339))
	return f.err
}

func (f *fakeThrottleStore) DeleteSignInFailuresBefore(_ context.Context, before time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sweeps = append(f.sweeps, before)
	return 0, f.err
}

func TestDBThrottlePassesThePolicyOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &fakeThrottleStore{allow: true}
	th := NewDBThrottle(f, 5, 15*time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if ok, err := th.Attempt(ctx, "alice", "10.0.0.1", now); !ok || err != nil {
		t.Fatalf("attempt: %v %v", ok, err)
	}
	f.allow = false
	if ok, err := th.Attempt(ctx, "alice", "10.0.0.1", now); ok || err != nil {
		t.Fatalf("refused attempt: %v %v", ok, err)
	}
	if err := th.Succeeded(ctx, "alice", "10.0.0.1", now); err != nil {
		t.Fatal(err)
	}
	want := "alice 10.0.0.1 2026-01-01T00:00:00Z 5 15m0s"
	if len(f.reserves) != 2 || f.reserves[0] != want || len(f.succeeds) != 1 || f.succeeds[0] != "alice 10.0.0.1 2026-01-01T00:00:00Z" {
		t.Fatalf("reserves %q, succeeds %q", f.reserves, f.succeeds)
	}
}

// Each instance sweeps failures past the window about once a minute,
// however many attempts it sees.
func TestDBThrottleSweepsNowAndThen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &fakeThrottleStore{allow: true}
	th := NewDBThrottle(f, 5, 15*time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th.Attempt(ctx, "bob", "10.0.0.2", now)
		}()
	}
	wg.Wait()
	th.Attempt(ctx, "bob", "10.0.0.2", now.Add(59*time.Second))
	if len(f.sweeps) != 1 || !f.sweeps[0].Equal(now.Add(-15*time.Minute)) {
		t.Fatalf("sweeps %v", f.sweeps)
	}
	th.Attempt(ctx, "bob", "10.0.0.2", now.Add(time.Minute))
	if len(f.sweeps) != 2 {
		t.Fatalf("no sweep after a minute: %v", f.sweeps)
	}
}

// A store that fails refuses the try: callers must not let it through.
func TestDBThrottleFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	broken := errors.New("database unreachable")
	f := &fakeThrottleStore{allow: true, err: broken}
	th := NewDBThrottle(f, 5, 15*time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// The first attempt fails in the sweep, the second in the reservation.
	for i := range 2 {
		if ok, err := th.Attempt(ctx, "carol", "10.0.0.3", now); ok || !errors.Is(err, broken) {
			t.Fatalf("attempt %d with a broken store: %v %v", i, ok, err)
		}
	}
	if len(f.reserves) != 1 {
		t.Fatalf("reserves %q", f.reserves)
	}
	if err := th.Succeeded(ctx, "carol", "10.0.0.3", now); !errors.Is(err, broken) {
		t.Fatalf("succeeded with a broken store: %v", err)
	}
}
