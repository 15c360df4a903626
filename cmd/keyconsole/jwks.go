package main

import (
	"context"
	"fmt"
	"io"

	"keyconsole/internal/store"
	"keyconsole/internal/token"
)

// jwksCommand runs `keyconsole jwks rotate`: a new signing key signs JWTs
// from now on (running instances take it up within 30 s); the old public
// keys stay published, and keep checking the tokens they signed, until
// those have expired.
func jwksCommand(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	const usage = "usage: keyconsole jwks rotate [--db FILE|URL]"
	if len(args) == 0 || args[0] != "rotate" {
		return usageError{usage}
	}
	fs := flagSet("jwks rotate")
	dbPath := fs.String("db", defaultDB, "SQLite database file, or a postgres:// URL")
	rest, err := parseFlags(fs, args[1:], getenv, map[string]string{"db": "KEYCONSOLE_DB"})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"jwks rotate: unexpected argument " + rest[0]}
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	kid, err := token.New(db, nil).Rotate(ctx)
	if err != nil {
		return fmt.Errorf("jwks rotate: %w", err)
	}
	fmt.Fprintf(stderr, "JWTs are now signed with key %s; older keys stay published until the tokens they signed expire\n", kid)
	return nil
}
