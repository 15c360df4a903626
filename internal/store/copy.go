package store

// Copying an SQLite database into an empty PostgreSQL one, to move an
// installation from one engine to the other.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// copyOrder is the order tables are copied in where foreign keys leave a
// choice; tables not named here follow by name.
var copyOrder = []string{
	"accounts", "api_keys", "api_key_secrets", "api_key_roles", "api_key_permissions", "api_key_allowed_ips", "api_key_headers",
	"users", "user_role_accounts", "sessions", "audit_events", "api_key_usage", "api_key_usage_addresses", "signing_keys", "endpoints",
	"refresh_tokens", "key_jwts", "audit_head", "audit_verified",
}

// notCopied are the tables that hold no data: each database keeps its own
// record of migrations, and the runtime state of running instances (which
// are up, recent key changes for their caches, sign-in failures being
// throttled) starts afresh. Every other table is copied, but for SQLite's
// search indexes (api_key_search, audit_search and their own tables): the
// target indexes the keys and events as they arrive.
var notCopied = map[string]bool{
	"schema_migrations": true,
	"instances":         true,
	"key_changes":       true,
	"signin_failures":   true,
	"signin_known":      true,
	"health_probe":      true,
	"accounts_version":  true, // the target's own moves on as the accounts arrive
}

func copied(table string) bool {
	return !notCopied[table] && !strings.HasPrefix(table, "api_key_search") && !strings.HasPrefix(table, "audit_search")
}

// sourceTable is a table to copy, as the source describes it.
type sourceTable struct {
	name    string
	columns []string
	refers  []string // the other tables its foreign keys name
	// selfFrom and selfTo index the columns of a reference to the table
	// itself (accounts.parent_id to accounts.id), or are -1.
	selfFrom, selfTo int
}

// copySource hands rows to a bulk load one by one (a pgx.CopyFromSource).
type copySource interface {
	Next() bool
	Values() ([]any, error)
	Err() error
}

// CopyInto copies every table of from, an SQLite database, into to, an
// empty PostgreSQL database: from is read in one snapshot and to written in
// one transaction, all or nothing. Rows keep their ids, hashes and every
// column, so keys keep verifying with their secrets; to's fresh root
// account gives way to from's. Each table's rows are counted on both sides
// before the commit; after it, report hears each table and its count in
// the order copied. A target holding anything but its root is refused.
func CopyInto(ctx context.Context, from, to *DB, report func(table string, n int)) error {
	if from.e.name() != "sqlite" || to.e.name() != "postgres" {
		return fmt.Errorf("copying goes from SQLite into PostgreSQL, not from %s into %s", from.e.name(), to.e.name())
	}
	// Under the migration lock, so that an instance migrating the target
	// meanwhile waits. One that made its first admin before the copy took
	// the lock makes the copy refuse the target: all or nothing.
	return to.locked(ctx, func() error { return copyLocked(ctx, from, to, report) })
}

func copyLocked(ctx context.Context, from, to *DB, report func(string, int)) error {
	stx, err := from.reader.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read source: %w", err)
	}
	defer stx.Rollback()
	src := &txn{tx: stx, e: from.e}
	tables, err := sqliteTables(ctx, src)
	if err != nil {
		return err
	}
	tables = slices.DeleteFunc(tables, func(t sourceTable) bool { return !copied(t.name) })
	if tables, err = foreignKeyOrder(tables); err != nil {
		return err
	}

	// COPY runs on the connection itself, so the transaction needs one of its own.
	conn, err := to.writer.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to target: %w", err)
	}
	defer conn.Close()
	ttx, err := conn.BeginTx(ctx, to.e.txOptions())
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer ttx.Rollback()
	dst := &txn{tx: ttx, e: to.e}

	text := make([][]bool, len(tables))
	for i, t := range tables {
		target, err := postgresColumns(ctx, dst, t.name)
		if err != nil {
			return err
		}
		if len(target) == 0 {
			return fmt.Errorf("the target has no table %s", t.name)
		}
		for _, c := range t.columns {
			isText, ok := target[c]
			if !ok {
				return fmt.Errorf("the target has no column %s.%s", t.name, c)
			}
			text[i] = append(text[i], isText)
		}
	}
	if err := checkEmpty(ctx, dst, tables); err != nil {
		return err
	}
	// The rows refer to the source's root by its id: it replaces the target's.
	if _, err := dst.ExecContext(ctx, `DELETE FROM accounts`); err != nil {
		return fmt.Errorf("remove the target's root account: %w", err)
	}
	// So does the head of the source's audit chain, whose entries come along.
	if _, err := dst.ExecContext(ctx, `DELETE FROM audit_head`); err != nil {
		return fmt.Errorf("remove the target's audit chain head: %w", err)
	}
	counts := make([]int, len(tables))
	for i, t := range tables {
		if counts[i], err = copyTable(ctx, src, dst, conn, t, text[i]); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	if err := ttx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if report != nil {
		for i, t := range tables {
			report(t.name, counts[i])
		}
	}
	return nil
}

// checkEmpty refuses a target that holds data: anything but the root
// account store.Open makes.
func checkEmpty(ctx context.Context, q queryer, tables []sourceTable) error {
	var held []string
	for _, t := range tables {
		query := `SELECT COUNT(*) FROM ` + quoteIdent(t.name)
		switch t.name {
		case "accounts":
			query += ` WHERE parent_id IS NOT NULL`
		case "audit_head":
			query += ` WHERE seq > 0` // the empty chain's head every database starts with
		}
		var n int
		if err := q.QueryRowContext(ctx, query).Scan(&n); err != nil {
			return fmt.Errorf("count %s in the target: %w", t.name, err)
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%s (%d)", t.name, n))
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("the target database is not empty: it holds %s; copy only into a new database", strings.Join(held, ", "))
	}
	return nil
}

// copyTable streams table t from the source snapshot into the target and
// returns its number of rows, once the source, the load and the target
// agree on it.
func copyTable(ctx context.Context, src, dst *txn, conn *sql.Conn, t sourceTable, text []bool) (int, error) {
	columns := make([]string, len(t.columns))
	for i, c := range t.columns {
		columns[i] = quoteIdent(c)
	}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(columns, ", ")+` FROM `+quoteIdent(t.name))
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	read := &rowSource{rows: rows, text: text, vals: make([]any, len(columns)), ptrs: make([]any, len(columns))}
	for i := range read.vals {
		read.ptrs[i] = &read.vals[i]
	}
	var source copySource = read
	if t.selfFrom >= 0 && t.selfTo >= 0 {
		ordered, err := parentsFirst(read, t.selfFrom, t.selfTo)
		if err != nil {
			return 0, err
		}
		source = &sliceSource{rows: ordered}
	}
	loaded, err := postgresCopy(ctx, conn, t.name, t.columns, source)
	if err != nil {
		return 0, err
	}
	var inSource, inTarget int64
	if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.name)).Scan(&inSource); err != nil {
		return 0, fmt.Errorf("count in the source: %w", err)
	}
	if err := dst.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.name)).Scan(&inTarget); err != nil {
		return 0, fmt.Errorf("count in the target: %w", err)
	}
	if inSource != int64(read.n) || loaded != inSource || inTarget != inSource {
		return 0, fmt.Errorf("counts differ: %d rows in the source, %d read, %d loaded, %d in the target", inSource, read.n, loaded, inTarget)
	}
	return int(inTarget), nil
}

// rowSource hands a query's rows to a bulk load, each value as the target
// column takes it.
type rowSource struct {
	rows       *sql.Rows
	text       []bool // whether each target column holds text
	vals, ptrs []any
	n          int
	err        error
}

func (s *rowSource) Next() bool {
	if !s.rows.Next() {
		return false
	}
	if s.err = s.rows.Scan(s.ptrs...); s.err != nil {
		return false
	}
	s.n++
	return true
}

// Values returns a new slice each time, so rows may be kept.
func (s *rowSource) Values() ([]any, error) {
	out := make([]any, len(s.vals))
	for i, v := range s.vals {
		out[i] = v
		if !s.text[i] {
			continue
		}
		// SQLite may hand back a value of another type than the column's.
		switch x := v.(type) {
		case []byte:
			out[i] = string(x)
		case int64:
			out[i] = strconv.FormatInt(x, 10)
		case float64:
			out[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
	}
	return out, nil
}

func (s *rowSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// sliceSource hands rows held in memory to a bulk load.
type sliceSource struct {
	rows [][]any
	i    int
}

func (s *sliceSource) Next() bool             { s.i++; return s.i <= len(s.rows) }
func (s *sliceSource) Values() ([]any, error) { return s.rows[s.i-1], nil }
func (s *sliceSource) Err() error             { return nil }

// parentsFirst reads every row of a table that refers to itself and orders
// them so that each follows the row it refers to (column from holds the
// value of the other row's column to): parent accounts before children.
func parentsFirst(src copySource, from, to int) ([][]any, error) {
	var rows [][]any
	for src.Next() {
		r, err := src.Values()
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if err := src.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	key := func(v any) any {
		if b, ok := v.([]byte); ok {
			return string(b) // a slice cannot be a map key
		}
		return v
	}
	out := make([][]any, 0, len(rows))
	placed := map[any]bool{}
	for len(rows) > 0 {
		var rest [][]any
		for _, r := range rows {
			if r[from] == nil || placed[key(r[from])] {
				out = append(out, r)
				placed[key(r[to])] = true
			} else {
				rest = append(rest, r)
			}
		}
		if len(rest) == len(rows) {
			return nil, fmt.Errorf("%d rows refer to rows that are missing or refer back to them", len(rest))
		}
		rows = rest
	}
	return out, nil
}

// foreignKeyOrder puts each table after the tables it refers to, following
// copyOrder where that leaves a choice.
func foreignKeyOrder(tables []sourceTable) ([]sourceTable, error) {
	rank := func(name string) int {
		if i := slices.Index(copyOrder, name); i >= 0 {
			return i
		}
		return len(copyOrder)
	}
	slices.SortStableFunc(tables, func(a, b sourceTable) int {
		return cmp.Or(cmp.Compare(rank(a.name), rank(b.name)), strings.Compare(a.name, b.name))
	})
	present := map[string]bool{}
	for _, t := range tables {
		present[t.name] = true
	}
	placed := map[string]bool{}
	out := make([]sourceTable, 0, len(tables))
	for len(out) < len(tables) {
		i := slices.IndexFunc(tables, func(t sourceTable) bool {
			return !placed[t.name] && !slices.ContainsFunc(t.refers, func(p string) bool { return present[p] && !placed[p] })
		})
		if i < 0 {
			return nil, errors.New("the tables' foreign keys refer to each other in a cycle")
		}
		placed[tables[i].name] = true
		out = append(out, tables[i])
	}
	return out, nil
}

// queryNames runs a query of one text column and returns its values.
func queryNames(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// quoteIdent quotes a table or column name the way both engines read it.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
