// Command loadtest measures the JSON API end to end on this machine: it
// starts the console on a loopback port with a fresh database, makes an API
// key, and sends authenticated requests from several workers for a bounded
// time. It prints requests per second and latency percentiles. It only ever
// talks to 127.0.0.1.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"keyconsole/internal/accounts"
	"keyconsole/internal/apikey"
	"keyconsole/internal/auditlog"
	"keyconsole/internal/auth"
	"keyconsole/internal/keys"
	"keyconsole/internal/signin"
	"keyconsole/internal/store"
	"keyconsole/internal/token"
	"keyconsole/internal/usage"
	"keyconsole/internal/users"
	"keyconsole/internal/verify"
	"keyconsole/web"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long to send requests (at most 2m)")
	workers := flag.Int("workers", 16, "concurrent clients")
	flag.Parse()
	if *duration > 2*time.Minute {
		*duration = 2 * time.Minute
	}
	if err := run(*duration, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, workers int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "keyconsole-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "load.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	sessionKeys, err := auth.LoadOrCreateSessionKeys(filepath.Join(dir, "session.key"))
	if err != nil {
		return err
	}
	rec := usage.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tokens := token.New(db, nil)
	verifier := verify.New(db, tokens, rec, verify.Config{RatePerSecond: 1e9, Burst: 1 << 30}, nil)
	keyService := keys.New(db, tokens, nil)
	keyService.OnChange(verifier.Forget)
	signIn, err := signin.New(signin.Config{Store: db, Throttle: signin.NewThrottle(db), Tokens: tokens, Idle: time.Hour, Lifetime: time.Hour})
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{DB: db, SignIn: signIn, Keys: keyService, Accounts: accounts.New(db), Users: users.New(db, auth.DefaultParams),
		Audit: auditlog.New(db), Verifier: verifier, Tokens: tokens,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Sessions: web.SessionConfig{Keys: sessionKeys}})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(l)
	defer hs.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go rec.Run(runCtx, 2*time.Second)

	root, err := db.RootAccount(ctx)
	if err != nil {
		return err
	}
	secret, _ := apikey.GenerateSecret(apikey.TypeGeneral)
	caller := &apikey.Key{AccountID: root.ID, CreatedBy: "loadtest", SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
		Settings: apikey.Settings{Name: "load", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
			AdvancedPermissions: []string{apikey.AdvancedVerify}, Roles: []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}}}
	if err := db.CreateKey(ctx, caller, nil); err != nil {
		return err
	}
	base := "http://" + l.Addr().String()
	verifyBody := []byte(`{"key":"` + secret + `","client_ip":"192.0.2.1"}`)
	for _, target := range []struct {
		name string
		req  func() *http.Request
	}{
		{"GET /api/v1/keys/:id", func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/api/v1/keys/"+caller.ID, nil)
			r.Header.Set("X-Api-Key", secret)
			return r
		}},
		{"POST /api/v1/keys/verify", func() *http.Request {
			r, _ := http.NewRequest("POST", base+"/api/v1/keys/verify", bytes.NewReader(verifyBody))
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
		fmt.Printf("%-26s %8.0f req/s  p50 %-9v p99 %-9v (%d requests, %d errors, %d workers, %v)\n",
			target.name, float64(n)/(duration/2).Seconds(), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), n, errs, workers, duration/2)
	}
	return nil
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
