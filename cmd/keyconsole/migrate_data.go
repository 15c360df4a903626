package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"keyconsole/internal/store"
)

// migrateData copies an SQLite database into an empty PostgreSQL database
// and prints how many rows each table brought.
func migrateData(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flagSet("migrate-data")
	from := fs.String("from", "", "SQLite database file to copy")
	to := fs.String("to", "", "postgres:// URL of an empty database")
	// No environment: which database is read and which written is said on the command line.
	rest, err := parseFlags(fs, args, getenv, nil)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError{"migrate-data: unexpected argument " + rest[0]}
	case *from == "" || *to == "":
		return usageError{"migrate-data: give --from FILE and --to postgres://URL"}
	case store.IsPostgresURL(*from):
		return usageError{"migrate-data: --from takes an SQLite database file"}
	case !store.IsPostgresURL(*to):
		return usageError{"migrate-data: --to takes a postgres:// URL"}
	}
	// store.Open would create a missing file and copy an empty database.
	if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("migrate-data: no database at %s", *from)
	}
	// Open migrates an older source to the schema the target gets.
	src, err := store.Open(ctx, *from)
	if err != nil {
		return fmt.Errorf("migrate-data: source: %w", err)
	}
	defer src.Close()
	dst, err := store.Open(ctx, *to)
	if err != nil {
		return fmt.Errorf("migrate-data: target: %w", err)
	}
	defer dst.Close()
	err = store.CopyInto(ctx, src, dst, func(table string, n int) {
		fmt.Fprintf(stderr, "%s: %d copied\n", table, n)
	})
	if err != nil {
		return fmt.Errorf("migrate-data: %w", err)
	}
	return nil
}
