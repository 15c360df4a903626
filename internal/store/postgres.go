package store

// Everything specific to PostgreSQL (through pgx): $n placeholders,
// SERIALIZABLE write transactions retried on serialization failures,
// errors read by SQLSTATE and constraint name, an advisory lock for
// migrations and first-start set-up, and bulk loads with COPY.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" database/sql driver
)

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

type postgresEngine struct {
	url     string // for the connection that listens
	channel string // where key changes are announced: one per schema
}

// SQLSTATEs this package acts on.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

func (postgresEngine) name() string               { return "postgres" }
func (postgresEngine) rebind(query string) string { return dollarPlaceholders(query) }
func (postgresEngine) migrations() fs.FS          { return mustSub(postgresMigrations, "migrations/postgres") }

func (postgresEngine) txOptions() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelSerializable}
}

// retryable: serialization failures and deadlocks, and two changes taking
// the same key change number (the loser reads the winner's on its retry).
func (postgresEngine) retryable(err error) bool {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == pgSerializationFailure || e.Code == pgDeadlockDetected ||
		(e.Code == pgUniqueViolation && e.ConstraintName == "key_changes_pkey")
}

// unavailable: the server's disk is full, it is read-only (a standby) or
// starting or stopping, or the connection to it failed.
func (postgresEngine) unavailable(err error) bool {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return strings.HasPrefix(e.Code, "53") || // insufficient resources: disk full, out of memory, too many connections
			e.Code == "25006" || strings.HasPrefix(e.Code, "57P") || strings.HasPrefix(e.Code, "08")
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err)
}

func (postgresEngine) violation(err error) violation {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return violation{}
	}
	switch e.Code {
	case pgUniqueViolation:
		return violation{kind: uniqueViolation, constraint: e.ConstraintName}
	case pgForeignKeyViolation:
		return violation{kind: foreignKeyViolation, constraint: e.ConstraintName}
	}
	return violation{}
}

// lock takes a session advisory lock on a connection of its own, keyed by
// the schema, so instances sharing one database migrate one at a time.
func (postgresEngine) lock(ctx context.Context, db *sql.DB) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	const key = `hashtext(current_schema() || '.keyconsole.migrate')`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		// Closing the connection would release it too; unlocking first lets
		// the connection go back to the pool.
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`)
		conn.Close()
	}, nil
}

// queueKeyChanges takes a transaction-scoped advisory lock: the next
// transaction numbering a change waits for this one, then (its snapshot
// being older) retries once, instead of colliding again and again.
func (postgresEngine) queueKeyChanges(ctx context.Context, tx *txn) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.keyconsole.key_changes'))`)
	return err
}

// queue makes a retried write wait its turn behind the others retried,
// holding a session lock on the connection its transaction then uses: its
// snapshot is taken after the writes it collided with have committed, so
// it does not collide with them again (a lock taken inside the
// transaction comes after its snapshot).
func (postgresEngine) queue(ctx context.Context, db *sql.DB, queued bool) (*sql.Conn, func(), error) {
	if !queued {
		return nil, nil, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	const key = `hashtext(current_schema() || '.keyconsole.retried')`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, func() {
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`)
		conn.Close()
	}, nil
}

// queueAudit queues the transactions that link audit entries, as
// queueKeyChanges does those that number key changes.
func (postgresEngine) queueAudit(ctx context.Context, tx *txn) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.keyconsole.audit'))`)
	return err
}

func (e postgresEngine) notify(ctx context.Context, tx *txn, payload string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, e.channel, payload); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// listen holds a connection of its own outside the pool: LISTEN belongs
// to a session, and waiting would take a pooled connection for good.
func (e postgresEngine) listen(ctx context.Context, woken func()) error {
	conn, err := pgx.Connect(ctx, e.url)
	if err != nil {
		return fmt.Errorf("listen: %s", redactURL(err.Error(), e.url))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{e.channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	woken()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		woken()
	}
}

// keySearchIndex: a LIKE on search_fold uses the pg_trgm index whenever the
// planner judges it worth it.
func (postgresEngine) keySearchIndex() string { return "" }

// auditSearchIndex: a LIKE on either folded name uses its pg_trgm index
// (migration 0025) whenever the planner judges it worth it.
func (postgresEngine) auditSearchIndex(string) string { return "" }

// useIndex: PostgreSQL's autovacuum keeps statistics; its planner chooses.
func (postgresEngine) useIndex(string) string { return "" }

func (postgresEngine) jsonArray(exprs ...string) string {
	return "json_build_array(" + strings.Join(exprs, ", ") + ")"
}

func (postgresEngine) jsonAgg(expr, order string) string {
	return "COALESCE(json_agg(" + expr + " ORDER BY " + order + "), '[]')"
}

func (postgresEngine) backup(context.Context, *sql.DB, string) error {
	return errors.New("backup copies SQLite databases; for PostgreSQL use pg_dump")
}

// IsPostgresURL tells whether a --db value names a PostgreSQL database
// rather than an SQLite file.
func IsPostgresURL(s string) bool {
	lower := strings.ToLower(s)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// looksLikeConnString catches what was meant for a database server but
// would otherwise be taken for an SQLite file's name (and create one).
func looksLikeConnString(s string) bool {
	lower := strings.ToLower(s)
	return strings.Contains(lower, "://") || strings.Contains(lower, "password=") ||
		strings.HasPrefix(lower, "host=") || strings.HasPrefix(lower, "dbname=") || strings.HasPrefix(lower, "user=")
}

// openPostgres opens one pool that serves reads and writes alike.
//
// Its statements are planned for their arguments each time (pgx's
// cache_describe: unnamed statements, their types cached), unless the URL
// asks otherwise. A statement prepared once and run often is given a
// generic plan from its sixth run, made without the arguments, and
// accounts differ too much for one: with a million keys, counting a
// search's matches among one account's keys went from 0.4 ms to 42 ms,
// the generic plan reading the trigram index's million entries. The key
// load of verification, the same for every key, stays prepared
// (KeyByHash).
func openPostgres(ctx context.Context, dsn string, conns int) (*pool, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %s", redactURL(err.Error(), dsn))
	}
	if u, err := url.Parse(dsn); err == nil && !u.Query().Has("default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %s", redactURL(err.Error(), dsn))
	}
	if !schema.Valid {
		db.Close()
		return nil, errors.New("open postgres: the search_path names no schema that exists")
	}
	// One channel per schema, named by a hash: channel names are short.
	sum := sha256.Sum256([]byte(schema.String))
	return &pool{db: db, e: postgresEngine{url: dsn, channel: "keyconsole_keys_" + hex.EncodeToString(sum[:8])}}, nil
}

// redactURL keeps the password of a URL out of a message that may hold it.
func redactURL(msg, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the database URL cannot be read"
	}
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
		if esc := url.QueryEscape(p); esc != p {
			msg = strings.ReplaceAll(msg, esc, "xxxxx")
		}
	}
	if p := u.Query().Get("password"); p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}

// postgresColumns names the columns of table in the current schema and
// tells which hold text; none when there is no such table.
func postgresColumns(ctx context.Context, q queryer, table string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ?`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	text := map[string]bool{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		text[name] = typ == "text" || typ == "character varying" || typ == "character"
	}
	return text, rows.Err()
}

// postgresCopy loads rows into table with COPY, the fastest way in, on
// conn and so inside the transaction open on it.
func postgresCopy(ctx context.Context, conn *sql.Conn, table string, columns []string, rows copySource) (int64, error) {
	var n int64
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: not a pgx connection", table)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
		return err
	})
	return n, err
}

func (postgresEngine) pageIDsFirst() bool { return true }

// mergeInOrder merges parts each cut at each rows in FROM: PostgreSQL
// merges parts whose order it knows (Merge Append). The order of a union
// of its own, or of parts not cut (planned as one relation, their sort
// expressions no longer matching the indexes'), is sorted whole.
func (postgresEngine) mergeInOrder(parts []string, order string, each int) string {
	cut := make([]string, len(parts))
	for i, p := range parts {
		cut[i] = `SELECT * FROM (` + p + ` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(each) + `) a` + strconv.Itoa(i)
	}
	return `SELECT * FROM (` + strings.Join(cut, " UNION ALL ") + `) merged ORDER BY ` + order + ` LIMIT ? OFFSET ?`
}

// settle gathers statistics and sets the visibility map (VACUUM (ANALYZE)),
// as autovacuum would in its own time: until then the planner guesses, and
// a list cannot read its index alone.
func (postgresEngine) settle(ctx context.Context, db *sql.DB, tables []string) error {
	_, err := db.ExecContext(ctx, `VACUUM (ANALYZE) `+strings.Join(tables, ", "))
	return err
}
