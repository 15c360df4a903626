package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJSONLogs: with --log-format json every line on stderr is a JSON
// object, and each request's has its route, status, duration and id;
// --log-level warn leaves the request lines out.
func TestJSONLogs(t *testing.T) {
	t.Parallel()
	for _, level := range []string{"info", "warn"} {
		t.Run(level, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{"KEYCONSOLE_DB": filepath.Join(dir, "k.db"), "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key"),
				"KEYCONSOLE_LOG_FORMAT": "json", "KEYCONSOLE_LOG_LEVEL": level, "KEYCONSOLE_ADMIN_PASSWORD": "a-long-enough-password"}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			env["KEYCONSOLE_ADDR"] = l.Addr().String()
			l.Close()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan string)
			go func() { _, out := runCLICtx(ctx, env, "serve"); done <- out }()
			base := "http://" + env["KEYCONSOLE_ADDR"]
			for i := 0; ; i++ {
				res, err := http.Get(base + "/healthz")
				if err == nil {
					res.Body.Close()
					break
				}
				if i == 200 {
					t.Fatal("never up")
				}
				time.Sleep(25 * time.Millisecond)
			}
			if res, err := http.Get(base + "/nowhere"); err == nil {
				res.Body.Close()
			}
			cancel()
			out := <-done
			requests := 0
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if line == "" {
					continue
				}
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("not JSON: %q", line)
				}
				if rec["msg"] == "request" {
					requests++
					if rec["route"] == nil || rec["status"] == nil || rec["duration"] == nil || rec["request_id"] == nil {
						t.Errorf("request line %v", rec)
					}
				}
			}
			if want := map[string]bool{"info": true, "warn": false}[level]; (requests >= 2) != want {
				t.Fatalf("%d request lines at level %s:\n%s", requests, level, out)
			}
		})
	}
}
