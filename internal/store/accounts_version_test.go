package store

import (
	"context"
	"testing"

	"keyconsole/internal/apikey"
)

// Every change to the accounts, and nothing else, moves their version on:
// instances keep the tree while it stays.
func TestAccountsVersionMovesWithEveryAccountChange(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	version := func() int64 {
		t.Helper()
		v, err := db.AccountsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	r := root(t, db)
	last := version()
	step := func(what string, moves bool, change func() error) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		v := version()
		if moved := v != last; moved != moves {
			t.Fatalf("%s: version %d after %d, moved %v, want %v", what, v, last, moved, moves)
		}
		last = v
	}
	a := &apikey.Account{ParentID: r, Name: "Version A"}
	b := &apikey.Account{ParentID: r, Name: "Version B"}
	step("create", true, func() error { return db.CreateAccount(ctx, a) })
	step("create another", true, func() error { return db.CreateAccount(ctx, b) })
	step("a key", false, func() error { newKey(t, db, a.ID, "not an account"); return nil })
	step("move", true, func() error {
		return db.MoveAccount(ctx, b.ID, a.ID, &apikey.AuditEvent{Action: "account.moved", TargetID: b.ID, TargetName: b.Name})
	})
	step("delete", true, func() error {
		_, err := db.DeleteAccount(ctx, b.ID, false, &apikey.AuditEvent{Action: "account.deleted", TargetID: b.ID, TargetName: b.Name}, nil)
		return err
	})
}
