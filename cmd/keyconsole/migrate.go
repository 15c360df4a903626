package main

import (
	"context"

	"keyconsole/internal/store"
)

// migrate applies pending schema migrations and exits.
func migrate(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flagSet("migrate")
	dbPath := fs.String("db", defaultDB, "SQLite database file, or a postgres:// URL")
	rest, err := parseFlags(fs, args, getenv, map[string]string{"db": "KEYCONSOLE_DB"})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"migrate: unexpected argument " + rest[0]}
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	return db.Close()
}

// backup writes a consistent online copy of the database to FILE.
// restore replaces the SQLite database with a backup, checked first; it
// refuses while a server uses the database.
func restore(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flagSet("restore")
	dbPath := fs.String("db", defaultDB, "SQLite database file to replace")
	rest, err := parseFlags(fs, args, getenv, map[string]string{"db": "KEYCONSOLE_DB"})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"restore: give exactly one BACKUP file to restore"}
	}
	if store.IsPostgresURL(*dbPath) {
		return usageError{"restore: replaces SQLite files; restore PostgreSQL with pg_restore"}
	}
	return store.Restore(ctx, rest[0], *dbPath)
}

func backup(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flagSet("backup")
	dbPath := fs.String("db", defaultDB, "SQLite database file")
	rest, err := parseFlags(fs, args, getenv, map[string]string{"db": "KEYCONSOLE_DB"})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"backup: give exactly one FILE to write"}
	}
	if store.IsPostgresURL(*dbPath) {
		return usageError{"backup: copies SQLite databases; back up PostgreSQL with pg_dump"}
	}
	db, err := store.OpenExisting(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Backup(ctx, rest[0])
}
