package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyconsole/internal/store/storetest"
)

const (
	testLimit  = 5
	testWindow = 15 * time.Minute
)

var signInT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func reserve(t *testing.T, db *DB, username, ip string, now time.Time) bool {
	t.Helper()
	ok, err := db.ReserveSignInTry(context.Background(), username, ip, now, testLimit, testWindow)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestSignInLimitPerUsername(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	for i := range testLimit {
		if !reserve(t, db, "alice", fmt.Sprintf("10.0.0.%d", i), signInT0) {
			t.Fatalf("try %d refused", i)
		}
	}
	if reserve(t, db, "alice", "10.0.1.1", signInT0) {
		t.Error("username not throttled from a fresh address")
	}
	if !reserve(t, db, "bob", "10.0.1.1", signInT0) {
		t.Error("another username refused")
	}
}

func TestSignInLimitPerAddress(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	for i := range testLimit {
		if !reserve(t, db, fmt.Sprintf("user%d", i), "10.0.0.1", signInT0) {
			t.Fatalf("try %d refused", i)
		}
	}
	if reserve(t, db, "fresh", "10.0.0.1", signInT0) {
		t.Error("address not throttled for a fresh username")
	}
	// The refusal counted nothing: the username is not held against elsewhere.
	if !reserve(t, db, "fresh", "10.0.0.2", signInT0) {
		t.Error("refused try counted against the username")
	}
	// IPv6 addresses are subjects like any other.
	for i := range testLimit {
		reserve(t, db, fmt.Sprintf("v6user%d", i), "2001:db8::1", signInT0)
	}
	if reserve(t, db, "v6user9", "2001:db8::1", signInT0) {
		t.Error("IPv6 address not throttled")
	}
}

// Failures count for the window and not a moment longer.
func TestSignInFailuresExpire(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	for i := range testLimit {
		reserve(t, db, "carol", "10.0.0.1", signInT0.Add(time.Duration(i)*time.Second))
	}
	if reserve(t, db, "carol", "10.0.0.2", signInT0.Add(testWindow-time.Second)) {
		t.Fatal("refusal ended before the window")
	}
	// The first failure is now as old as the window: one try is free again.
	if !reserve(t, db, "carol", "10.0.0.2", signInT0.Add(testWindow)) {
		t.Fatal("oldest failure outlived the window")
	}
	if reserve(t, db, "carol", "10.0.0.3", signInT0.Add(testWindow)) {
		t.Fatal("younger failures forgotten with the oldest")
	}
	if !reserve(t, db, "carol", "10.0.0.1", signInT0.Add(2*testWindow)) {
		t.Fatal("failures outlived the window")
	}
}

// Success forgets the username's failures, from every address, but gives
// the address back only its own try: one good account cannot reset
// guessing at others from the same address.
func TestSignInSucceeded(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	for i := range testLimit - 1 {
		reserve(t, db, "dave", fmt.Sprintf("10.0.0.%d", i+2), signInT0)
	}
	for i := range testLimit - 1 {
		reserve(t, db, fmt.Sprintf("guess%d", i), "10.0.0.1", signInT0)
	}
	at := signInT0.Add(time.Second)
	if !reserve(t, db, "dave", "10.0.0.1", at) {
		t.Fatal("fifth try refused")
	}
	if err := db.SignInSucceeded(ctx, "dave", "10.0.0.1", at); err != nil {
		t.Fatal(err)
	}
	for i := range testLimit {
		if !reserve(t, db, "dave", fmt.Sprintf("10.0.1.%d", i), at) {
			t.Fatalf("username still counted after success (try %d)", i)
		}
	}
	// 10.0.0.1 has its four guesses left: one more try, not five.
	if !reserve(t, db, "erin", "10.0.0.1", at) || reserve(t, db, "frank", "10.0.0.1", at) {
		t.Fatal("success gave the address back more, or less, than its own try")
	}
	// Giving back a try that was never reserved changes nothing.
	if err := db.SignInSucceeded(ctx, "nobody", "10.0.0.1", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if reserve(t, db, "frank", "10.0.0.1", at) {
		t.Fatal("success with no reserved try freed the address")
	}
}

// Many successful sign-ins from one address (an office behind NAT) never lock it.
func TestSignInSuccessesNeverLockAnAddress(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	for i := range 30 {
		at := signInT0.Add(time.Duration(i) * time.Second)
		user := fmt.Sprintf("staff%d", i%3)
		if !reserve(t, db, user, "10.0.0.1", at) {
			t.Fatalf("sign-in %d refused", i)
		}
		if err := db.SignInSucceeded(context.Background(), user, "10.0.0.1", at); err != nil {
			t.Fatal(err)
		}
	}
}

// Two tries from one address in the same instant: success gives back one.
func TestSignInSucceededGivesBackOneOfTwinTries(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	for i := range testLimit {
		reserve(t, db, fmt.Sprintf("twin%d", i%2), "10.0.0.1", signInT0)
	}
	if err := db.SignInSucceeded(context.Background(), "other", "10.0.0.1", signInT0); err != nil {
		t.Fatal(err)
	}
	if !reserve(t, db, "x", "10.0.0.1", signInT0) || reserve(t, db, "y", "10.0.0.1", signInT0) {
		t.Fatal("success gave back other than exactly one try")
	}
}

func TestSignInFailuresSwept(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reserve(t, db, "old", "10.0.0.1", signInT0)
	reserve(t, db, "new", "10.0.0.2", signInT0.Add(testWindow))
	n, err := db.DeleteSignInFailuresBefore(context.Background(), signInT0.Add(time.Second))
	if err != nil || n != 2 {
		t.Fatalf("swept %d rows, %v; want the 2 old ones", n, err)
	}
	if left := storetest.Count(t, dsn, "signin_failures"); left != 2 {
		t.Fatalf("%d rows left, want 2", left)
	}
}

// The table keeps no typed text: a password typed as the username is not stored.
func TestSignInFailuresHoldNoTypedText(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const typed = "Sup3r-Secret-Typed-In-The-Wrong-Box"
	if !reserve(t, db, typed, "10.0.0.1", signInT0) {
		t.Fatal("refused")
	}
	db.Close()
	if storetest.Holds(t, dsn, typed) {
		t.Fatal("the typed username is stored as is")
	}
}

// Tries sent all at once, as from several instances, cannot all pass the
// count before any is stored: exactly Limit are reserved, per username and
// per address.
func TestSignInTriesRacing(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		username func(i int) string
		ip       func(i int) string
	}{
		{"one username", func(int) string { return "victim" }, func(i int) string { return fmt.Sprintf("10.0.0.%d", i) }},
		{"one address", func(i int) string { return fmt.Sprintf("user%d", i) }, func(int) string { return "10.9.9.9" }},
	} {
		var fns []func() error
		reserved := make([]bool, 20)
		for i := range 20 {
			fns = append(fns, func() error {
				var err error
				reserved[i], err = db.ReserveSignInTry(ctx, c.username(i), c.ip(i), signInT0, testLimit, testWindow)
				return err
			})
		}
		n := 0
		for i, err := range race(fns...) {
			if err != nil {
				t.Fatalf("%s: try %d: %v", c.name, i, err)
			}
			if reserved[i] {
				n++
			}
		}
		if n != testLimit {
			t.Fatalf("%s: %d of 20 racing tries reserved, want %d", c.name, n, testLimit)
		}
	}
}
