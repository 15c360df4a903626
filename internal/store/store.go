// Package store keeps accounts and API keys in SQLite. Every method takes a
// context, writes go through one connection inside a transaction, and errors
// carry an apikey error code so callers never look at driver messages.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// DB is the keyconsole database.
type DB struct {
	writer *sql.DB
	reader *sql.DB
	now    func() time.Time
}

// Open opens (creating when missing) the database file at path and applies
// every pending migration.
func Open(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	writer, reader, err := openPools(path, max(4, runtime.NumCPU()*2))
	if err != nil {
		return nil, err
	}
	db := &DB{writer: writer, reader: reader, now: func() time.Time { return time.Now().UTC() }}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ensureRootAccount(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenExisting opens the database file at path as it is: no migration, no
// root account. Backups use it, so that copying never changes the source.
func OpenExisting(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s", path)
	}
	writer, reader, err := openPools(path, 1)
	if err != nil {
		return nil, err
	}
	return &DB{writer: writer, reader: reader, now: func() time.Time { return time.Now().UTC() }}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// Ping tells whether the database answers, for readiness checks.
func (db *DB) Ping(ctx context.Context) error {
	return db.reader.PingContext(ctx)
}

// Backup writes a consistent copy of the database to path, which must not exist.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	}
	if err := backupTo(db.writer, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// The copy holds password hashes: only its owner may read it.
	return os.Chmod(path, 0o600)
}

// inTx runs fn in a write transaction and commits when it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Times are stored as fixed-width UTC text so that they sort as strings and
// read the same in any SQL engine.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders gives "?,?,?" for n values of an IN list.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
