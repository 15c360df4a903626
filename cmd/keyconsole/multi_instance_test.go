package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
	"keyconsole/internal/syncbuf"
)

// envServe makes the test binary run `keyconsole` itself, so that the
// multi-instance test starts real processes without a separate build.
const envServe = "KEYCONSOLE_TEST_RUN_AS_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(envServe) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// process is one `keyconsole serve` running as its own process.
type process struct {
	base, addr string
	stderr     *syncbuf.Buffer
	cmd        *exec.Cmd
	done       chan struct{} // closed once it has exited; err says how
	err        error
}

// startProcess starts serve with env and waits until it answers; the
// test's end stops it with SIGINT, if it has not stopped by then.
func startProcess(t *testing.T, env map[string]string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &process{base: "http://" + addr, addr: addr, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "serve", "--addr", addr)
	p.cmd.Env = append(os.Environ(), envServe+"=1")
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			t.Error("serve did not stop on SIGINT")
		}
	})
	for range 200 {
		if res, err := http.Get(p.base + "/healthz"); err == nil {
			res.Body.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited: %v: %s", p.err, p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not come up: %s", p.stderr.String())
	return nil
}

// exit waits for the process to end by itself and returns its exit status.
func (p *process) exit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("still running after %v: %s", within, p.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// api sends a JSON request with the API key and decodes the answer into out.
func api(t *testing.T, method, u, apiKey string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, r)
	req.Header.Set("X-Api-Key", apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil && err != io.EOF {
			t.Fatalf("%s %s: %v", method, u, err)
		}
	}
	return res.StatusCode
}

// Two instances on one PostgreSQL database share everything that matters:
// a key changed through one is refused by the other on the very next
// request; a JWT key made on one verifies on the other; a console session
// begun on one works on the other; and the details page says the change
// reached both.
func TestTwoProcessesShareOneDatabase(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	dir := t.TempDir()
	env := map[string]string{"KEYCONSOLE_DB": dsn, "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key"),
		"KEYCONSOLE_ADMIN_PASSWORD": "the-admin-password-1"}
	a := startProcess(t, env)
	b := startProcess(t, env)

	// An admin key for the API, made behind both instances' backs.
	admin, rootID := adminKeyIn(t, dsn, func(k *apikey.Key) { k.AdvancedPermissions = []string{"verify"} })

	verifyOn := func(p *process, secret string) string {
		t.Helper()
		var out struct{ Code string }
		if code := api(t, "POST", p.base+"/api/v1/keys/verify", admin, map[string]string{"key": secret}, &out); code != http.StatusOK {
			t.Fatalf("verify on %s: %d", p.base, code)
		}
		return out.Code
	}
	create := func(name, access string) (string, string) {
		t.Helper()
		var out struct{ ID, Secret string }
		body := map[string]any{"name": name, "type": "general", "access_type": access, "roles": []string{"global-viewer"}, "account_id": rootID}
		if code := api(t, "POST", a.base+"/api/v1/keys", admin, body, &out); code != http.StatusCreated {
			t.Fatalf("create %s on A: %d", name, code)
		}
		return out.ID, out.Secret
	}

	// Deactivated on A: B, which had it cached as valid, refuses it next.
	id, secret := create("to deactivate", "generated")
	if got := verifyOn(b, secret); got != "VALID" {
		t.Fatalf("new key on B: %s", got)
	}
	if code := api(t, "PATCH", a.base+"/api/v1/keys/"+id, admin, map[string]any{"active": false}, nil); code != http.StatusOK {
		t.Fatalf("deactivate on A: %d", code)
	}
	if got := verifyOn(b, secret); got != "KEY_INACTIVE" {
		t.Fatalf("deactivated on A, B answers %s", got)
	}

	// Regenerated on A: B refuses the old secret and accepts the new one.
	id, secret = create("to regenerate", "generated")
	verifyOn(b, secret)
	var regenerated struct{ Secret string }
	if code := api(t, "POST", a.base+"/api/v1/keys/"+id+"/regenerate", admin, map[string]any{}, &regenerated); code != http.StatusOK {
		t.Fatalf("regenerate on A: %d", code)
	}
	if got := verifyOn(b, secret); got != "NOT_FOUND" {
		t.Fatalf("old secret after regenerate on A, B answers %s", got)
	}
	if got := verifyOn(b, regenerated.Secret); got != "VALID" {
		t.Fatalf("new secret on B: %s", got)
	}

	// Deleted on A: B refuses it next.
	id, secret = create("to delete", "generated")
	verifyOn(b, secret)
	if code := api(t, "DELETE", a.base+"/api/v1/keys/"+id, admin, nil, nil); code != http.StatusNoContent && code != http.StatusOK {
		t.Fatalf("delete on A: %d", code)
	}
	if got := verifyOn(b, secret); got != "NOT_FOUND" {
		t.Fatalf("deleted on A, B answers %s", got)
	}

	// A JWT key signed by A verifies on B.
	_, jwt := create("jwt", "jwt")
	if got := verifyOn(b, jwt); got != "VALID" {
		t.Fatalf("JWT key made on A, B answers %s", got)
	}

	// A console session begun on A works on B.
	browser, landed := signInConsole(t, a.base, "admin", "the-admin-password-1")
	if landed != "/security/api-keys" {
		t.Fatalf("sign-in on A ended at %s", landed)
	}
	jar := browser.Jar
	bURL, _ := url.Parse(b.base)
	aURL, _ := url.Parse(a.base)
	jar.SetCookies(bURL, jar.Cookies(aURL)) // the load balancer's one host name
	res, err := browser.Get(b.base + "/security/api-keys")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/security/api-keys" || res.StatusCode != http.StatusOK {
		t.Fatalf("A's session on B: %d at %s", res.StatusCode, res.Request.URL.Path)
	}

	// The details page, on either instance, says the change reached both.
	id, _ = create("synced", "generated")
	for _, p := range []*process{a, b} {
		res, err = browser.Get(p.base + "/security/api-keys/" + id)
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := regexp.MustCompile(`data-testid="key-sync">([^<]+)<`).FindSubmatch(html)
		if m == nil || !strings.Contains(string(m[1]), "Applied on all 2 instances") {
			t.Fatalf("sync status on %s: %q", p.base, fmt.Sprint(m))
		}
	}
}
