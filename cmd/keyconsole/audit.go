package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"keyconsole/internal/store"
)

// auditCommand runs `keyconsole audit verify`: it walks the audit trail's
// hash chain and names the first entry changed, removed or inserted (exit
// status 1); the audit page shows the outcome.
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{"audit: the only command is: audit verify [--db FILE_OR_URL]"}
	}
	fs := flagSet("audit verify")
	dbPath := fs.String("db", defaultDB, "SQLite database file, or a postgres:// URL")
	rest, err := parseFlags(fs, args[1:], getenv, map[string]string{"db": "KEYCONSOLE_DB"})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"audit verify: unexpected argument " + rest[0]}
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	check, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if check.Problem != "" {
		return errors.New("the audit trail was tampered with: " + check.Problem)
	}
	fmt.Fprintf(stderr, "keyconsole: the audit trail is whole: %d entries\n", check.Entries)
	return nil
}
