package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"keyconsole/internal/tick"
)

// What readiness and start-up check: that the database is the one opened,
// that it takes writes, and (once, at start) that its pages are sound. A
// server that answers 200 while writing into a deleted file loses every
// write it acknowledges.

// WALLimit is what SQLite's write-ahead log keeps after a checkpoint
// (journal_size_limit); TrimWAL empties it after an idle interval.
const WALLimit = 64 << 20

// sqliteFile is the file an SQLite database was opened from.
type sqliteFile struct {
	path string
	info os.FileInfo
}

func openedFile(path string) (*sqliteFile, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("database file: %w", err)
	}
	return &sqliteFile{path: path, info: info}, nil
}

// check fails when the path no longer names the file opened (deleted,
// renamed or replaced while in use: writes would go to a file no one will
// open again), or when the file may not be both read and written.
func (f *sqliteFile) check() error {
	info, err := os.Stat(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("the database file is gone: it was deleted or renamed while in use")
	case err != nil:
		return fmt.Errorf("the database file: %w", err)
	case !os.SameFile(info, f.info):
		return errors.New("the database file was replaced by another file while in use")
	}
	return readWritable(f.path, info)
}

// readWritable tells whether this process may read and write the file.
// access(2) answers yes to root whatever the mode, so for root the
// owner's bits decide: a file made read-only is meant to stay so.
func readWritable(path string, info os.FileInfo) error {
	if err := unix.Access(path, unix.R_OK|unix.W_OK); err != nil {
		return fmt.Errorf("the database file cannot be read and written by this process: %w", err)
	}
	if os.Geteuid() == 0 && info.Mode().Perm()&0o600 != 0o600 {
		return fmt.Errorf("the database file cannot be read and written (mode %s)", info.Mode().Perm())
	}
	return nil
}

// Check tells whether the database can serve: on SQLite the path still
// names the file opened and it may be read and written; on both engines
// one row is written, so a full disk or a read-only server shows here.
func (db *DB) Check(ctx context.Context) error {
	if db.file != nil {
		if err := db.file.check(); err != nil {
			return err
		}
	}
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health_probe (id, at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, formatTime(db.now()))
		if err != nil {
			return fmt.Errorf("the database takes no writes: %w", err)
		}
		return nil
	})
}

// QuickCheck reads every page of an SQLite file and checks its structure
// (SQLite's quick_check: a few seconds a gigabyte). PostgreSQL checks its
// own pages as it reads them.
func (db *DB) QuickCheck(ctx context.Context) error {
	if db.file == nil {
		return nil
	}
	found, err := queryNames(ctx, db.reader, `PRAGMA quick_check(5)`)
	if err == nil && (len(found) != 1 || found[0] != "ok") {
		err = errors.New(strings.Join(found, "; "))
	}
	if err != nil {
		return fmt.Errorf("the database file is damaged (%v): restore a backup (keyconsole restore)", err)
	}
	return nil
}

// FileSize is the size of the SQLite file in bytes; 0 on PostgreSQL.
func (db *DB) FileSize() int64 {
	if db.file == nil {
		return 0
	}
	fi, err := os.Stat(db.file.path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Exists tells whether dsn names a database keyconsole has set up: an
// SQLite file, or a PostgreSQL database holding its tables. A start that
// would make a new one where one was before asks first.
func Exists(ctx context.Context, dsn string) (bool, error) {
	if !IsPostgresURL(dsn) {
		_, err := os.Stat(dsn)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	db, err := OpenExisting(ctx, dsn)
	if err != nil {
		return false, err
	}
	defer db.Close()
	var n int
	err = db.reader.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`).Scan(&n)
	return n > 0, err
}

// TrimWAL empties SQLite's write-ahead log whenever a whole interval went
// by without a write, until ctx ends. While writes go on, journal_size_limit
// bounds what the log keeps after each checkpoint; readers that hold old
// snapshots can stretch it between checkpoints, never for good.
func (db *DB) TrimWAL(ctx context.Context, every time.Duration) {
	if db.file == nil {
		return
	}
	last := db.writer.writes.Load()
	tick.Every(ctx, every, func() bool {
		if n := db.writer.writes.Load(); n != last {
			last = n
			return true
		}
		if fi, err := os.Stat(db.file.path + "-wal"); err != nil || fi.Size() == 0 {
			return true
		}
		// Bounded, so a reader that holds on cannot hold the writer up.
		c, cancel := context.WithTimeout(ctx, time.Second)
		db.writer.db.ExecContext(c, `PRAGMA wal_checkpoint(TRUNCATE)`)
		cancel()
		return true
	})
}
