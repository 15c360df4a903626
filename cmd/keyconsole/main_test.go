package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/store"
	"keyconsole/internal/syncbuf"
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
		{"restore"},
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

// TestHelpExits0: -h on a command prints its flags in one line and succeeds.
func TestHelpExits0(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "-h"}, {"backup", "--help"}, {"user", "add", "-h"}} {
		code, stderr := runCLI(t, nil, args...)
		if code != exitOK || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// TestEveryServeFlagFromEnv: each of serve's flags can be set from its
// environment variable, KEYCONSOLE_ and its name in capitals, as the
// contract says, and no variable names a flag that does not exist.
func TestEveryServeFlagFromEnv(t *testing.T) {
	t.Parallel()
	code, stderr := runCLI(t, nil, "serve", "-h")
	_, list, ok := strings.Cut(strings.TrimSpace(stderr), "flags: ")
	if code != exitOK || !ok {
		t.Fatalf("serve -h: %d %q", code, stderr)
	}
	flags := strings.Fields(list)
	for _, f := range flags {
		name := strings.TrimPrefix(f, "--")
		if want := "KEYCONSOLE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")); serveEnv[name] != want {
			t.Errorf("--%s: variable %q, want %q", name, serveEnv[name], want)
		}
	}
	if len(serveEnv) != len(flags) {
		t.Errorf("%d variables for %d flags", len(serveEnv), len(flags))
	}
}

// TestServeBusyPortFailsFirst: a port in use fails before the database, the
// secret file or the first admin are made, with one line.
func TestServeBusyPortFailsFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	code, stderr := runCLI(t, nil, "serve", "--addr", ln.Addr().String(), "--db", filepath.Join(dir, "k.db"), "--secret-file", filepath.Join(dir, "secret"))
	if code != exitError || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "password") {
		t.Errorf("busy port: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "k.db")); err == nil {
		t.Error("the database was created before the port was taken")
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
	// Flags may follow the file.
	if code, stderr := runCLI(t, nil, "backup", filepath.Join(dir, "copy2.db"), "--db", db); code != exitOK {
		t.Fatalf("backup FILE --db: %d %s", code, stderr)
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
	// A backup never migrates its source.
	old := filepath.Join(dir, "old.db")
	raw, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	raw.Exec(`CREATE TABLE schema_migrations (name VARCHAR(200) PRIMARY KEY, applied_at VARCHAR(32) NOT NULL)`)
	raw.Exec(`CREATE TABLE marker (x INTEGER)`)
	raw.Close()
	if code, msg := runCLI(t, map[string]string{"KEYCONSOLE_DB": old}, "backup", filepath.Join(dir, "old-copy.db")); code != exitOK {
		t.Fatalf("backup of an old database: %d %s", code, msg)
	}
	raw, _ = sql.Open("sqlite", "file:"+old)
	var n int
	raw.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	raw.Close()
	if n != 0 {
		t.Fatalf("backup migrated its source (%d migrations)", n)
	}
	code, stderr = runCLI(t, nil, "migrate", "--db", filepath.Join(dir, "copy.db", "nested.db"))
	if code != exitError || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unusable path: %d %q", code, stderr)
	}
}

// startServe runs `serve` on a free port until the test ends; it returns
// the base URL and the live stderr.
func startServe(t *testing.T, env map[string]string) (string, *syncbuf.Buffer) {
	t.Helper()
	base, stderr, _ := startServeStop(t, env)
	return base, stderr
}

// startServeStop is startServe that also returns a stop, which waits for
// the clean exit (the test's end stops it otherwise).
func startServeStop(t *testing.T, env map[string]string) (string, *syncbuf.Buffer, func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env["KEYCONSOLE_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), stderr)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel() // what SIGINT and SIGTERM do
			select {
			case code := <-done:
				if code != exitOK {
					t.Errorf("serve exit %d: %s", code, stderr.String())
				}
			case <-time.After(15 * time.Second):
				t.Error("serve did not stop")
			}
		})
	}
	t.Cleanup(stop)
	for i := 0; i < 100; i++ {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("healthz %d", res.StatusCode)
			}
			return "http://" + addr, stderr, stop
		}
		select {
		case code := <-done:
			t.Fatalf("serve ended with %d: %s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("server never answered")
	return "", nil, nil
}

// signInConsole signs in through the console's form, as a browser would,
// and returns the client holding the session and the page it landed on.
func signInConsole(t *testing.T, base, username, password string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if token == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	res, err = c.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}, "_csrf": {string(token[1])}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return c, fmt.Sprint(res.StatusCode)
	}
	return c, res.Request.URL.Path
}

var printedPassword = regexp.MustCompile(`created user "admin" \(Global Admin\) with one-time password: (\S+)`)

func TestServeBootstrapsAdminOnce(t *testing.T) {
	dir := t.TempDir()
	env := func() map[string]string {
		return map[string]string{"KEYCONSOLE_DB": filepath.Join(dir, "k.db"), "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key")}
	}
	base, stderr := startServe(t, env())
	m := printedPassword.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no one-time password printed: %s", stderr.String())
	}
	password := m[1]
	if fi, err := os.Stat(filepath.Join(dir, "session.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v", err)
	}

	// The printed password signs in, to the page that has it changed
	// before anything else; the log never shows it again.
	c, landed := signInConsole(t, base, "admin", password)
	if landed != "/account/password" {
		t.Fatalf("sign-in with the printed password ended at %s", landed)
	}
	res, err := c.Get(base + "/security/api-keys")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/account/password" {
		t.Fatalf("the console before the printed password was changed led to %s", res.Request.URL.Path)
	}
	if n := strings.Count(stderr.String(), password); n != 1 {
		t.Fatalf("password appears %d times on stderr", n)
	}
}

func TestServeTakesAdminPasswordFromEnv(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KEYCONSOLE_DB": filepath.Join(dir, "k.db"), "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "s.key"),
		"KEYCONSOLE_ADMIN_PASSWORD": "chosen-by-the-operator"}
	base, stderr := startServe(t, env)
	if strings.Contains(stderr.String(), "chosen-by-the-operator") || strings.Contains(stderr.String(), "one-time password") {
		t.Fatalf("stderr: %s", stderr.String())
	}
	// The operator chose it: it need not be changed.
	if _, landed := signInConsole(t, base, "admin", "chosen-by-the-operator"); landed != "/security/api-keys" {
		t.Fatalf("sign-in with the chosen password ended at %s", landed)
	}
	// A weak one is refused before any user is created.
	dir2 := t.TempDir()
	code, msg := runCLI(t, map[string]string{"KEYCONSOLE_DB": filepath.Join(dir2, "k.db"), "KEYCONSOLE_SECRET_FILE": filepath.Join(dir2, "s.key"),
		"KEYCONSOLE_ADMIN_PASSWORD": "short", "KEYCONSOLE_ADDR": "127.0.0.1:0"}, "serve")
	if code != exitError || !strings.Contains(msg, "KEYCONSOLE_ADMIN_PASSWORD") || strings.Contains(msg, "short\n") {
		t.Fatalf("weak admin password: %d %q", code, msg)
	}
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KEYCONSOLE_DB": filepath.Join(dir, "k.db")}
	add := func(stdin string, args ...string) (int, string) {
		var stderr bytes.Buffer
		code := run(context.Background(), append([]string{"user", "add"}, args...), func(k string) string { return env[k] }, strings.NewReader(stdin), &stderr)
		return code, stderr.String()
	}
	if code, msg := add("a-strong-password-1\n", "--username", "Sue", "--role", "support", "--password-stdin"); code != exitOK {
		t.Fatalf("add: %d %s", code, msg)
	}
	if code, msg := add("a-strong-password-1\n", "--username", "sue", "--role", "support", "--password-stdin"); code != exitError || !strings.Contains(msg, "taken") {
		t.Fatalf("duplicate: %d %q", code, msg)
	}
	for _, args := range [][]string{
		{"--username", "bob", "--role", "root", "--password-stdin"},
		{"--username", "bob", "--role", "support"},
		{"--username", "bob", "--role", "account-viewer", "--password-stdin"},
		{"--username", "b", "--role", "support", "--password-stdin"},
	} {
		code, msg := add("a-strong-password-1\n", args...)
		if code != exitUsage || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "a-strong-password-1") {
			t.Errorf("%v: %d %q", args, code, msg)
		}
	}
	if code, msg := add("weak\n", "--username", "bob", "--role", "support", "--password-stdin"); code != exitUsage || !strings.Contains(msg, "--password-stdin") || strings.Contains(msg, "weak") {
		t.Errorf("weak password: %d %q", code, msg)
	}
	if code, _ := runCLI(t, env, "user", "remove"); code != exitUsage {
		t.Errorf("unknown user subcommand: %d", code)
	}
	db, err := store.Open(context.Background(), env["KEYCONSOLE_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.UserByName(context.Background(), "sue")
	if err != nil || u.Role != apikey.RoleSupport {
		t.Fatalf("stored: %+v %v", u, err)
	}
	if ok, _ := auth.VerifyPassword(u.PasswordHash, "a-strong-password-1"); !ok {
		t.Fatal("stored password does not verify")
	}
}

// TestServeMetricsApart: with --metrics-addr, /metrics answers there and
// not beside the console; --max-body below a sign-in form is refused.
func TestServeMetricsApart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	base, _ := startServe(t, map[string]string{"KEYCONSOLE_DB": filepath.Join(dir, "k.db"), "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key"),
		"KEYCONSOLE_METRICS_ADDR": metricsAddr, "KEYCONSOLE_ADMIN_PASSWORD": "admin-password-long-enough"})
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics beside the console: %d, want 404", res.StatusCode)
	}
	res, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("/metrics on its own listener: %d %.200s", res.StatusCode, body)
	}
	code, stderr := runCLI(t, nil, "serve", "--max-body", "100", "--db", filepath.Join(dir, "k2.db"))
	if code != exitUsage || !strings.Contains(stderr, "--max-body") {
		t.Errorf("--max-body 100: exit %d, %q", code, stderr)
	}
}
