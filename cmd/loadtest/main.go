// Command loadtest measures the JSON API end to end on this machine: it
// starts one or more `keyconsole serve` processes on one database (a fresh
// SQLite file, or the PostgreSQL database -db names), makes an API key
// behind their backs, and sends authenticated requests from several
// workers, spread over the instances, for a bounded time. It prints
// requests per second and latency percentiles. It only ever talks to
// 127.0.0.1.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long to send requests (at most 2m)")
	workers := flag.Int("workers", 16, "concurrent clients")
	dsn := flag.String("db", "", "a postgres:// URL to run on (default: a fresh SQLite file)")
	instances := flag.Int("instances", 1, "keyconsole processes sharing the database (more than one needs -db)")
	flag.Parse()
	if *duration <= 0 || *duration > 2*time.Minute || *workers < 1 || *workers > 256 || *instances < 1 || *instances > 8 {
		fmt.Fprintln(os.Stderr, "loadtest: -duration up to 2m, -workers 1..256, -instances 1..8")
		os.Exit(2)
	}
	if *instances > 1 && !store.IsPostgresURL(*dsn) {
		fmt.Fprintln(os.Stderr, "loadtest: several instances share a PostgreSQL database: give -db postgres://...")
		os.Exit(2)
	}
	if err := run(*dsn, *instances, *duration, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(dsn string, instances int, duration time.Duration, workers int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "keyconsole-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if dsn == "" {
		dsn = filepath.Join(dir, "load.db")
	}
	bin := filepath.Join(dir, "keyconsole")
	build := exec.Command("go", "build", "-o", bin, "./cmd/keyconsole")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build keyconsole: %w", err)
	}
	var bases []string
	for i := range instances {
		base, stop, err := start(bin, dsn, dir)
		if err != nil {
			return fmt.Errorf("instance %d: %w", i+1, err)
		}
		defer stop()
		bases = append(bases, base)
	}

	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	root, err := db.RootAccount(ctx)
	if err != nil {
		return err
	}
	secret, _ := apikey.GenerateSecret(apikey.TypeGeneral)
	caller := &apikey.Key{AccountID: root.ID, CreatedBy: "loadtest", SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
		Settings: apikey.Settings{Name: "load " + apikey.DisplayPrefix(secret), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
			AllowUnauthenticated: true, AdvancedPermissions: []string{apikey.AdvancedVerify}, Roles: []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}}}
	if err := db.CreateKey(ctx, caller, nil); err != nil {
		return err
	}
	verifyBody := []byte(`{"key":"` + secret + `","client_ip":"192.0.2.1"}`)
	var next atomic.Uint64
	base := func() string { return bases[next.Add(1)%uint64(len(bases))] }
	fmt.Printf("%d instance(s) on %s, %d workers\n", instances, db.Engine(), workers)
	for _, target := range []struct {
		name string
		req  func() *http.Request
	}{
		{"GET /api/v1/keys/:id", func() *http.Request {
			r, _ := http.NewRequest("GET", base()+"/api/v1/keys/"+caller.ID, nil)
			r.Header.Set("X-Api-Key", secret)
			return r
		}},
		{"POST /api/v1/keys/verify", func() *http.Request {
			r, _ := http.NewRequest("POST", base()+"/api/v1/keys/verify", bytes.NewReader(verifyBody))
			r.Header.Set("X-Api-Key", secret)
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
	} {
		n, lat, errs := hammer(target.req, duration/2, workers)
		slices.Sort(lat)
		pct := func(p float64) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[int(float64(len(lat)-1)*p)]
		}
		fmt.Printf("%-26s %8.0f req/s  p50 %-9v p99 %-9v (%d requests, %d errors, %v)\n",
			target.name, float64(n)/(duration/2).Seconds(), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), n, errs, duration/2)
	}
	return nil
}

// start runs `keyconsole serve` on a free loopback port, with the rate
// limit out of reach, and waits until it answers.
func start(bin, dsn, dir string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--key-rate", "1e9", "--key-burst", "1000000000")
	cmd.Env = append(os.Environ(), "KEYCONSOLE_DB="+dsn, "KEYCONSOLE_SECRET_FILE="+filepath.Join(dir, "session.key"),
		"KEYCONSOLE_ADMIN_PASSWORD=load-test-admin-password")
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	for range 200 {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			return "http://" + addr, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("serve on %s did not come up", addr)
}

// hammer sends requests from workers until the time is up.
func hammer(newReq func() *http.Request, d time.Duration, workers int) (int, []time.Duration, int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 5 * time.Second}
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				start := time.Now()
				res, err := client.Do(newReq())
				if err != nil {
					bad++
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					bad++
				}
				lat = append(lat, time.Since(start))
			}
			mu.Lock()
			all, errs = append(all, lat...), errs+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	return len(all), all, errs
}
