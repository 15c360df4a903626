package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyconsole/internal/store/storetest"
)

// TestCheckWritesAndSeesTheFile: a sound database passes on either engine;
// on SQLite, a file deleted, renamed, replaced, unreadable or read-only
// under a running server fails the very next check.
func TestCheckWritesAndSeesTheFile(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("a sound database: %v", err)
	}
	if db.Engine() != "sqlite" {
		return
	}
	for _, c := range []struct {
		name string
		do   func(path string) error
		want string
	}{
		{"deleted", os.Remove, "is gone"},
		{"renamed", func(p string) error { return os.Rename(p, p+".old") }, "is gone"},
		{"replaced", func(p string) error {
			if err := os.Rename(p, p+".old"); err != nil {
				return err
			}
			return os.WriteFile(p, nil, 0o600)
		}, "replaced"},
		{"unreadable", func(p string) error { return os.Chmod(p, 0) }, "read and written"},
		{"read-only", func(p string) error { return os.Chmod(p, 0o400) }, "read and written"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := storetest.SQLiteDSN(t)
			db, _ := openAt(t, path)
			if err := db.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := c.do(path); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(context.Background()); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("check after the file was %s: %v", c.name, err)
			}
		})
	}
}

// TestNewerDatabaseRefused: a migration this binary does not know means a
// newer version wrote the database; opening it is refused, and nothing is
// applied.
func TestNewerDatabaseRefused(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	db, _ := openAt(t, dsn)
	if _, err := db.writer.ExecContext(context.Background(), `INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_from_the_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), dsn); err == nil || !strings.Contains(err.Error(), "newer keyconsole") || !strings.Contains(err.Error(), "9999_from_the_future.sql") {
		t.Fatalf("open: %v", err)
	}
}

// TestQuickCheckFindsADamagedPage: a page overwritten in the middle of the
// file is found; a sound file passes.
func TestQuickCheckFindsADamagedPage(t *testing.T) {
	t.Parallel()
	path := storetest.SQLiteDSN(t)
	db, _ := openAt(t, path)
	acct := root(t, db)
	for i := range 300 {
		newKey(t, db, acct, fmt.Sprintf("key %03d with a name long enough to fill pages", i))
	}
	if err := db.QuickCheck(context.Background()); err != nil {
		t.Fatalf("a sound file: %v", err)
	}
	db.Close() // the last connection folds the log into the file
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	junk := []byte(strings.Repeat("\x0d\xff", page/2))
	if _, err := f.WriteAt(junk, (fi.Size()/page/2)*page); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, err = OpenExisting(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QuickCheck(context.Background()); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("quick check of a damaged file: %v", err)
	}
}

// TestWALEmptiedWhenIdle: under writes and readers that keep old
// snapshots, the write-ahead log stays below its limit; once writes stop
// for an interval it is emptied.
func TestWALEmptiedWhenIdle(t *testing.T) {
	t.Parallel()
	path := storetest.SQLiteDSN(t)
	db, _ := openAt(t, path)
	var limit int64
	if err := db.writer.db.QueryRow(`PRAGMA journal_size_limit`).Scan(&limit); err != nil || limit != WALLimit {
		t.Fatalf("journal_size_limit %d: %v", limit, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go db.TrimWAL(ctx, 200*time.Millisecond)
	acct := root(t, db)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				// A statement left open a moment pins its snapshot in the log.
				rows, err := db.reader.db.QueryContext(ctx, `SELECT id FROM api_keys`)
				if err != nil {
					t.Error(err)
					return
				}
				rows.Next()
				time.Sleep(2 * time.Millisecond)
				rows.Close()
			}
		}()
	}
	var largest int64
	for i := range 400 {
		newKey(t, db, acct, fmt.Sprintf("key %04d", i))
		if fi, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	stop.Store(true)
	wg.Wait()
	// The writes went through the log (journal_size_limit, read back above,
	// is SQLite's own bound on what a checkpoint leaves; 400 keys come
	// nowhere near it, so the size under load proves nothing about it).
	if largest == 0 {
		t.Fatal("the writes never reached the log")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		fi, err := os.Stat(path + "-wal")
		if err == nil && fi.Size() == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log is still %d bytes after writes stopped (largest %d)", fi.Size(), largest)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
