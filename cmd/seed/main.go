// Command seed fills a database with many keys, accounts, users and audit
// events, quickly, for measuring the console at scale (make bench). It is
// for developers: the data is made up, and every seeded user's password is
// the one -password gives.
//
//	go run ./cmd/seed --db data/bench.db --keys 1000000
//
// See internal/seed for what it makes. It writes the secrets of --secrets
// active keys, from every account, one per line, to --secrets-out, for
// load generators.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"keyconsole/internal/seed"
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
	start := time.Now()
	o := seed.Options{Keys: *keys, Big: *big, Accounts: *accounts, Users: *users, Events: *events, Secrets: *secrets, Password: *password}
	if err := run(*dsn, *secretsOut, o); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "seed: %d keys, %d accounts, %d users, %d audit events in %v\n",
		*keys, *accounts+2, *users, *events, time.Since(start).Round(time.Millisecond))
}

func run(dsn, secretsOut string, o seed.Options) error {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if secretsOut != "" {
		f, err := os.OpenFile(secretsOut, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		o.SecretsOut = f
	}
	return seed.Run(ctx, db, o)
}
