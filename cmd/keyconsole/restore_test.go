package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

// TestRestoreRoundTrip: a backup taken while keys are being written
// restores to exactly what it held, after a crash left a -wal beside the
// database; restore refuses while a server uses the database, and refuses
// a damaged backup without touching the database.
func TestRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "k.db")
	env := map[string]string{"KEYCONSOLE_DB": path, "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key")}
	_, _, stopServer := startServeStop(t, env)
	ctx := context.Background()
	writer, err := store.OpenExisting(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	root, err := writer.RootAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Keys written all along while the backup is taken.
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !done.Load(); i++ {
			k := &apikey.Key{AccountID: root.ID, CreatedBy: "test", SecretHash: fmt.Sprintf("%064d", i), DisplayPrefix: "kc_g_",
				Settings: apikey.Settings{Name: fmt.Sprintf("load %05d", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
			if err := writer.CreateKey(ctx, k, nil); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	backupPath := filepath.Join(dir, "backup.db")
	if code, out := runCLI(t, env, "backup", backupPath); code != exitOK {
		t.Fatal(out)
	}
	done.Store(true)
	wg.Wait()
	held := storetest.Count(t, backupPath, "api_keys")

	if code, out := runCLI(t, env, "restore", backupPath); code != exitError || !strings.Contains(out, "a server is using") {
		t.Fatalf("restore under a running server: exit %d: %s", code, out)
	}
	if storetest.Count(t, path, "api_keys") <= held {
		t.Fatal("the load wrote nothing after the backup")
	}
	writer.Close()
	stopServer() // the server's instance row goes as it leaves

	// A crash's leftovers: a -wal that does not belong to the backup.
	if err := os.WriteFile(path+"-wal", []byte(strings.Repeat("x", 8192)), 0o600); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.db")
	if err := os.WriteFile(damaged, []byte("SQLite format 3\x00"+strings.Repeat("\xff", 8000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, env, "restore", damaged); code != exitError || !strings.Contains(out, "damaged.db") {
		t.Fatalf("restore of a damaged backup: exit %d: %s", code, out)
	}
	if code, out := runCLI(t, env, "restore", backupPath); code != exitOK {
		t.Fatalf("restore: exit %d: %s", code, out)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("the stale -wal is still there")
	}
	if got := storetest.Count(t, path, "api_keys"); got != held {
		t.Fatalf("restored %d keys; the backup held %d", got, held)
	}
	db, err := store.OpenExisting(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QuickCheck(ctx); err != nil {
		t.Fatal(err)
	}
	startServe(t, env) // and it serves again
}
