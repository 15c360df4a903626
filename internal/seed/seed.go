// Package seed fills a database with many keys, accounts, users and audit
// events, quickly, for measuring the console at scale: the developers'
// seeding command and make bench use it. The data is made up.
//
// The accounts: "Big Co" under the root holds the big share of the keys,
// "Big Co Berlin" below it a few of its own; the other keys are spread
// over the customer accounts.
package seed

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/store"
)

// Options say how much to make.
type Options struct {
	Keys     int // keys in all
	Big      int // keys in the one big account
	Accounts int // customer accounts sharing the other keys
	Users    int
	Events   int // audit events
	Secrets  int // active keys whose secrets are written to SecretsOut
	// SecretsOut receives the secrets, one a line; the first is that of a
	// key allowed to verify others (the load generator's). Nil: none.
	SecretsOut io.Writer
	// EverySecretOut receives, like SecretsOut, the load generator's secret
	// first, then that of every key: to verify as many distinct keys as
	// there are. Nil: none.
	EverySecretOut io.Writer
	Password       string // every seeded user's password
}

// The accounts made, by id, for those who measure pages.
const (
	BigAccount    = "acc_seed_big"
	BerlinAccount = "acc_seed_big_berlin"
)

// Run fills db as o says.
func Run(ctx context.Context, db *store.DB, o Options) error {
	s := &seeder{keys: o.Keys, big: o.Big, accounts: o.Accounts, users: o.Users, events: o.Events, secrets: o.Secrets,
		every: o.EverySecretOut, now: time.Now().UTC().Truncate(time.Second), rng: rand.New(rand.NewPCG(1, 2))}
	return s.run(ctx, db, o.Password, o.SecretsOut)
}

type seeder struct {
	keys, big, accounts, users, events, secrets int
	every                                       io.Writer
	now                                         time.Time
	rng                                         *rand.Rand
}

// batch is how many rows are built and stored at once: memory stays flat.
const batch = 20_000

func (s *seeder) run(ctx context.Context, db *store.DB, password string, out io.Writer) error {
	root, err := db.RootAccount(ctx)
	if err != nil {
		return err
	}
	// Accounts: Big Co, Big Co Berlin below it, and the customers.
	bigCo := apikey.Account{ID: BigAccount, ParentID: root.ID, Name: "Big Co", CreatedAt: s.now}
	berlin := apikey.Account{ID: BerlinAccount, ParentID: bigCo.ID, Name: "Big Co Berlin", CreatedAt: s.now}
	all := []apikey.Account{bigCo, berlin}
	for i := range s.accounts {
		all = append(all, apikey.Account{ID: fmt.Sprintf("acc_seed_%05d", i), ParentID: root.ID, Name: fmt.Sprintf("Customer %05d", i), CreatedAt: s.now})
	}
	if err := db.BulkLoad(ctx, store.Bulk{Accounts: all}); err != nil {
		return err
	}

	// Keys, written in batches; the secrets of some active keys are kept.
	// Some keys are skipped (inactive, expiring, IP-bound): ask for more.
	every := max(1, s.keys*2/3/max(1, s.secrets))
	if out != nil {
		// First, a key allowed to verify others: the load generator's own.
		secret, err := apikey.GenerateSecret(apikey.TypeGeneral)
		if err != nil {
			return err
		}
		caller := &apikey.Key{ID: "key_seed_caller", AccountID: root.ID, SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
			CreatedAt: s.now, UpdatedAt: s.now, CreatedBy: "seed", UpdatedBy: "seed", Version: 1,
			Settings: apikey.Settings{Name: "Load generator", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
				AllowUnauthenticated: true, AdvancedPermissions: []string{apikey.AdvancedVerify}, Roles: []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}}}
		if err := db.BulkLoad(ctx, store.Bulk{Keys: []*apikey.Key{caller}}); err != nil {
			return err
		}
		fmt.Fprintln(out, secret)
		if s.every != nil {
			fmt.Fprintln(s.every, secret)
		}
	}
	kept := 0
	var b store.Bulk
	for i := range s.keys {
		account := bigCo.ID
		switch {
		case i >= s.big:
			account = all[2+(i-s.big)%s.accounts].ID
		case i%4000 == 0:
			account = berlin.ID
		}
		k, secret, err := s.key(i, account)
		if err != nil {
			return err
		}
		if out != nil && kept < s.secrets && i%every == 0 && k.Active && k.ExpiresAt == nil && len(k.AllowedIPs) == 0 {
			fmt.Fprintln(out, secret)
			kept++
		}
		if s.every != nil {
			fmt.Fprintln(s.every, secret)
		}
		b.Keys = append(b.Keys, k)
		if len(b.Keys) == batch || i == s.keys-1 {
			if err := db.BulkLoad(ctx, b); err != nil {
				return err
			}
			b.Keys = b.Keys[:0]
		}
	}

	// Users, all with one password (hashed once: argon2id is slow on purpose).
	hash, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		return err
	}
	roles := []apikey.Role{apikey.RoleGlobalViewer, apikey.RoleSupport, apikey.RoleAccountViewer, apikey.RoleGlobalAdmin}
	for i := range s.users {
		role := roles[i%len(roles)]
		u := &apikey.User{ID: fmt.Sprintf("usr_seed_%06d", i), AccountID: all[i%len(all)].ID, Username: fmt.Sprintf("user%06d", i),
			PasswordHash: hash, Role: role, Active: i%10 != 0, CreatedAt: s.now, UpdatedAt: s.now, CreatedBy: "seed"}
		b.Users = append(b.Users, u)
		if len(b.Users) == batch || i == s.users-1 {
			if err := db.BulkLoad(ctx, b); err != nil {
				return err
			}
			b.Users = b.Users[:0]
		}
	}

	// Audit events over the last year, in every account.
	actions := []string{apikey.ActionKeyCreated, apikey.ActionKeyUpdated, apikey.ActionKeyRegenerated, apikey.ActionKeyDeactivated}
	for i := range s.events {
		a := all[i%len(all)]
		if i%3 == 0 {
			a = bigCo
		}
		b.Events = append(b.Events, apikey.AuditEvent{ID: fmt.Sprintf("evt_seed_%07d", i), At: s.now.Add(-time.Duration(i) * 30 * time.Second),
			ActorKind: apikey.PrincipalUser, ActorID: "usr_seed_000001", ActorName: fmt.Sprintf("user%06d", i%max(1, s.users)),
			ClientIP: "192.0.2.1", AccountID: a.ID, TargetID: fmt.Sprintf("key_seed_%07d", i%s.keys), TargetName: fmt.Sprintf("Key %07d", i%s.keys),
			Action: actions[i%len(actions)], Changes: []apikey.Change{apikey.NewChange(apikey.FieldActive, true, false)}})
		if len(b.Events) == batch || i == s.events-1 {
			if err := db.BulkLoad(ctx, b); err != nil {
				return err
			}
			b.Events = b.Events[:0]
		}
	}
	// As a database in use would be, so that it measures like one.
	return db.Settle(ctx)
}

// key makes the i-th key: mostly active general keys, some of every other
// kind, status, expiry and restriction.
func (s *seeder) key(i int, account string) (*apikey.Key, string, error) {
	types := []apikey.Type{apikey.TypeGeneral, apikey.TypeGeneral, apikey.TypeEmbedded, apikey.TypeChrome}
	t := types[i%len(types)]
	secret, err := apikey.GenerateSecret(t)
	if err != nil {
		return nil, "", err
	}
	created := s.now.Add(-time.Duration(s.rng.IntN(365*24)) * time.Hour)
	k := &apikey.Key{ID: fmt.Sprintf("key_seed_%07d", i), AccountID: account, SecretHash: apikey.HashSecret(secret),
		DisplayPrefix: apikey.DisplayPrefix(secret), CreatedAt: created, UpdatedAt: created, CreatedBy: "seed", UpdatedBy: "seed", Version: 1,
		Settings: apikey.Settings{Name: fmt.Sprintf("Key %07d", i), Type: t, AccessType: apikey.AccessGenerated, Active: i%10 != 7,
			AllowUnauthenticated: true, Roles: []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}}}
	switch i % 20 {
	case 3: // expires within the year
		at := s.now.Add(time.Duration(1+s.rng.IntN(365*24)) * time.Hour)
		k.ExpiresAt = &at
	case 5: // expired
		at := s.now.Add(-time.Duration(1+s.rng.IntN(30*24)) * time.Hour)
		k.ExpiresAt = &at
	case 9:
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}}
	}
	if i%7 == 0 {
		used := created.Add(time.Duration(s.rng.IntN(24*30)) * time.Hour)
		k.LastUsedAt = &used
	}
	return k, secret, nil
}
