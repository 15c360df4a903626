package store

// Everything specific to SQLite lives in this file, so that a second engine
// (PostgreSQL) needs a sibling of it and nothing else.

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

const driverName = "sqlite"

// dsn turns a file path into a modernc DSN with the pragmas every connection needs.
func dsn(path string) string {
	u := url.URL{Scheme: "file", Opaque: path}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	return u.String() + "?" + q.Encode()
}

// openPools opens one writer connection (SQLite allows one writer at a time;
// queueing in Go beats SQLITE_BUSY) and a pool of readers.
func openPools(path string, readers int) (writer, reader *sql.DB, err error) {
	// The path becomes part of a URI whose ? and # the driver would read as
	// its own: a path holding them would quietly open another file.
	if strings.ContainsAny(path, "?#") {
		return nil, nil, fmt.Errorf("database path %q may not contain ? or #", path)
	}
	writer, err = sql.Open(driverName, dsn(path))
	if err != nil {
		return nil, nil, fmt.Errorf("open writer: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	if err := writer.Ping(); err != nil {
		writer.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	// query_only makes a stray write through the read pool fail loudly.
	reader, err = sql.Open(driverName, dsn(path)+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, nil, fmt.Errorf("open reader: %w", err)
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	return writer, reader, nil
}

// isUniqueViolation tells whether err is a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		code := e.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isUniqueViolationOn tells whether err is a UNIQUE failure on column; SQLite
// names the columns only in its message, so the reading of it stays here.
func isUniqueViolationOn(err error, column string) bool {
	return isUniqueViolation(err) && strings.Contains(err.Error(), "."+column)
}

// isForeignKeyViolation tells whether err is a FOREIGN KEY constraint failure.
func isForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// backupTo writes a consistent copy of the live database to path.
func backupTo(db *sql.DB, path string) error {
	_, err := db.Exec(`VACUUM INTO ?`, path)
	return err
}
