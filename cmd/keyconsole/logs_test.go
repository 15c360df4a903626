package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
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

// TestVerificationsTallied: the answers of POST /api/v1/keys/verify are
// logged as one tally by code when the server stops (and each minute),
// not a line each, unless --log-each-verification; a refusal of the
// caller itself is logged on its own line either way.
func TestVerificationsTallied(t *testing.T) {
	t.Parallel()
	for _, each := range []bool{false, true} {
		t.Run(fmt.Sprint("each=", each), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			dsn := filepath.Join(dir, "k.db")
			env := map[string]string{"KEYCONSOLE_DB": dsn, "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key"),
				"KEYCONSOLE_ADMIN_PASSWORD": "a-long-enough-password", "KEYCONSOLE_LOG_EACH_VERIFICATION": fmt.Sprint(each)}
			base, stderr, stop := startServeStop(t, env)
			caller, _ := adminKeyIn(t, dsn, func(k *apikey.Key) { k.AdvancedPermissions = []string{apikey.AdvancedVerify} })
			for _, key := range []string{caller, caller, "kc_gen_unknown-but-long-enough-to-look"} {
				if code := api(t, "POST", base+"/api/v1/keys/verify", caller, map[string]string{"key": key}, nil); code != http.StatusOK {
					t.Fatalf("verify: %d", code)
				}
			}
			if code := api(t, "POST", base+"/api/v1/keys/verify", "kc_gen_not-a-key-of-ours-at-all", map[string]string{"key": caller}, nil); code != http.StatusUnauthorized {
				t.Fatalf("unknown caller: %d", code)
			}
			stop()
			out := stderr.String()
			answered := strings.Count(out, "route=/api/v1/keys/verify status=200 ")
			refused := strings.Count(out, "route=/api/v1/keys/verify status=401 ")
			tally := regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=verifications valid=2 not_found=1 requests=3 period=\S+$`)
			switch {
			case refused != 1:
				t.Errorf("%d lines for the refused caller:\n%s", refused, out)
			case each && (answered != 3 || strings.Contains(out, "msg=verifications")):
				t.Errorf("each: %d answer lines, and a tally?\n%s", answered, out)
			case !each && (answered != 0 || len(tally.FindAllString(out, -1)) != 1):
				t.Errorf("tallied: %d answer lines, and not one tally:\n%s", answered, out)
			}
		})
	}
}
