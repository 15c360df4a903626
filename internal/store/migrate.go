package store

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sort"
)

// afterMigration holds steps that SQL cannot express (folding case the way
// Go does), run after the named file's SQL in the same transaction.
var afterMigration = map[string]map[string]func(context.Context, *txn) error{
	"sqlite": {"0008_fold_columns.sql": refoldNames},
}

// Migrate applies, in name order, every migration of the engine not yet
// recorded in schema_migrations, each in its own transaction. Running it
// twice is a no-op. Open runs it under the engine's lock.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	// Databases made before there were two engines recorded the path.
	if db.e.name() == "sqlite" {
		if _, err := db.writer.ExecContext(ctx, `UPDATE schema_migrations SET name = substr(name, 12) WHERE name LIKE 'migrations/%'`); err != nil {
			return fmt.Errorf("rename migrations: %w", err)
		}
	}
	files := db.e.migrations()
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := db.refuseNewer(ctx, names); err != nil {
		return err
	}
	for _, name := range names {
		if err := db.applyMigration(ctx, files, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// refuseNewer fails when the database holds a migration this binary does
// not know: a newer version wrote it, and this one would misread it.
func (db *DB) refuseNewer(ctx context.Context, known []string) error {
	applied, err := queryNames(ctx, db.writer, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	for _, name := range applied {
		if !slices.Contains(known, name) {
			return fmt.Errorf("the database was written by a newer keyconsole (its migration %s is unknown to this one): run that version, or restore a backup taken before it", name)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, files fs.FS, name string) error {
	body, err := fs.ReadFile(files, name)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		// Raw: migration files are written for their engine, placeholders and all.
		if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		if step := afterMigration[db.e.name()][name]; step != nil {
			if err := step(ctx, tx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, formatTime(db.now()))
		return err
	})
}

// AppliedMigrations lists the names of applied migrations in order.
func (db *DB) AppliedMigrations(ctx context.Context) ([]string, error) {
	names, err := queryNames(ctx, db.reader, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	return names, nil
}
