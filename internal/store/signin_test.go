package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

const testWindow = 15 * time.Minute

var signInT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func counts(t *testing.T, db *DB, username, ip string, now time.Time) apikey.SignInCounts {
	t.Helper()
	c, err := db.SignInCounts(context.Background(), username, ip, now.Add(-testWindow), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fail(t *testing.T, db *DB, username, ip string, at time.Time, events ...*apikey.AuditEvent) {
	t.Helper()
	if err := db.RecordSignInFailure(context.Background(), username, ip, at, events); err != nil {
		t.Fatal(err)
	}
}

// A failure counts against the username and address together, the
// username and the address, for the window and not a moment longer.
func TestSignInCounts(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	fail(t, db, "alice", "10.0.0.1", signInT0)
	fail(t, db, "alice", "10.0.0.1", signInT0.Add(time.Second))
	fail(t, db, "alice", "2001:db8::1", signInT0)
	fail(t, db, "bob", "10.0.0.1", signInT0)
	now := signInT0.Add(2 * time.Second)
	want := apikey.SignInCounts{Pair: 2, User: 3, Address: 3, LastPair: signInT0.Add(time.Second)}
	if c := counts(t, db, "alice", "10.0.0.1", now); c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
	if c := counts(t, db, "carol", "10.0.0.2", now); c != (apikey.SignInCounts{}) {
		t.Fatalf("a fresh username and address: %+v", c)
	}
	// The first two are as old as the window now.
	want = apikey.SignInCounts{Pair: 1, User: 1, Address: 1, LastPair: signInT0.Add(time.Second)}
	if c := counts(t, db, "alice", "10.0.0.1", signInT0.Add(testWindow)); c != want {
		t.Fatalf("after the window %+v, want %+v", c, want)
	}
}

// Success forgets the failures of the username from that address only, and
// remembers the pair as known for as long as asked.
func TestSignInSuccess(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	fail(t, db, "dave", "10.0.0.1", signInT0)
	fail(t, db, "dave", "10.0.0.2", signInT0)
	fail(t, db, "guess", "10.0.0.1", signInT0)
	if err := db.RecordSignInSuccess(ctx, "dave", "10.0.0.1", signInT0, nil); err != nil {
		t.Fatal(err)
	}
	want := apikey.SignInCounts{User: 2, Address: 2, Known: true}
	if c := counts(t, db, "dave", "10.0.0.1", signInT0); c != want {
		t.Fatalf("after success %+v, want %+v", c, want)
	}
	if c := counts(t, db, "dave", "10.0.0.2", signInT0); c.Pair != 1 || c.Known {
		t.Fatalf("another address of the username: %+v", c)
	}
	if c := counts(t, db, "dave", "10.0.0.1", signInT0.Add(25*time.Hour)); c.Known {
		t.Fatal("known past the time asked")
	}
	// Signing in again moves the time on.
	if err := db.RecordSignInSuccess(ctx, "dave", "10.0.0.1", signInT0.Add(20*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if c := counts(t, db, "dave", "10.0.0.1", signInT0.Add(25*time.Hour)); !c.Known {
		t.Fatal("a second sign-in not remembered")
	}
}

// The audit events of a failure and a success are stored with them.
func TestSignInAudited(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	ev := func(action string) *apikey.AuditEvent {
		return &apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorID: "usr_x", ActorName: "erin", ClientIP: "10.0.0.1",
			TargetID: "usr_x", TargetName: "erin", Action: action}
	}
	fail(t, db, "erin", "10.0.0.1", signInT0, ev(apikey.ActionUserSignInFail), ev(apikey.ActionUserSignInLock))
	if err := db.RecordSignInSuccess(ctx, "erin", "10.0.0.1", signInT0, ev(apikey.ActionUserSignedIn)); err != nil {
		t.Fatal(err)
	}
	events, total, err := db.ListAudit(ctx, apikey.AuditQuery{Actor: "erin", PerPage: 10, Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range events {
		got[e.Action] = e.TargetID == "usr_x" && e.ClientIP == "10.0.0.1"
	}
	if total != 3 || !got[apikey.ActionUserSignInFail] || !got[apikey.ActionUserSignInLock] || !got[apikey.ActionUserSignedIn] {
		t.Fatalf("audit trail: %d events %v", total, got)
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
	ctx := context.Background()
	fail(t, db, "old", "10.0.0.1", signInT0)
	fail(t, db, "new", "10.0.0.2", signInT0.Add(testWindow))
	for i, at := range []time.Time{signInT0, signInT0.Add(48 * time.Hour)} {
		if err := db.RecordSignInSuccess(ctx, fmt.Sprint("known", i), "10.0.0.3", at, nil); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.DeleteSignInFailuresBefore(ctx, signInT0.Add(time.Second), signInT0.Add(24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("swept %d rows, %v; want the 3 old ones", n, err)
	}
	if left := storetest.Count(t, dsn, "signin_failures"); left != 3 {
		t.Fatalf("%d failures left, want 3", left)
	}
	if left := storetest.Count(t, dsn, "signin_known"); left != 1 {
		t.Fatalf("%d known pairs left, want 1", left)
	}
}

// The tables keep no typed text: a password typed as the username is not stored.
func TestSignInFailuresHoldNoTypedText(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const typed = "Sup3r-Secret-Typed-In-The-Wrong-Box"
	fail(t, db, typed, "10.0.0.1", signInT0)
	if err := db.RecordSignInSuccess(context.Background(), typed, "10.0.0.1", signInT0, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if storetest.Holds(t, dsn, typed) {
		t.Fatal("the typed username is stored as is")
	}
}
