package main

import (
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// spawn starts serve as a process of its own, on a database and secret
// file of its own, with env besides: the tests that send it signals.
func spawn(t *testing.T, env map[string]string) *process {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{"KEYCONSOLE_DB": filepath.Join(dir, "k.db"), "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key")}
	maps.Copy(all, env)
	return startProcess(t, all)
}

// slowRequest starts a sign-in whose body never finishes: in flight until
// the server gives up on it.
func slowRequest(t *testing.T, p *process) {
	t.Helper()
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=adm", p.addr)
	time.Sleep(300 * time.Millisecond) // the server is reading it
}

// TestShutdown: a drain with nothing in flight ends with exit status 0;
// one that runs out of time says which requests it cut off and ends with
// 1; a second signal stops the server at once, whatever the drain.
func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("clean", func(t *testing.T) {
		t.Parallel()
		s := spawn(t, map[string]string{"KEYCONSOLE_DRAIN": "5s"})
		s.cmd.Process.Signal(syscall.SIGTERM)
		if code := s.exit(t, 10*time.Second); code != 0 || !strings.Contains(s.stderr.String(), "clean drain") {
			t.Fatalf("exit %d: %s", code, s.stderr.String())
		}
	})
	t.Run("cut off", func(t *testing.T) {
		t.Parallel()
		s := spawn(t, map[string]string{"KEYCONSOLE_DRAIN": "500ms"})
		slowRequest(t, s)
		s.cmd.Process.Signal(syscall.SIGTERM)
		code := s.exit(t, 10*time.Second)
		lines := strings.Split(strings.TrimSpace(s.stderr.String()), "\n")
		if last := lines[len(lines)-1]; code != exitError || !strings.Contains(last, "cutting off 1 × POST /login") {
			t.Fatalf("exit %d: %s", code, s.stderr.String())
		}
	})
	t.Run("second signal", func(t *testing.T) {
		t.Parallel()
		s := spawn(t, map[string]string{"KEYCONSOLE_DRAIN": "1m"})
		slowRequest(t, s)
		s.cmd.Process.Signal(syscall.SIGTERM)
		time.Sleep(300 * time.Millisecond)
		s.cmd.Process.Signal(syscall.SIGINT)
		if code := s.exit(t, 5*time.Second); code != exitError || !strings.Contains(s.stderr.String(), "second signal") {
			t.Fatalf("exit %d: %s", code, s.stderr.String())
		}
	})
}
