package store

// Everything specific to SQLite: the DSN and its pragmas, one writer and a
// read pool, error classification, the migration lock, backups and reading
// the schema of a database to copy.

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"keyconsole/internal/apikey"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

type sqliteEngine struct{}

func (sqliteEngine) name() string               { return "sqlite" }
func (sqliteEngine) rebind(query string) string { return query }
func (sqliteEngine) txOptions() *sql.TxOptions  { return nil }
func (sqliteEngine) retryable(err error) bool   { return false }
func (sqliteEngine) migrations() fs.FS          { return mustSub(sqliteMigrations, "migrations/sqlite") }
func (sqliteEngine) backup(ctx context.Context, db *sql.DB, path string) error {
	_, err := db.ExecContext(ctx, `VACUUM INTO ?`, path)
	return err
}

// keySearchIndex: the FTS5 trigram table of migration 0013.
func (sqliteEngine) keySearchIndex() string {
	return `SELECT r.key_id FROM api_key_search s JOIN api_key_search_rows r ON r.n = s.rowid WHERE s.text GLOB ?`
}

// auditSearchIndex: the FTS5 trigram tables of migration 0032.
func (sqliteEngine) auditSearchIndex(column string) string {
	return `SELECT rowid FROM audit_search_` + column + ` WHERE name GLOB ? LIMIT ?`
}

// useIndex: SQLite keeps no statistics unless told to ANALYZE.
func (sqliteEngine) useIndex(index string) string { return " INDEXED BY " + index }

func (sqliteEngine) jsonArray(exprs ...string) string {
	return "json_array(" + strings.Join(exprs, ", ") + ")"
}

func (sqliteEngine) jsonAgg(expr, order string) string {
	return "json_group_array(" + expr + " ORDER BY " + order + ")"
}

// SQLite has one writer: transactions queue already.
func (sqliteEngine) queueKeyChanges(context.Context, *txn) error { return nil }
func (sqliteEngine) queueAudit(context.Context, *txn) error      { return nil }

// queue: one writer connection queues every write already.
func (sqliteEngine) queue(context.Context, *sql.DB, bool) (*sql.Conn, func(), error) {
	return nil, nil, nil
}

// One process writes an SQLite file: there is nobody to wake.
func (sqliteEngine) notify(context.Context, *txn, string) error { return nil }
func (sqliteEngine) listen(context.Context, func()) error       { return apikey.ErrNoListen }

// lock: every write transaction begins IMMEDIATE, taking SQLite's one write
// lock, so migrations and first-start set-up are serialized without more.
func (sqliteEngine) lock(context.Context, *sql.DB) (func(), error) { return func() {}, nil }

// sqliteConstraints maps what SQLite's messages name (the columns of a
// UNIQUE constraint, or an index) to the constraint's declared name.
var sqliteConstraints = map[string]string{
	"api_keys.account_id, api_keys.name_fold": "api_keys_name_unique",
	"api_keys.secret_hash":                    "api_keys_secret_unique",
	"api_keys.previous_secret_hash":           "api_keys_previous_secret",
	"api_key_secrets.hash":                    "api_key_secrets_unique",
	"users.username":                          "users_username_unique",
	"accounts.parent_id, accounts.name_fold":  "accounts_name_unique",
	"index 'accounts_one_root'":               "accounts_one_root",
	"signing_keys.kid":                        "signing_keys_pkey",
}

// unavailable: the disk is full, the file went read-only or cannot be
// read; the database itself is sound and recovers once it is fixed.
func (sqliteEngine) unavailable(err error) bool {
	switch primaryCode(err) {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// primaryCode is the primary result code of an SQLite error, 0 for any
// other error.
func primaryCode(err error) int {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return 0
	}
	return e.Code() & 0xff
}

func (sqliteEngine) violation(err error) violation {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return violation{}
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := e.Error()
		if i := strings.LastIndex(msg, "constraint failed: "); i >= 0 {
			msg = msg[i+len("constraint failed: "):]
		}
		msg, _, _ = strings.Cut(msg, " (")
		return violation{kind: uniqueViolation, constraint: sqliteConstraints[msg]}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return violation{kind: foreignKeyViolation}
	}
	return violation{}
}

// sqliteDSN turns a file path into a modernc DSN with the pragmas every
// connection needs; _txlock=immediate makes each transaction take the write
// lock at BEGIN, so a transaction never fails half-way for want of it.
func sqliteDSN(path string) string {
	u := url.URL{Scheme: "file", Opaque: path}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyWait.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// What the write-ahead log keeps after a checkpoint; TrimWAL empties it when idle.
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", WALLimit))
	q.Add("_txlock", "immediate")
	return u.String() + "?" + q.Encode()
}

// openSQLite opens one writer connection (SQLite allows one writer at a
// time; queueing in Go beats SQLITE_BUSY) and a pool of readers. create
// makes the file and its folder when missing.
func openSQLite(ctx context.Context, path string, readers int, create bool) (writer, reader *pool, err error) {
	// A server's connection string is not a file name: say so, without
	// repeating it (it may hold a password).
	if looksLikeConnString(path) {
		return nil, nil, errors.New("--db is neither an SQLite file nor a postgres:// URL (give PostgreSQL as postgres://user@host/db)")
	}
	// The path becomes part of a URI whose ? and # the driver would read as
	// its own: a path holding them would quietly open another file.
	if strings.ContainsAny(path, "?#") {
		return nil, nil, fmt.Errorf("database path %q may not contain ? or #", path)
	}
	if create {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, nil, fmt.Errorf("create database folder: %w", err)
			}
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("no database at %s", path)
	}
	w, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, nil, fmt.Errorf("open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := firstConnection(ctx, w); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	// query_only makes a stray write through the read pool fail loudly.
	r, err := sql.Open("sqlite", sqliteDSN(path)+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("open reader: %w", err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	e := sqliteEngine{}
	return &pool{db: w, e: e}, &pool{db: r, e: e}, nil
}

// busyWait is the busy timeout every connection sets: how long SQLite
// waits for a lock another connection holds. It also bounds how long
// opening tries again (one more try may wait that long once more).
const busyWait = 5 * time.Second

// firstConnection opens the writer's connection, retrying SQLITE_BUSY.
// Its pragmas switch a new file to WAL, which takes the file's exclusive
// lock; two processes doing so at once each hold the shared lock the other
// waits for, and SQLite breaks that deadlock by answering SQLITE_BUSY at
// once, without its busy timeout, for the caller to try again.
func firstConnection(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(busyWait)
	for {
		err := w.PingContext(ctx)
		if err == nil || primaryCode(err) != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5+rand.IntN(20)) * time.Millisecond): // apart, not in step
		}
	}
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// sqliteTables describes every table of an SQLite database (but SQLite's
// own) for copying: its columns in order and the tables it refers to.
func sqliteTables(ctx context.Context, q queryer) ([]sourceTable, error) {
	names, err := queryNames(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables := make([]sourceTable, 0, len(names))
	for _, name := range names {
		t := sourceTable{name: name, selfFrom: -1, selfTo: -1}
		if t.columns, err = queryNames(ctx, q, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", name, err)
		}
		rows, err := q.QueryContext(ctx, `SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)`, name)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", name, err)
		}
		var self [][2]string // (from, to) of references to the table itself
		for rows.Next() {
			var parent, from string
			var to sql.NullString
			if err := rows.Scan(&parent, &from, &to); err != nil {
				rows.Close()
				return nil, fmt.Errorf("foreign keys of %s: %w", name, err)
			}
			if parent == name {
				self = append(self, [2]string{from, to.String})
			} else if !slices.Contains(t.refers, parent) {
				t.refers = append(t.refers, parent)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", name, err)
		}
		// One reference of one column (accounts.parent_id) is ordered
		// parents first; PostgreSQL checks the rest at the end of each COPY.
		if len(self) == 1 {
			t.selfFrom, t.selfTo = slices.Index(t.columns, self[0][0]), slices.Index(t.columns, self[0][1])
		}
		tables = append(tables, t)
	}
	return tables, nil
}

func (sqliteEngine) pageIDsFirst() bool { return false }

// mergeInOrder orders the compound itself: SQLite then merges its parts
// (MERGE), each read along its index and only as far as the merge needs,
// where a compound in FROM, or parts of their own cut short, are sorted.
func (sqliteEngine) mergeInOrder(parts []string, order string, _ int) string {
	return strings.Join(parts, " UNION ALL ") + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
}

// settle: SQLite plans without statistics (see useIndex) and reads a row
// only once it is on the page, so there is nothing to ready.
func (sqliteEngine) settle(context.Context, *sql.DB, []string) error { return nil }
