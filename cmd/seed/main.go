// Command seed fills a database with many keys, accounts, users and audit
// events, quickly, for measuring the console at scale (make bench). It is
// for developers: the data is made up, and every seeded user's password is
// the one -password gives.
//
//	go run ./cmd/seed --db data/bench.db --keys 1000000
//
// The accounts: "Big Co" under the root holds --big keys, "Big Co Berlin"
// below it a few of its own; the other keys are spread over --accounts
// customer accounts. It writes the secrets of --secrets active keys, from
// every account, one per line, to --secrets-out, for load generators.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/store"
)

func main() {
	dsn := flag.String("db", "data/bench.db", "SQLite file or postgres:// URL (must hold no seeded data yet)")
	keys := flag.Int("keys", 100_000, "keys in all")
	big := flag.Int("big", -1, "keys in the one big account (default: a fifth of --keys)")
	accounts := flag.Int("accounts", 1000, "customer accounts sharing the other keys")
	users := flag.Int("users", 40_000, "console users")
	events := flag.Int("events", -1, "audit events (default: as many as keys)")
	secrets := flag.Int("secrets", 18_000, "active keys whose secrets are written to --secrets-out")
	secretsOut := flag.String("secrets-out", "", "file for the secrets (default: none written); its first line is the secret of a key that may call verify")
	password := flag.String("password", "seeded-users-password", "every seeded user's password")
	flag.Parse()
	if *big < 0 {
		*big = *keys / 5
	}
	if *events < 0 {
		*events = *keys
	}
	if *keys < 1 || *big > *keys || *accounts < 1 || *users < 0 || *events < 0 || *secrets < 0 {
		fmt.Fprintln(os.Stderr, "seed: --keys at least 1, --big at most --keys, --accounts at least 1")
		os.Exit(2)
	}
	s := &seeder{keys: *keys, big: *big, accounts: *accounts, users: *users, events: *events, secrets: *secrets,
		now: time.Now().UTC().Truncate(time.Second), rng: rand.New(rand.NewPCG(1, 2))}
	start := time.Now()
	if err := s.run(context.Background(), *dsn, *password, *secretsOut); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "seed: %d keys, %d accounts, %d users, %d audit events in %v\n",
		*keys, *accounts+2, *users, *events, time.Since(start).Round(time.Millisecond))
}

type seeder struct {
	keys, big, accounts, users, events, secrets int
	now                                         time.Time
	rng                                         *rand.Rand
}

// batch is how many rows are built and stored at once: memory stays flat.
const batch = 20_000

func (s *seeder) run(ctx context.Context, dsn, password, secretsOut string) error {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	root, err := db.RootAccount(ctx)
	if err != nil {
		return err
	}
	// Accounts: Big Co, Big Co Berlin below it, and the customers.
	bigCo := apikey.Account{ID: "acc_seed_big", ParentID: root.ID, Name: "Big Co", CreatedAt: s.now}
	berlin := apikey.Account{ID: "acc_seed_big_berlin", ParentID: bigCo.ID, Name: "Big Co Berlin", CreatedAt: s.now}
	all := []apikey.Account{bigCo, berlin}
	for i := range s.accounts {
		all = append(all, apikey.Account{ID: fmt.Sprintf("acc_seed_%05d", i), ParentID: root.ID, Name: fmt.Sprintf("Customer %05d", i), CreatedAt: s.now})
	}
	if err := db.BulkLoad(ctx, store.Bulk{Accounts: all}); err != nil {
		return err
	}

	// Keys, written in batches; the secrets of some active keys are kept.
	var out *os.File
	if secretsOut != "" {
		if out, err = os.OpenFile(secretsOut, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return err
		}
		defer out.Close()
	}
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
			Action: actions[i%len(actions)], Changes: []apikey.Change{{Field: "Active", From: "Yes", To: "No"}}})
		if len(b.Events) == batch || i == s.events-1 {
			if err := db.BulkLoad(ctx, b); err != nil {
				return err
			}
			b.Events = b.Events[:0]
		}
	}
	return nil
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
