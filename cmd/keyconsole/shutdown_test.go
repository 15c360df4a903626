package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"keyconsole/internal/syncbuf"
)

// spawned is `keyconsole serve` as a process of its own, for the tests
// that send it signals.
type spawned struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncbuf.Buffer
	exited chan error
}

func spawn(t *testing.T, drain string) *spawned {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &spawned{addr: l.Addr().String(), stderr: &syncbuf.Buffer{}, exited: make(chan error, 1)}
	l.Close()
	dir := t.TempDir()
	s.cmd = exec.Command(os.Args[0], "serve", "--addr", s.addr, "--drain", drain)
	s.cmd.Env = append(os.Environ(), envServe+"=1", "KEYCONSOLE_DB="+filepath.Join(dir, "k.db"), "KEYCONSOLE_SECRET_FILE="+filepath.Join(dir, "session.key"))
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() { s.cmd.Process.Kill() })
	for range 200 {
		if res, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
			res.Body.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not come up: %s", s.stderr.String())
	return nil
}

// slowRequest starts a sign-in whose body never finishes: in flight until
// the server gives up on it.
func (s *spawned) slowRequest(t *testing.T) {
	t.Helper()
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=adm", s.addr)
	time.Sleep(300 * time.Millisecond) // the server is reading it
}

// exit waits for the process and returns its exit status.
func (s *spawned) exit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case err := <-s.exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(within):
		t.Fatalf("still running after %v: %s", within, s.stderr.String())
		return -1
	}
}

// TestShutdown: a drain with nothing in flight ends with exit status 0;
// one that runs out of time says which requests it cut off and ends with
// 1; a second signal stops the server at once, whatever the drain.
func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("clean", func(t *testing.T) {
		t.Parallel()
		s := spawn(t, "5s")
		s.cmd.Process.Signal(syscall.SIGTERM)
		if code := s.exit(t, 10*time.Second); code != 0 || !strings.Contains(s.stderr.String(), "clean drain") {
			t.Fatalf("exit %d: %s", code, s.stderr.String())
		}
	})
	t.Run("cut off", func(t *testing.T) {
		t.Parallel()
		s := spawn(t, "500ms")
		s.slowRequest(t)
		s.cmd.Process.Signal(syscall.SIGTERM)
		code := s.exit(t, 10*time.Second)
		lines := strings.Split(strings.TrimSpace(s.stderr.String()), "\n")
		if last := lines[len(lines)-1]; code != exitError || !strings.Contains(last, "cutting off 1 × POST /login") {
			t.Fatalf("exit %d: %s", code, s.stderr.String())
		}
	})
	t.Run("second signal", func(t *testing.T) {
		t.Parallel()
		s := spawn(t, "1m")
		s.slowRequest(t)
		s.cmd.Process.Signal(syscall.SIGTERM)
		time.Sleep(300 * time.Millisecond)
		s.cmd.Process.Signal(syscall.SIGINT)
		if code := s.exit(t, 5*time.Second); code != exitError || !strings.Contains(s.stderr.String(), "second signal") {
			t.Fatalf("exit %d: %s", code, s.stderr.String())
		}
	})
}
