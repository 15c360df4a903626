// Package servicetest gives the services' tests a fresh store of the engine
// the environment chooses (see storetest) and actors holding one role.
package servicetest

import (
	"context"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

// Open opens a fresh database for tb, closed when tb ends, and its root.
func Open(tb testing.TB) (*store.DB, *apikey.Account) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	root, err := db.RootAccount(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return db, root
}

// Actor is a user of account holding role (for account-viewer, over
// scope), asking from 192.0.2.1.
func Actor(role apikey.Role, account string, scope ...string) apikey.Actor {
	return apikey.Actor{Principal: &apikey.Principal{Kind: apikey.PrincipalUser, ID: "usr_" + string(role), Name: string(role),
		AccountID: account, Grants: []apikey.RoleGrant{{Role: role, Accounts: scope}}}, IP: "192.0.2.1"}
}
