package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/store"
)

// serveUntilExit runs serve and returns its exit status and last line of
// stderr; the server is expected to stop by itself.
func serveUntilExit(t *testing.T, env map[string]string) (int, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env["KEYCONSOLE_ADDR"] = l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, stderr := runCLICtx(ctx, env, "serve")
	if ctx.Err() != nil {
		t.Fatalf("serve did not stop by itself: %s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return code, lines[len(lines)-1]
}

func runCLICtx(ctx context.Context, env map[string]string, args ...string) (int, string) {
	var stderr strings.Builder
	code := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &stderr)
	return code, stderr.String()
}

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Reason string }
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.Reason
}

// TestReadyzSeesTheFileGo: once the start-up check is done the server is
// ready; the first probe after its database file is deleted answers 503
// with the reason (writes would go into a file no one opens again).
func TestReadyzSeesTheFileGo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "k.db")
	base, _ := startServe(t, map[string]string{"KEYCONSOLE_DB": path, "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key")})
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, reason := readyz(t, base)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %d %s", code, reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if code, reason := readyz(t, base); code != http.StatusServiceUnavailable || !strings.Contains(reason, "gone") {
		t.Fatalf("readyz after the file went: %d %q", code, reason)
	}
}

// TestStartRefusesToBeginAgain: a server that has run before (its
// session key file is there) and finds no database refuses to make an
// empty one, unless asked to.
func TestStartRefusesToBeginAgain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "k.db")
	env := map[string]string{"KEYCONSOLE_DB": path, "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key")}
	if code, out := runCLI(t, env, "migrate"); code != exitOK {
		t.Fatal(out)
	}
	if _, err := auth.LoadOrCreateSessionKeys(env["KEYCONSOLE_SECRET_FILE"]); err != nil {
		t.Fatal(err)
	}
	// Written an hour ago: by an earlier server, not a sibling starting now.
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(env["KEYCONSOLE_SECRET_FILE"], hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	code, line := serveUntilExit(t, env)
	if code != exitError || !strings.Contains(line, "--new-database") || strings.Count(line, "\n") != 0 {
		t.Fatalf("exit %d: %q", code, line)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a database was made all the same")
	}
	env["KEYCONSOLE_NEW_DATABASE"] = "true"
	startServe(t, env)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("asked for a new database: %v", err)
	}
}

// TestStartRefusesUnusableDatabase: a database from a newer version, a
// read-only file and a damaged page each stop the server with exit 1 and
// one line that says what is wrong.
func TestStartRefusesUnusableDatabase(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, path string)
		want  string
	}{
		{"newer", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_next.sql', '')`); err != nil {
				t.Fatal(err)
			}
		}, "newer keyconsole"},
		{"read-only", func(t *testing.T, path string) {
			if err := os.Chmod(path, 0o444); err != nil {
				t.Fatal(err)
			}
		}, "cannot be read and written"},
		{"damaged", func(t *testing.T, path string) { spoilPage(t, path, pageNear(t, path)) }, "damaged"},
		// A large file is checked (when asked) while the server already
		// listens: the damage stops it all the same.
		{"damaged-large", func(t *testing.T, path string) {
			page := pageNear(t, path) // among the keys, before the padding
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE padding (b BLOB); INSERT INTO padding VALUES (zeroblob(70 << 20))`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			spoilPage(t, path, page)
		}, "damaged"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "k.db")
			fillDatabase(t, path)
			c.spoil(t, path)
			// A large file is checked only when asked.
			code, line := serveUntilExit(t, map[string]string{"KEYCONSOLE_DB": path, "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key"),
				"KEYCONSOLE_CHECK_DATABASE": "true"})
			if code != exitError || !strings.HasPrefix(line, "keyconsole: ") || !strings.Contains(line, c.want) {
				t.Fatalf("exit %d: %q", code, line)
			}
		})
	}
}

// pageNear is the offset of the second-last page of the file at path.
func pageNear(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return (fi.Size()/4096 - 2) * 4096
}

// spoilPage overwrites the page at offset with what no page holds.
func spoilPage(t *testing.T, path string, offset int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\x0d\xff", 2048)), offset); err != nil {
		t.Fatal(err)
	}
}

// fillDatabase makes a database of a few hundred keys and its admin, its
// log folded in.
func fillDatabase(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	root, err := db.RootAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []*apikey.Key
	for i := range 500 {
		keys = append(keys, &apikey.Key{ID: fmt.Sprintf("key_%04d", i), AccountID: root.ID, SecretHash: fmt.Sprintf("%064d", i),
			DisplayPrefix: "kc_g_", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC(), Version: 1,
			Settings: apikey.Settings{Name: fmt.Sprintf("key %04d of a database big enough to have pages", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}})
	}
	admin := &apikey.User{ID: "usr_admin", AccountID: root.ID, Username: "admin", PasswordHash: "x", Role: apikey.RoleGlobalAdmin,
		Active: true, CreatedBy: "test", CreatedAt: time.Now().UTC()}
	if err := db.BulkLoad(ctx, store.Bulk{Keys: keys, Users: []*apikey.User{admin}}); err != nil {
		t.Fatal(err)
	}
}
