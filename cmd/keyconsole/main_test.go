package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stderr)
	return code, stderr.String()
}

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"serve", "--nope"},
		{"serve", "--addr"},
		{"migrate", "extra"},
		{"backup"},
		{"backup", "a", "b"},
	} {
		code, stderr := runCLI(t, nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
		if lines := strings.Count(stderr, "\n"); lines != 1 || !strings.HasPrefix(stderr, "keyconsole: ") {
			t.Errorf("%v: stderr %q", args, stderr)
		}
	}
}

func TestMigrateAndBackup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sub", "k.db")
	if code, stderr := runCLI(t, nil, "migrate", "--db", db); code != exitOK {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	// The environment names the database when the flag does not.
	env := map[string]string{"KEYCONSOLE_DB": db}
	if code, stderr := runCLI(t, env, "migrate"); code != exitOK {
		t.Fatalf("migrate again: %d %s", code, stderr)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if code, stderr := runCLI(t, env, "backup", copyPath); code != exitOK {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Size() == 0 {
		t.Fatalf("backup file: %v", err)
	}
	code, stderr := runCLI(t, env, "backup", copyPath)
	if code != exitError || !strings.Contains(stderr, "already exists") {
		t.Errorf("backup over a file: %d %q", code, stderr)
	}
	code, stderr = runCLI(t, map[string]string{"KEYCONSOLE_DB": filepath.Join(dir, "missing.db")}, "backup", filepath.Join(dir, "x.db"))
	if code != exitError || !strings.Contains(stderr, "no database") {
		t.Errorf("backup of a missing database: %d %q", code, stderr)
	}
	code, stderr = runCLI(t, nil, "migrate", "--db", filepath.Join(dir, "copy.db", "nested.db"))
	if code != exitError || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unusable path: %d %q", code, stderr)
	}
}

func TestServeAnswersAndStopsGracefully(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	env := map[string]string{"KEYCONSOLE_ADDR": addr, "KEYCONSOLE_DB": filepath.Join(t.TempDir(), "s.db")}
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &stderr)
	}()

	var res *http.Response
	for i := 0; i < 100; i++ {
		if res, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	cancel() // what SIGINT and SIGTERM do through signal.NotifyContext
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
