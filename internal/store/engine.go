package store

// The SQL in this package is written once, with ? placeholders, in the
// subset SQLite and PostgreSQL read alike. What differs between the two
// engines sits behind engine, one file per engine (sqlite.go, postgres.go).

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"keyconsole/internal/apikey"
)

// engine is what one SQL engine does its own way.
type engine interface {
	// name is "sqlite" or "postgres", for messages and the migrations folder.
	name() string
	// rebind turns the package's ? placeholders into the engine's own.
	rebind(query string) string
	// txOptions are the options of every write transaction.
	txOptions() *sql.TxOptions
	// retryable tells whether a write transaction that failed with err may
	// simply run again (a serialization failure or deadlock).
	retryable(err error) bool
	// violation names the constraint err broke, if any.
	violation(err error) violation
	// unavailable tells whether err means the database takes no writes
	// for now (a full disk, a read-only file or server, a lost connection).
	unavailable(err error) bool
	// migrations are the engine's schema files, applied in name order.
	migrations() fs.FS
	// lock holds an exclusive lock across every process on the database,
	// for migrations and first-start set-up, until release is called.
	lock(ctx context.Context, db *sql.DB) (release func(), err error)
	// queueKeyChanges makes transactions that number key changes wait for
	// each other rather than collide.
	queueKeyChanges(ctx context.Context, tx *txn) error
	// queueAudit does the same for transactions that link audit entries.
	queueAudit(ctx context.Context, tx *txn) error
	// queue, when queued, holds the engine's queue of retried writes on a
	// connection of db (nil where the engine needs none) until release.
	queue(ctx context.Context, db *sql.DB, queued bool) (conn *sql.Conn, release func(), err error)
	// notify wakes, when tx commits, every instance listening for key changes.
	notify(ctx context.Context, tx *txn, payload string) error
	// listen calls woken once listening has begun and after every
	// notification, until ctx ends or the connection fails.
	listen(ctx context.Context, woken func()) error
	// useIndex names the index a query must read a table by, where the
	// engine's planner lacks the statistics to know ("" where it has them).
	useIndex(index string) string
	// keySearchIndex is a query of the ids of keys whose search text
	// matches the GLOB pattern given as its parameter, along a trigram index
	// the planner would not choose by itself ("" where it would).
	keySearchIndex() string
	// auditSearchIndex is a query of the places in the chain (seq) of the
	// audit events whose name in column ("actor" or "target") matches the
	// GLOB pattern given as its first parameter, at most its second, along
	// a trigram index ("" where the planner reads its own by itself).
	auditSearchIndex(column string) string
	// pageIDsFirst tells whether a page far down a list is better read as
	// its ids first, then their rows: PostgreSQL's index scan reads the row
	// of every key skipped on the way, where an index-only scan of the ids
	// reads none; SQLite reads a row only once it is on the page.
	pageIDsFirst() bool
	// mergeInOrder is a query of the rows of parts (SELECTs of the same
	// columns, each served in order by an index), merged in order and cut
	// by its last two parameters, LIMIT and OFFSET; each part gives at
	// most the first each rows. It is written the way the engine merges
	// parts as they come instead of sorting them together.
	mergeInOrder(parts []string, order string, each int) string
	// settle readies tables just filled in bulk as they would be after a
	// while in use, when the engine needs it.
	settle(ctx context.Context, db *sql.DB, tables []string) error
	// jsonArray builds a JSON array of the expressions' values.
	jsonArray(exprs ...string) string
	// jsonAgg aggregates expr over rows, in order, into a JSON array ([]
	// for no rows).
	jsonAgg(expr, order string) string
	// backup writes a consistent copy of the live database to path.
	backup(ctx context.Context, db *sql.DB, path string) error
}

// violation is a broken constraint: its kind and the constraint's name (as
// declared in the migrations), so callers never read driver messages.
type violation struct {
	kind       violationKind
	constraint string
}

type violationKind int

const (
	noViolation violationKind = iota
	uniqueViolation
	foreignKeyViolation
)

func (v violation) unique(constraints ...string) bool {
	if v.kind != uniqueViolation {
		return false
	}
	if len(constraints) == 0 {
		return true
	}
	for _, c := range constraints {
		if v.constraint == c {
			return true
		}
	}
	return false
}

func (v violation) foreignKey() bool { return v.kind == foreignKeyViolation }

// pool is a connection pool whose queries are rebound for its engine.
type pool struct {
	db     *sql.DB
	e      engine
	writes atomic.Int64 // statements and transactions run through it, for TrimWAL to see idleness
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p.writes.Add(1)
	return p.db.ExecContext(ctx, p.e.rebind(query), args...)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, p.e.rebind(query), args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, p.e.rebind(query), args...)
}

// txn is a write transaction whose queries are rebound for its engine.
type txn struct {
	tx *sql.Tx
	e  engine
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.e.rebind(query), args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.e.rebind(query), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.e.rebind(query), args...)
}

// queryer is a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// maxTxAttempts bounds how often a write transaction is tried when the
// engine refuses to serialize it with another one.
const maxTxAttempts = 12

// runTx runs fn in a write transaction with the engine's options, commits
// when fn returns nil, and runs it again from the start when the engine
// reports a serialization failure: on PostgreSQL every write transaction is
// SERIALIZABLE, so a rule read and written in one transaction holds however
// many instances write at once. fn must be safe to run more than once.
func runTx(ctx context.Context, p *pool, fn func(*txn) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = tryTx(ctx, p, fn, attempt > 1)
		if err != nil && p.e.unavailable(err) {
			// The driver's words stay in the chain, for the log.
			return fmt.Errorf("%w (%v)", errStorage, err)
		}
		if err == nil || attempt == maxTxAttempts || !p.e.retryable(err) {
			return err
		}
		// Jittered back-off, so the transactions that collided do not collide again.
		wait := time.Duration(attempt) * time.Millisecond * time.Duration(1+rand.IntN(4))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// errStorage is what a write answers while the database takes none.
var errStorage = apikey.Errorf(apikey.EUNAVAILABLE, "The database cannot store anything right now (its disk may be full); nothing was changed. Try again in a moment.")

// tryTx runs fn in one transaction. queued (a retry) first waits for the
// engine's queue of retried writes, on the connection the transaction then
// uses, so that its snapshot is taken once the ones before it committed.
func tryTx(ctx context.Context, p *pool, fn func(*txn) error, queued bool) error {
	var tx *sql.Tx
	var err error
	if conn, release, qerr := p.e.queue(ctx, p.db, queued); qerr != nil {
		return fmt.Errorf("queue: %w", qerr)
	} else if conn != nil {
		defer release()
		tx, err = conn.BeginTx(ctx, p.e.txOptions())
	} else {
		tx, err = p.db.BeginTx(ctx, p.e.txOptions())
	}
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&txn{tx: tx, e: p.e}); err != nil {
		return err
	}
	p.writes.Add(1)
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// dollarPlaceholders rewrites ? as $1, $2, ... outside quoted text.
func dollarPlaceholders(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
