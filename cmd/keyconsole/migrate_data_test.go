package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

func TestMigrateDataFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "k.db")
	if code, stderr := runCLI(t, nil, "migrate", "--db", file); code != exitOK {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	const url = "postgres://nobody@127.0.0.1:1/none"
	for _, args := range [][]string{
		{"migrate-data"},
		{"migrate-data", "--from", file},
		{"migrate-data", "--to", url},
		{"migrate-data", "--from", file, "--to", filepath.Join(dir, "other.db")},
		{"migrate-data", "--from", url, "--to", url},
		{"migrate-data", "--from", file, "--to", url, "extra"},
		{"migrate-data", "--nope"},
	} {
		code, stderr := runCLI(t, nil, args...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "keyconsole: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if code, stderr := runCLI(t, nil, "migrate-data", "-h"); code != exitOK || !strings.Contains(stderr, "--from") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("-h: exit %d, stderr %q", code, stderr)
	}
	// A missing source is not made up: store.Open would create an empty one.
	missing := filepath.Join(dir, "missing.db")
	code, stderr := runCLI(t, nil, "migrate-data", "--from", missing, "--to", url)
	if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no database at") {
		t.Errorf("missing source: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("the missing source was created")
	}
}

// TestMigrateData: a key made on SQLite verifies on PostgreSQL after the
// copy, found by its hash and through the JSON API; a second copy into the
// same database is refused.
func TestMigrateData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	target := storetest.PostgresDSN(t)
	source := filepath.Join(t.TempDir(), "k.db")
	db, err := store.Open(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	root, err := db.RootAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	child := &apikey.Account{ParentID: root.ID, Name: "Customer"}
	if err := db.CreateAccount(ctx, child); err != nil {
		t.Fatal(err)
	}
	secret, err := apikey.GenerateSecret(apikey.TypeGeneral)
	if err != nil {
		t.Fatal(err)
	}
	k := &apikey.Key{AccountID: child.ID, CreatedBy: "admin", SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
		Settings: apikey.Settings{Name: "Gateway", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
			AllowUnauthenticated: true, Roles: []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}}}
	if err := db.CreateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, stderr := runCLI(t, nil, "migrate-data", "--from", source, "--to", target)
	if code != exitOK {
		t.Fatalf("migrate-data: exit %d: %s", code, stderr)
	}
	for _, line := range []string{"accounts: 2 copied\n", "api_keys: 1 copied\n", "api_key_roles: 1 copied\n", "users: 0 copied\n", "refresh_tokens: 0 copied\n"} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr)
		}
	}

	pg, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pg.KeyByHash(ctx, apikey.HashSecret(secret))
	if err != nil || got.ID != k.ID || got.AccountID != child.ID {
		t.Fatalf("KeyByHash on PostgreSQL: %+v %v", got, err)
	}
	if r, err := pg.RootAccount(ctx); err != nil || r.ID != root.ID {
		t.Fatalf("root on PostgreSQL: %+v %v, want %s", r, err, root.ID)
	}
	pg.Close()

	base, _ := startServe(t, map[string]string{"KEYCONSOLE_DB": target, "KEYCONSOLE_SECRET_FILE": filepath.Join(t.TempDir(), "session.key")})
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/keys/"+k.ID, nil)
	req.Header.Set("X-Api-Key", secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the key on PostgreSQL: status %d", res.StatusCode)
	}

	code, stderr = runCLI(t, nil, "migrate-data", "--from", source, "--to", target)
	if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "not empty") {
		t.Errorf("second copy: exit %d, stderr %q", code, stderr)
	}
}
