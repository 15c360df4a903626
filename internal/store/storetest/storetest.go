// Package storetest hands each test a fresh, empty database of the engine
// the environment chooses: an SQLite file in the test's temp dir, or, when
// KEYCONSOLE_TEST_POSTGRES holds a postgres:// URL, a schema of its own in
// that PostgreSQL database, dropped when the test ends. It does not import
// the store, so the store's own tests can use it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// EnvPostgres names the variable holding the PostgreSQL server's URL.
const EnvPostgres = "KEYCONSOLE_TEST_POSTGRES"

// PostgresURL is the server the tests may use, or "" for SQLite only.
func PostgresURL() string { return os.Getenv(EnvPostgres) }

// Engine is "postgres" when the tests run on PostgreSQL, else "sqlite".
func Engine() string {
	if PostgresURL() != "" {
		return "postgres"
	}
	return "sqlite"
}

// DSN is a fresh database for tb, of the engine the environment chooses.
func DSN(tb testing.TB) string {
	tb.Helper()
	if PostgresURL() == "" {
		return filepath.Join(tb.TempDir(), "test.db")
	}
	return PostgresDSN(tb)
}

// SQLiteDSN is a fresh SQLite file, whatever the environment says.
func SQLiteDSN(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "test.db")
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

// PostgresDSN is a fresh schema on the test server, as a URL whose
// search_path selects it; tb is skipped when there is no server.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := PostgresURL()
	if base == "" {
		tb.Skip("no PostgreSQL server: set " + EnvPostgres)
	}
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", base)
		if adminErr == nil {
			admin.SetMaxOpenConns(4)
			adminErr = admin.Ping()
		}
	})
	if adminErr != nil {
		tb.Fatalf("PostgreSQL at %s: %v", EnvPostgres, adminErr)
	}
	schema := "t_" + strings.ToLower(rand.Text())
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openRaw opens the database at dsn with database/sql alone, from outside
// the code under test; an SQLite file read-only when asked.
func openRaw(tb testing.TB, dsn string, readOnly bool) *sql.DB {
	tb.Helper()
	driver, source := "pgx", dsn
	if !strings.HasPrefix(dsn, "postgres") {
		driver = "sqlite"
		if readOnly {
			source = "file:" + dsn + "?mode=ro"
		}
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// Exec runs a statement on the database at dsn from outside the code under
// test: what an operator, or a restore, does behind its back.
func Exec(tb testing.TB, dsn, query string, args ...any) {
	tb.Helper()
	db := openRaw(tb, dsn, false)
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		tb.Fatal(err)
	}
}

// Count runs SELECT COUNT(*) FROM table on the database at dsn: a check
// from outside the code under test.
func Count(tb testing.TB, dsn, table string) int {
	tb.Helper()
	db := openRaw(tb, dsn, true)
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), fmt.Sprintf(`SELECT COUNT(*) FROM %s`, table)).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// Holds tells whether any stored byte of the database at dsn holds needle:
// every file of an SQLite database (its WAL included), or every row of
// every table of a PostgreSQL schema, read as text.
func Holds(tb testing.TB, dsn string, needle string) bool {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres") {
		files, _ := filepath.Glob(dsn + "*")
		if len(files) == 0 {
			tb.Fatal("no database files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			if strings.Contains(string(b), needle) {
				return true
			}
		}
		return false
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var t string
		rows.Scan(&t)
		tables = append(tables, t)
	}
	rows.Close()
	if len(tables) == 0 {
		tb.Fatal("no tables")
	}
	for _, t := range tables {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM `+t+` r WHERE strpos(r::text, $1) > 0`, needle).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// DropAuditGuards is the SQL, for engine ("sqlite" or "postgres"), that
// drops the triggers keeping audit entries append-only: what a tamperer
// with the database in hand would run first, so that tests can show the
// hash chain still catches the change.
func DropAuditGuards(engine string) string {
	if engine == "postgres" {
		return `DROP TRIGGER audit_events_append_only ON audit_events; DROP TRIGGER audit_events_no_truncate ON audit_events`
	}
	return `DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_events_no_change; DROP TRIGGER audit_events_linked_once`
}
