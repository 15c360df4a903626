// Package store keeps accounts, API keys, users and the audit trail in SQLite
// or PostgreSQL. Every method takes a context, every write is one
// transaction, rules that span rows are decided inside it (constraints,
// or SERIALIZABLE on PostgreSQL), and errors carry an apikey error code so
// callers never look at driver messages.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// DB is the keyconsole database, on SQLite or PostgreSQL.
type DB struct {
	writer  *pool
	reader  *pool // the writer itself on PostgreSQL
	e       engine
	now     func() time.Time
	keyLoad keyLoad     // the prepared statement that verification reads keys with
	file    *sqliteFile // the SQLite file opened; nil on PostgreSQL
}

// Open opens the database dsn names (a postgres:// URL, or else an SQLite
// file, created with its folder when missing), applies every pending
// migration and gives an empty database its root account, all under a lock
// that makes several instances starting at once take turns.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := open(ctx, dsn, true)
	if err != nil {
		return nil, err
	}
	err = db.locked(ctx, func() error {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		return db.ensureRootAccount(ctx)
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenExisting opens the database as it is: no migration, no root account.
// Backups use it, so that copying never changes the source.
func OpenExisting(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, false)
}

func open(ctx context.Context, dsn string, create bool) (*DB, error) {
	db := &DB{now: func() time.Time { return time.Now().UTC() }}
	if IsPostgresURL(dsn) {
		p, err := openPostgres(ctx, dsn, max(8, runtime.NumCPU()*4))
		if err != nil {
			return nil, err
		}
		db.writer, db.reader, db.e = p, p, p.e
		return db, nil
	}
	readers := 1
	if create {
		readers = max(4, runtime.NumCPU()*2)
	}
	w, r, err := openSQLite(ctx, dsn, readers, create)
	if err != nil {
		return nil, err
	}
	db.writer, db.reader, db.e = w, r, w.e
	if db.file, err = openedFile(dsn); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Engine names the database's engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.e.name() }

// locked runs fn under the engine's database-wide lock.
func (db *DB) locked(ctx context.Context, fn func() error) error {
	release, err := db.e.lock(ctx, db.writer.db)
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// Close closes the pools. A key load may still be under way (verification
// reads for no request in particular, and lets none cut a read short): the
// statement's once orders its preparing before this, and a load after it
// fails.
func (db *DB) Close() error {
	db.keyLoad.once.Do(func() { db.keyLoad.err = errors.New("the database is closed") })
	if db.keyLoad.stmt != nil {
		db.keyLoad.stmt.Close()
	}
	if db.reader == db.writer {
		return db.writer.db.Close()
	}
	return errors.Join(db.reader.db.Close(), db.writer.db.Close())
}

// Ping tells whether the database answers, for readiness checks.
func (db *DB) Ping(ctx context.Context) error {
	return db.reader.db.PingContext(ctx)
}

// Backup writes a consistent copy of an SQLite database to path, which
// must not exist.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	}
	if err := db.e.backup(ctx, db.writer.db, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// The copy holds password hashes: only its owner may read it.
	return os.Chmod(path, 0o600)
}

// inTx runs fn in a write transaction and commits when it returns nil. On
// PostgreSQL the transaction is SERIALIZABLE and fn may run more than once.
func (db *DB) inTx(ctx context.Context, fn func(*txn) error) error {
	return runTx(ctx, db.writer, fn)
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
