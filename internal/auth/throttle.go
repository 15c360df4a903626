package auth

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"keyconsole/internal/apikey"
)

// ThrottleStore is where DBThrottle keeps recent failures and the
// addresses users signed in from: the database, shared by every instance
// on it (store.DB).
type ThrottleStore interface {
	SignInCounts(ctx context.Context, username, ip string, since, knownSince time.Time) (apikey.SignInCounts, error)
	RecordSignInFailure(ctx context.Context, username, ip string, at time.Time, events []*apikey.AuditEvent) error
	RecordSignInSuccess(ctx context.Context, username, ip string, at time.Time, ev *apikey.AuditEvent) error
	DeleteSignInFailuresBefore(ctx context.Context, before, knownBefore time.Time) (int64, error)
}

// Policy is how the throttle weighs tries. Those who fail slow themselves
// down, not others: a username from one address gets FreeTries, then
// waits FirstDelay after its latest failure, doubling with each failure
// up to MaxDelay. The ceilings are looser and catch guessing spread over
// addresses or usernames, but never hold back a username from an address
// it signed in from within Remember: whoever floods a username from
// elsewhere cannot lock its owner out.
type Policy struct {
	Window          time.Duration // how far back failures count
	FreeTries       int           // failures of a username from one address before delays begin
	FirstDelay      time.Duration
	MaxDelay        time.Duration
	UsernameCeiling int           // failures of a username, from any address, within Window
	AddressCeiling  int           // failures from an address, for any username, within Window
	Remember        time.Duration // how long a sign-in vouches for its username and address
}

// Check is the throttle's answer to a try.
type Check struct {
	Allowed bool
	// Locks names the ceilings a failure of this try would reach: the
	// moment a username or an address is locked out.
	LocksUsername, LocksAddress bool
}

// DBThrottle weighs sign-in tries by Policy. Its state is in the store, so
// instances behind a load balancer share one count. A try counts only once
// it has failed: right passwords sent together all get in.
type DBThrottle struct {
	Policy

	store     ThrottleStore
	nextSweep atomic.Int64 // Unix nanoseconds
}

// NewDBThrottle weighs tries by p, counted in s.
func NewDBThrottle(s ThrottleStore, p Policy) *DBThrottle {
	return &DBThrottle{Policy: p, store: s}
}

// sweepEvery is how often an instance removes failures past the window.
const sweepEvery = time.Minute

// Delay is how long after its latest failure a username may be tried again
// from the same address, having failed there `failures` times.
func (p Policy) Delay(failures int) time.Duration {
	if failures < p.FreeTries {
		return 0
	}
	d := p.FirstDelay
	for i := p.FreeTries; i < failures && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// Check tells whether username may be tried from ip at now. It writes
// nothing (a refused try costs a read). Callers must refuse on error.
func (t *DBThrottle) Check(ctx context.Context, username, ip string, now time.Time) (Check, error) {
	// One caller per instance sweeps now and then; the rest go straight on.
	if next := t.nextSweep.Load(); now.UnixNano() >= next && t.nextSweep.CompareAndSwap(next, now.Add(sweepEvery).UnixNano()) {
		if _, err := t.store.DeleteSignInFailuresBefore(ctx, now.Add(-t.Window), now.Add(-t.Remember)); err != nil {
			return Check{}, fmt.Errorf("sign-in throttle: %w", err)
		}
	}
	c, err := t.store.SignInCounts(ctx, username, ip, now.Add(-t.Window), now.Add(-t.Remember))
	if err != nil {
		return Check{}, fmt.Errorf("sign-in throttle: %w", err)
	}
	if c.Pair > 0 && now.Before(c.LastPair.Add(t.Delay(c.Pair))) {
		return Check{}, nil
	}
	if !c.Known && (c.User >= t.UsernameCeiling || c.Address >= t.AddressCeiling) {
		return Check{}, nil
	}
	return Check{Allowed: true, LocksUsername: c.User+1 == t.UsernameCeiling, LocksAddress: c.Address+1 == t.AddressCeiling}, nil
}

// Failed counts a failed try, with its audit events.
func (t *DBThrottle) Failed(ctx context.Context, username, ip string, at time.Time, events []*apikey.AuditEvent) error {
	if err := t.store.RecordSignInFailure(ctx, username, ip, at, events); err != nil {
		return fmt.Errorf("sign-in throttle: %w", err)
	}
	return nil
}

// Succeeded forgets the failures of username from ip and remembers the
// pair, with the audit event ev.
func (t *DBThrottle) Succeeded(ctx context.Context, username, ip string, at time.Time, ev *apikey.AuditEvent) error {
	if err := t.store.RecordSignInSuccess(ctx, username, ip, at, ev); err != nil {
		return fmt.Errorf("sign-in throttle: %w", err)
	}
	return nil
}
