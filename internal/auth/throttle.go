package auth

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// ThrottleStore is where DBThrottle keeps recent failures: the database,
// shared by every instance on it (store.DB).
type ThrottleStore interface {
	ReserveSignInTry(ctx context.Context, username, ip string, now time.Time, limit int, window time.Duration) (bool, error)
	SignInSucceeded(ctx context.Context, username, ip string, at time.Time) error
	DeleteSignInFailuresBefore(ctx context.Context, before time.Time) (int64, error)
}

// DBThrottle refuses sign-in attempts for a username or a client address
// that failed Limit times within Window. Its state is in the store, so
// instances behind a load balancer share one count.
type DBThrottle struct {
	Limit  int           // failures allowed within Window
	Window time.Duration // how far back failures count

	store     ThrottleStore
	nextSweep atomic.Int64 // Unix nanoseconds
}

// NewDBThrottle refuses after limit failures within window, counted in s.
func NewDBThrottle(s ThrottleStore, limit int, window time.Duration) *DBThrottle {
	return &DBThrottle{Limit: limit, Window: window, store: s}
}

// sweepEvery is how often an instance removes failures past the window.
const sweepEvery = time.Minute

// Attempt reserves a sign-in try for username from ip at now, or refuses
// it (false) when either has had Limit tries within Window. The try counts
// as a failure until Succeeded gives it back. Callers must refuse on error.
func (t *DBThrottle) Attempt(ctx context.Context, username, ip string, now time.Time) (bool, error) {
	// One caller per instance sweeps now and then; the rest go straight on.
	if next := t.nextSweep.Load(); now.UnixNano() >= next && t.nextSweep.CompareAndSwap(next, now.Add(sweepEvery).UnixNano()) {
		if _, err := t.store.DeleteSignInFailuresBefore(ctx, now.Add(-t.Window)); err != nil {
			return false, fmt.Errorf("sign-in throttle: %w", err)
		}
	}
	ok, err := t.store.ReserveSignInTry(ctx, username, ip, now, t.Limit, t.Window)
	if err != nil {
		return false, fmt.Errorf("sign-in throttle: %w", err)
	}
	return ok, nil
}

// Succeeded forgets the username's failures and gives back the address's
// try reserved at `at`; the address's other failures stay.
func (t *DBThrottle) Succeeded(ctx context.Context, username, ip string, at time.Time) error {
	if err := t.store.SignInSucceeded(ctx, username, ip, at); err != nil {
		return fmt.Errorf("sign-in throttle: %w", err)
	}
	return nil
}
