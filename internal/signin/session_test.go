package signin

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/servicetest"
)

// A user at work, one request every 20 s, stays signed in under idle
// timeouts shorter than the minute last-seen times were once written at,
// and is signed out once idle for longer than the timeout.
func TestShortIdleTimeoutKeepsActiveSessions(t *testing.T) {
	t.Parallel()
	for _, idle := range []time.Duration{30 * time.Second, 90 * time.Second} {
		db, root := servicetest.Open(t)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		svc, err := New(Config{Store: db, Throttle: NewThrottle(db), Idle: idle, Lifetime: time.Hour,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		u := &apikey.User{AccountID: root.ID, Username: "worker", PasswordHash: "x", Role: apikey.RoleGlobalViewer, Active: true, CreatedBy: "test"}
		if err := db.CreateUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		id, err := svc.StartSession(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			now = now.Add(20 * time.Second)
			if got, err := svc.SessionUser(ctx, id); err != nil || got == nil {
				t.Fatalf("idle %s: request %d, %s after sign-in: signed out (%v)", idle, i+1, 20*time.Second*time.Duration(i+1), err)
			}
		}
		now = now.Add(idle)
		if got, err := svc.SessionUser(ctx, id); err != nil || got != nil {
			t.Fatalf("idle %s: still signed in after %s idle (%v)", idle, idle, err)
		}
	}
}
