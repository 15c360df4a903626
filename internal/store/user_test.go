package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

func newUser(t *testing.T, db *DB, name string, role apikey.Role, scope ...string) *apikey.User {
	t.Helper()
	u := &apikey.User{AccountID: root(t, db), Username: name, PasswordHash: "$argon2id$x", Role: role, RoleAccounts: scope, Active: true, CreatedBy: "test"}
	if err := db.CreateUser(context.Background(), u, nil); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

func TestUsers(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	if n, _ := db.CountUsers(ctx); n != 0 {
		t.Fatalf("fresh database has %d users", n)
	}
	admin := newUser(t, db, "admin", apikey.RoleGlobalAdmin)
	scope := newAccounts(t, db, "A", "B")
	slices.Sort(scope) // scopes read back in id order
	viewer := newUser(t, db, "vera", apikey.RoleAccountViewer, scope...)
	dup := &apikey.User{AccountID: admin.AccountID, Username: "admin", PasswordHash: "x", Role: apikey.RoleSupport, CreatedBy: "t"}
	if err := db.CreateUser(ctx, dup, nil); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("duplicate username: %v", err)
	}
	got, err := db.UserByName(ctx, "vera")
	if err != nil || got.ID != viewer.ID || !slices.Equal(got.RoleAccounts, scope) || !got.Active {
		t.Fatalf("by name: %+v %v", got, err)
	}
	if _, err := db.UserByName(ctx, "nobody"); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("unknown: %v", err)
	}
	if err := db.SetUserRole(ctx, viewer.ID, apikey.RoleAccountViewer, scope[1:], nil); err != nil {
		t.Fatal(err)
	}
	got, _ = db.User(ctx, viewer.ID)
	if !slices.Equal(got.RoleAccounts, scope[1:]) || got.Version != 2 {
		t.Fatalf("after role change: %+v", got)
	}
	all, _ := db.Users(ctx)
	if len(all) != 2 || all[0].Username != "admin" {
		t.Fatalf("users %+v", all)
	}
}

func TestLastActiveAdminStays(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	a := newUser(t, db, "alice", apikey.RoleGlobalAdmin)
	if err := db.SetUserActive(ctx, a.ID, false, nil); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("deactivated the last admin: %v", err)
	}
	if err := db.SetUserRole(ctx, a.ID, apikey.RoleGlobalViewer, nil, nil); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("demoted the last admin: %v", err)
	}
	b := newUser(t, db, "bob", apikey.RoleGlobalAdmin)
	if err := db.SetUserRole(ctx, a.ID, apikey.RoleGlobalViewer, nil, nil); err != nil {
		t.Fatalf("demote with another admin: %v", err)
	}
	if err := db.SetUserActive(ctx, b.ID, false, nil); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("bob is now the last admin: %v", err)
	}
	// An inactive admin does not count as one who remains.
	c := newUser(t, db, "carol", apikey.RoleGlobalAdmin)
	if err := db.SetUserActive(ctx, c.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUserActive(ctx, b.ID, false, nil); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("inactive carol counted: %v", err)
	}
	if err := db.SetUserActive(ctx, "usr_missing", true, nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("missing user: %v", err)
	}
}

func TestSessions(t *testing.T) {
	db, now := openTest(t)
	ctx := context.Background()
	newUser(t, db, "admin", apikey.RoleGlobalAdmin)
	u := newUser(t, db, "sam", apikey.RoleSupport)
	if err := db.CreateSession(ctx, "h1", u.ID, *now); err != nil {
		t.Fatal(err)
	}
	s, err := db.SessionByHash(ctx, "h1")
	if err != nil || s.UserID != u.ID || !s.CreatedAt.Equal(*now) {
		t.Fatalf("session %+v %v", s, err)
	}
	later := now.Add(10 * time.Minute)
	db.TouchSession(ctx, "h1", later)
	s, _ = db.SessionByHash(ctx, "h1")
	if !s.LastSeenAt.Equal(later) {
		t.Fatalf("touch: %v", s.LastSeenAt)
	}
	// Deactivating the user ends the session.
	if err := db.SetUserActive(ctx, u.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionByHash(ctx, "h1"); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("session outlived deactivation: %v", err)
	}
	db.SetUserActive(ctx, u.ID, true, nil)
	db.CreateSession(ctx, "old", u.ID, *now)
	*now = now.Add(time.Hour)
	db.CreateSession(ctx, "new", u.ID, *now)
	n, err := db.DeleteSessionsBefore(ctx, now.Add(-30*time.Minute), now.Add(-12*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("sweep removed %d: %v", n, err)
	}
	if _, err := db.SessionByHash(ctx, "new"); err != nil {
		t.Fatal("sweep removed a live session")
	}
	db.DeleteSession(ctx, "new")
	if _, err := db.SessionByHash(ctx, "new"); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatal("deleted session still there")
	}
}

// TestScopeNamesMissingAccount: an Account Viewer scope naming an account
// that does not exist is refused for users and keys, and nothing is written.
func TestScopeNamesMissingAccount(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	real := newAccounts(t, db, "Customer")[0]
	u := &apikey.User{AccountID: root(t, db), Username: "vera", PasswordHash: "x", Role: apikey.RoleAccountViewer,
		RoleAccounts: []string{real, "acc_typo"}, Active: true, CreatedBy: "t"}
	err := db.CreateUser(ctx, u, nil)
	if apikey.ErrorCode(err) != apikey.EINVALID || apikey.ErrorField(err) != "role_accounts" || !strings.Contains(apikey.ErrorMessage(err), "“acc_typo”") {
		t.Fatalf("create with a missing scope account: %v", err)
	}
	if n, _ := db.CountUsers(ctx); n != 0 {
		t.Fatalf("a refused user was stored (%d users)", n)
	}
	ok := newUser(t, db, "sam", apikey.RoleAccountViewer, real)
	err = db.SetUserRole(ctx, ok.ID, apikey.RoleAccountViewer, []string{"acc_x", "acc_y"}, nil)
	if apikey.ErrorField(err) != "role_accounts" || !strings.Contains(apikey.ErrorMessage(err), "no accounts “acc_x”, “acc_y”") {
		t.Fatalf("role change to missing accounts: %v", err)
	}
	if got, _ := db.User(ctx, ok.ID); !slices.Equal(got.RoleAccounts, []string{real}) || got.Version != 1 {
		t.Fatalf("refused role change was half-written: %+v", got)
	}
	k := &apikey.Key{AccountID: root(t, db), Settings: apikey.Settings{Name: "k", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated,
		Roles: []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: []string{"acc_gone"}}}},
		SecretHash: apikey.HashSecret("x"), DisplayPrefix: "kc_g_x", CreatedBy: "t"}
	if err := db.CreateKey(ctx, k, nil); apikey.ErrorField(err) != "role_accounts" {
		t.Fatalf("key scoped to a missing account: %v", err)
	}
}
