// Command bench measures the console at scale on this machine (make bench):
// it seeds a database, starts `keyconsole serve` on it, and drives it with
// wrk on loopback beside a bare Echo handler answering a small JSON body in
// the same run, alternating the two; then it times the pages an admin of a
// large account opens. It prints every figure beside its target and, with
// -write, puts the table into BENCHMARKS.md. It only ever talks to
// 127.0.0.1. Needs wrk (Debian's package).
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/profiling"
	"keyconsole/internal/seed"
	"keyconsole/internal/store"
	"keyconsole/internal/users"
	"keyconsole/internal/validate"
	"keyconsole/internal/verify"
	"keyconsole/web"
)

func main() {
	keys := flag.Int("keys", 1_000_000, "keys to seed")
	dsn := flag.String("db", "", "a postgres:// database to run on, in a schema of its own made and dropped (default: a fresh SQLite file)")
	duration := flag.Duration("duration", 10*time.Second, "each wrk run")
	conns := flag.Int("connections", 64, "wrk connections")
	rounds := flag.Int("rounds", 3, "floor/server alternations")
	fixedProcs := flag.Bool("fixed-procs", true, "last, the rotation again on a server with GOMAXPROCS fixed at the cores, for the record")
	write := flag.String("write", "", "file to put the results in (BENCHMARKS.md), between its bench markers")
	floorAt := flag.String("floor", "", "only serve the floor at this address until interrupted, for runs by hand")
	var shape floorShape
	flag.DurationVar(&shape.spin, "floor-spin", 0, "with -floor: busy work added to each answer")
	flag.BoolVar(&shape.readBody, "floor-read-body", false, "with -floor: read each request's body to its end first")
	flag.BoolVar(&shape.answer, "floor-answer", false, "with -floor: the server's headers and an answer as long as its")
	flag.BoolVar(&shape.timeouts, "floor-timeouts", false, "with -floor: the server's limits on a connection (web.GuardConnections)")
	floorPprof := flag.String("floor-pprof", "", "with -floor: serve Go's profiler here, to profile the floor beside the server")
	heapMB := flag.Int("floor-heap", 0, "with -floor: hold this many MB of byte slices live, a heap the collector need not look into")
	heapObjects := flag.Int("floor-heap-pointers", 0, "with -floor: hold this many live objects of 768 bytes, each with 21 pointers, as cached keys are held")
	flag.Parse()
	if *floorAt != "" {
		fmt.Fprintln(os.Stderr, "bench: floor at", *floorAt)
		held = holdHeap(*heapMB, *heapObjects)
		if *floorPprof != "" {
			ln, err := net.Listen("tcp", *floorPprof)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				os.Exit(1)
			}
			go http.Serve(ln, profiling.Handler())
		}
		if err := serveFloor(*floorAt, shape); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: needs wrk on the PATH (apt-get install wrk)")
		os.Exit(2)
	}
	b := &bench{keys: *keys, dsn: *dsn, duration: *duration, conns: *conns, rounds: *rounds, fixedProcs: *fixedProcs}
	if err := b.run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	table := b.table()
	fmt.Print(table)
	if *write != "" {
		if err := writeSection(*write, b.engine, table); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

type bench struct {
	keys, conns, rounds int
	fixedProcs          bool // the rotation on a server whose processors stay at the cores, too
	dsn, dir, base      string
	duration            time.Duration
	secrets             string // file: the caller's secret, then keys to verify
	every               string // file: the caller's secret, then every key's
	prefix              string // a seeded key's display prefix, to search for
	engine              string
	rows                []row
}

// row is one figure beside its target.
type row struct{ what, result, target string }

func (b *bench) add(what, target, format string, args ...any) {
	r := row{what: what, target: target, result: fmt.Sprintf(format, args...)}
	b.rows = append(b.rows, r)
	fmt.Fprintf(os.Stderr, "bench: %s: %s (target %s)\n", r.what, r.result, r.target)
}

func (b *bench) run() error {
	var err error
	if b.dir, err = os.MkdirTemp("", "keyconsole-bench"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	if b.dsn == "" {
		b.dsn = filepath.Join(b.dir, "bench.db")
	} else {
		drop, err := b.ownSchema()
		if err != nil {
			return err
		}
		defer drop()
	}
	bin := filepath.Join(b.dir, "keyconsole")
	build := exec.Command("go", "build", "-o", bin, "./cmd/keyconsole")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if err := b.seed(); err != nil {
		return err
	}
	floor, stopFloor, err := startFloor()
	if err != nil {
		return err
	}
	defer stopFloor()
	server, err := b.start(bin, true)
	if err != nil {
		return err
	}
	defer server.stop()
	b.base = server.base

	// Verification: many keys in rotation, then one key over and over.
	script := filepath.Join(b.dir, "verify.lua")
	if err := os.WriteFile(script, []byte(verifyLua), 0o600); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: warming the cache with one pass over the keys")
	if _, err := b.wrk(server.base, script, b.secrets, b.duration); err != nil {
		return err
	}
	floorRate, err := b.compare(rotation, floor, server.base, script, b.secrets, "≥ 0.70", p99Held)
	if err != nil {
		return err
	}
	paced := filepath.Join(b.dir, "paced.lua")
	if err := os.WriteFile(paced, []byte(pacedLua), 0o600); err != nil {
		return err
	}
	if err := b.comparePaced("… at a fixed rate, half the bare handler's throughput", floor, server.base, paced, b.secrets, floorRate/2); err != nil {
		return err
	}
	one := filepath.Join(b.dir, "one.secrets")
	if err := firstLines(b.secrets, one, 2); err != nil {
		return err
	}
	if _, err := b.compare("the same key over and over", floor, server.base, script, one, "≥ 0.85", forTheRecord); err != nil {
		return err
	}
	b.add("server memory after the load (RSS)", "< 250 MB", "%d MB", server.rssMB())

	// Pages, as an admin of the big account would open them: before the
	// run over every key, whose usage (a row per key) the server then
	// writes for a minute or more.
	if err := b.pages(); err != nil {
		return err
	}

	// Every key once: the verification cache must stay within its bound.
	d := max(10*time.Second, time.Duration(b.keys/10_000)*time.Second)
	fmt.Fprintf(os.Stderr, "bench: verifying every key, %v\n", d)
	r, err := b.wrk(server.base, script, b.every, d)
	if err != nil {
		return err
	}
	b.add(fmt.Sprintf("verification of all %d keys in turn: server memory after (RSS)", b.keys), "bounded, < 250 MB",
		"%d MB after %.0f verifications (cache bound: %d keys)", server.rssMB(), r.rps*d.Seconds(), verify.DefaultCacheSize)
	if !b.fixedProcs {
		return nil
	}

	// For the record, last: the rotation again on a server whose
	// processors are fixed at Go's default (GOMAXPROCS set turns its own
	// setting off), to show what that setting does beside a busy
	// neighbour, here wrk and the floor.
	server.stop()
	procs := runtime.NumCPU() // the cores: Go's default, unless a cgroup limit lowers it
	fixed, err := b.start(bin, false, fmt.Sprintf("GOMAXPROCS=%d", procs))
	if err != nil {
		return err
	}
	defer fixed.stop()
	if _, err := b.wrk(fixed.base, script, b.secrets, b.duration); err != nil {
		return err
	}
	_, err = b.compare(fmt.Sprintf("%s, the processors fixed at the cores (`GOMAXPROCS=%d`)", rotation, procs),
		floor, fixed.base, script, b.secrets, forTheRecord, forTheRecord)
	return err
}

// ownSchema makes a schema of the bench's own in the PostgreSQL database
// and points b.dsn at it; drop removes it.
func (b *bench) ownSchema() (drop func(), err error) {
	admin, err := sql.Open("pgx", b.dsn)
	if err != nil {
		return nil, err
	}
	schema := fmt.Sprintf("keyconsole_bench_%d", time.Now().Unix())
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	u, err := url.Parse(b.dsn)
	if err != nil {
		admin.Close()
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	b.dsn = u.String()
	return func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	}, nil
}

func (b *bench) seed() error {
	ctx := context.Background()
	db, err := store.Open(ctx, b.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	b.engine = db.Engine()
	b.secrets, b.every = filepath.Join(b.dir, "secrets"), filepath.Join(b.dir, "every.secrets")
	f, err := os.OpenFile(b.secrets, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	e, err := os.OpenFile(b.every, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer e.Close()
	every := bufio.NewWriter(e)
	start := time.Now()
	fmt.Fprintf(os.Stderr, "bench: seeding %d keys on %s\n", b.keys, b.engine)
	err = seed.Run(ctx, db, seed.Options{Keys: b.keys, Big: b.keys / 5, Accounts: 1000, Users: 40_000, Events: b.keys,
		Secrets: 18_000, SecretsOut: f, EverySecretOut: every, Password: "seeded-users-password"})
	if err != nil {
		return err
	}
	if err := every.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: seeded in %v\n", time.Since(start).Round(time.Second))
	// The seeded users' accounts vary; the pages are opened as a Global Admin.
	admin := users.New(db, auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1})
	if _, err := admin.Create(ctx, apikey.Actor{Principal: apikey.SystemPrincipal("bench")},
		validate.User{Username: adminName, Password: adminPassword, Role: apikey.RoleGlobalAdmin}); err != nil {
		return err
	}
	line, err := nthLine(b.secrets, 2)
	b.prefix = line[:9]
	return err
}

// server is a running keyconsole.
type server struct {
	cmd  *exec.Cmd
	base string
}

// stop stops the server, once however often called.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// rssMB is the server's resident memory.
func (s *server) rssMB() int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		return -1
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return kb / 1024
}

const (
	adminName     = "benchadmin"
	adminPassword = "bench-admin-password"
)

// start starts the server, with env added to the bench's environment, and
// adds its start-up time to the table when told to.
func (b *bench) start(bin string, startUp bool, env ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--key-rate", "1e9", "--key-burst", "1000000000")
	cmd.Env = append(os.Environ(), "KEYCONSOLE_DB="+b.dsn, "KEYCONSOLE_SECRET_FILE="+filepath.Join(b.dir, "session.key"))
	cmd.Env = append(cmd.Env, env...)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr}
	for range 600 {
		if res, err := http.Get(s.base + "/readyz"); err == nil && res.StatusCode == http.StatusOK {
			res.Body.Close()
			if startUp {
				b.add(fmt.Sprintf("start-up with %d keys", b.keys), "< 1 s", "%d ms", time.Since(start).Milliseconds())
			}
			return s, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("keyconsole did not come up on %s", addr)
}

// floorShape makes the floor do some of what a server does, to tell by hand
// which part of a verification a latency follows. The bench's own floor
// is the zero shape.
type floorShape struct {
	spin     time.Duration
	readBody bool
	timeouts bool // the server's limits on a connection (web.GuardConnections)
	answer   bool // the server's answer: its headers and a body as long
}

// newFloor is the bare Echo handler: the most the framework does.
func newFloor(shape floorShape) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/v1/keys/verify", func(c echo.Context) error {
		if shape.readBody {
			if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
				return err
			}
		}
		if shape.spin > 0 { // the bare floor reads no clock
			for start := time.Now(); time.Since(start) < shape.spin; {
			}
		}
		if shape.answer {
			h := c.Response().Header()
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Request-Id", "aphWTFOU00004A9r")
			return c.JSONBlob(http.StatusOK, []byte(`{"valid":true,"code":"VALID","key_id":"key_seed_0000000","account_id":"acc_seed_big_berlin","roles":["global-viewer"],"expires_at":null}`+"\n"))
		}
		return c.JSON(http.StatusOK, map[string]any{"valid": true, "code": "VALID"})
	})
	return e
}

// held keeps holdHeap's heap live for the process.
var held any

// holdHeap makes a live heap for a floor run by hand, to tell what the
// server's heap costs a floor: mb megabytes of byte slices (no pointers),
// and objects of 768 bytes with 21 pointers each, twenty of them to small
// objects of their own, as a cached key holds its strings and lists.
func holdHeap(mb, objects int) any {
	type object struct {
		next  *object
		small [20]*byte
		_     [600]byte
	}
	var slices [][]byte
	for range mb {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = byte(i) // touched, so its pages are in memory
		}
		slices = append(slices, b)
	}
	var last *object
	for range objects {
		o := &object{next: last}
		for i := range o.small {
			o.small[i] = new(byte)
		}
		last = o
	}
	return []any{slices, last}
}

// serveFloor serves the floor of shape at addr until the process ends.
func serveFloor(addr string, shape floorShape) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return floorOn(ln, shape).Start("")
}

// floorOn is the floor of shape, to serve on ln.
func floorOn(ln net.Listener, shape floorShape) *echo.Echo {
	e := newFloor(shape)
	if shape.timeouts {
		ln = web.GuardConnections(context.Background(), e.Server, ln)
	}
	e.Listener = ln
	return e
}

// startFloor serves the bare floor on a free loopback port.
func startFloor() (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	e := newFloor(floorShape{})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	e.Listener = ln
	go e.Start("")
	return "http://" + addr, func() { e.Close() }, nil
}

// The p99's target, as the table states it: held to 1.5× the floor's where
// the issue sets that (keys in rotation); for the same key the issue sets a
// share of throughput only, and the p99 is shown.
const (
	rotation     = "`POST /api/v1/keys/verify`, keys in rotation"
	p99Held      = "≤ 1.5× the bare handler's"
	forTheRecord = "for the record"
)

// compare alternates the floor and the server under full load, rounds
// times each, and returns the floor's median throughput; the p99 is shown
// against p99Target.
func (b *bench) compare(what, floor, server, script, secrets, shareTarget, p99Target string) (float64, error) {
	f, s, err := b.alternate(what, floor, server, script, b.conns, secrets)
	if err != nil {
		return 0, err
	}
	fr, sr, fp, sp := medians(f, s)
	b.add(what+": throughput, share of the bare handler", shareTarget, "%.0f vs %.0f req/s = **%.2f**", sr, fr, sr/fr)
	b.add(what+": p99 latency", p99Target, "%.1f ms vs %.1f ms = %.2f×", sp, fp, sp/fp)
	return fr, nil
}

// pacedPause is how long each connection of a paced run waits between
// requests: wrk counts it in whole milliseconds, so a run at a given rate
// takes as many connections as make the pause about this long.
const pacedPause = 10 // ms

// comparePaced alternates the floor and the server at the same fixed rate.
// Under full load a p99 is mostly the queue that the connections build on
// the two cores the server shares with wrk; at half the load it comes
// closer to each answer's own time. For the record, beside the target.
func (b *bench) comparePaced(what, floor, server, script, secrets string, rate float64) error {
	conns := max(2, int(rate*pacedPause/1000))
	f, s, err := b.alternate(what, floor, server, script, conns, secrets, strconv.Itoa(pacedPause))
	if err != nil {
		return err
	}
	fr, sr, fp, sp := medians(f, s)
	b.add(fmt.Sprintf("%s (%d connections, each pausing %d ms): p99 latency", what, conns, pacedPause), forTheRecord,
		"%.2f ms vs %.2f ms = %.2f× (at %.0f and %.0f req/s)", sp, fp, sp/fp, sr, fr)
	return nil
}

// alternate runs the floor and then the server, rounds times, with conns
// connections and the script's arguments after the secrets file.
func (b *bench) alternate(what, floor, server, script string, conns int, args ...string) (f, s []result, err error) {
	for range b.rounds {
		r, err := b.wrkWith(floor, script, conns, b.duration, args...)
		if err != nil {
			return nil, nil, err
		}
		f = append(f, r)
		sr, err := b.wrkWith(server, script, conns, b.duration, args...)
		if err != nil {
			return nil, nil, err
		}
		s = append(s, sr)
		// Each round, for the record: the floor's own figures move from run to run.
		fmt.Fprintf(os.Stderr, "bench: %s, round %d: floor %.0f req/s, p99 %.2f ms; server %.0f req/s, p99 %.2f ms\n",
			what, len(s), r.rps, r.p99, sr.rps, sr.p99)
	}
	return f, s, nil
}

type result struct{ rps, p99 float64 } // p99 in ms

// medians are the floor's and the server's median throughput, then p99.
func medians(f, s []result) (fr, sr, fp, sp float64) {
	rps, p99 := func(r result) float64 { return r.rps }, func(r result) float64 { return r.p99 }
	return median(f, rps), median(s, rps), median(f, p99), median(s, p99)
}

var (
	rpsLine = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	p99Line = regexp.MustCompile(`\s99%\s+([\d.]+)(us|ms|s)`)
)

func (b *bench) wrk(base, script, secrets string, d time.Duration) (result, error) {
	return b.wrkWith(base, script, b.conns, d, secrets)
}

// wrkWith runs wrk with conns connections; args follow "--" for the script.
func (b *bench) wrkWith(base, script string, conns int, d time.Duration, args ...string) (result, error) {
	cmd := append([]string{"-t2", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", "-s", script,
		base + "/api/v1/keys/verify", "--"}, args...)
	out, err := exec.Command("wrk", cmd...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	m, p := rpsLine.FindSubmatch(out), p99Line.FindSubmatch(out)
	if m == nil || p == nil {
		return result{}, fmt.Errorf("wrk said: %s", out)
	}
	var r result
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	r.p99, _ = strconv.ParseFloat(string(p[1]), 64)
	switch string(p[2]) {
	case "us":
		r.p99 /= 1000
	case "s":
		r.p99 *= 1000
	}
	if bytes.Contains(out, []byte("Non-2xx")) {
		return r, fmt.Errorf("wrk saw refusals: %s", out)
	}
	return r, nil
}

// pages times what an admin of the big account opens, median of 7.
func (b *bench) pages() error {
	c, err := b.signIn()
	if err != nil {
		return err
	}
	big := "account=" + seed.BigAccount
	for _, p := range []struct{ what, path, target string }{
		{"keys page of the big account, page 1 (with the attention panel)", "/security/api-keys?" + big, "< 20 ms"},
		{"… search by name", "/security/api-keys?" + big + "&q=Key+00012", "< 50 ms"},
		{"… search by prefix", "/security/api-keys?" + big + "&q=" + url.QueryEscape(b.prefix), "< 50 ms"},
		{"… type and status filter, page 200", "/security/api-keys?" + big + "&type=general&status=active&page=200", "< 20 ms"},
		{"… sorted by expiry, page 50", "/security/api-keys?" + big + "&sort=expires&page=50", "< 20 ms"},
		{"… latest expiry first, page 100", "/security/api-keys?" + big + "&sort=-expires&page=100", "< 20 ms"},
		{"… needing attention: expiring within 14 days", "/security/api-keys?" + big + "&attention=expiring", "< 20 ms"},
		{"… needing attention: unused for 90 days, page 50", "/security/api-keys?" + big + "&attention=unused&page=50", "< 20 ms"},
		{"… needing attention: admin role, no allowed IPs", "/security/api-keys?" + big + "&attention=admin-unrestricted", "< 20 ms"},
		{"keys page of a sub-account (own and inherited keys)", "/security/api-keys?account=" + seed.BerlinAccount, "< 20 ms"},
		{"… sorted by expiry, page 50", "/security/api-keys?account=" + seed.BerlinAccount + "&sort=expires&page=50", "< 20 ms"},
		{"users page (40,000 users)", "/users", "< 50 ms"},
		{"audit page filtered by account", "/security/audit?" + big, "< 50 ms"},
		// Parts of names and actions few events have: each read every event.
		{"… by a part of a key's name", "/security/audit?key=" + url.QueryEscape("Key 0000123"), "< 50 ms"},
		{"… by a user's name", "/security/audit?actor=user000123", "< 50 ms"},
		{"… by an action no event has", "/security/audit?action=" + apikey.ActionAccountDeleted, "< 50 ms"},
	} {
		var times []float64
		for range 7 {
			start := time.Now()
			res, err := c.Get(b.base + p.path)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.add(p.what, p.target, "HTTP %d", res.StatusCode)
				times = nil
				break
			}
			times = append(times, float64(time.Since(start).Microseconds())/1000)
		}
		if times != nil {
			slices.Sort(times)
			b.add(p.what, p.target, "median %.1f ms", times[len(times)/2])
		}
	}
	// The size of a 50-row list, raw and as sent.
	req, _ := http.NewRequest("GET", b.base+"/security/api-keys?"+big, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := c.Transport.RoundTrip(withCookies(req, c))
	if err != nil {
		return err
	}
	wire, _ := io.ReadAll(res.Body)
	res.Body.Close()
	raw := wire
	if res.Header.Get("Content-Encoding") == "gzip" {
		if zr, err := gzip.NewReader(bytes.NewReader(wire)); err == nil {
			raw, _ = io.ReadAll(zr)
		}
	}
	b.add("HTML of a 50-row list", "< 100 KB raw, compressed on the wire", "%d KB raw, %d KB on the wire (%s)",
		len(raw)/1024, len(wire)/1024, orNone(res.Header.Get("Content-Encoding")))
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "not compressed"
	}
	return s
}

func withCookies(r *http.Request, c *http.Client) *http.Request {
	for _, ck := range c.Jar.Cookies(r.URL) {
		r.AddCookie(ck)
	}
	return r
}

// signIn signs the first admin in through the form.
func (b *bench) signIn() (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{DisableCompression: true}}
	res, err := c.Get(b.base + "/login")
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("no CSRF token on the sign-in page")
	}
	res, err = c.PostForm(b.base+"/login", url.Values{"username": {adminName}, "password": {adminPassword}, "_csrf": {string(m[1])}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.Request.URL.Path != "/security/api-keys" {
		return nil, fmt.Errorf("sign-in ended at %s", res.Request.URL.Path)
	}
	return c, nil
}

func (b *bench) table() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%d keys on %s; wrk -t2 -c%d, %v a run, floor and server alternated %d times (medians); %s.\n\n",
		b.keys, b.engine, b.conns, b.duration, b.rounds, time.Now().UTC().Format("2006-01-02"))
	s.WriteString("| what | result | target |\n| --- | --- | --- |\n")
	for _, r := range b.rows {
		fmt.Fprintf(&s, "| %s | %s | %s |\n", r.what, r.result, r.target)
	}
	return s.String()
}

// writeSection puts text between the file's bench markers for engine
// (<!-- bench:sqlite:start --> ... <!-- bench:sqlite:end -->), after the
// command that made it (a password in a URL left out).
func writeSection(path, engine, text string) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	start, end := "<!-- bench:"+engine+":start -->", "<!-- bench:"+engine+":end -->"
	i, j := bytes.Index(body, []byte(start)), bytes.Index(body, []byte(end))
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s ... %s markers", path, start, end)
	}
	args := slices.Clone(os.Args[1:])
	for k, a := range args {
		if u, err := url.Parse(a); err == nil && u.User != nil {
			args[k] = u.Redacted()
		}
	}
	cmd := "Command: `go run ./cmd/bench " + strings.Join(args, " ") + "`\n\n"
	out := append([]byte{}, body[:i+len(start)]...)
	out = append(out, "\n"+cmd+text...)
	out = append(out, body[j:]...)
	return os.WriteFile(path, out, 0o644)
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func nthLine(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 1; sc.Scan(); i++ {
		if i == n {
			return sc.Text(), nil
		}
	}
	return "", fmt.Errorf("%s has fewer than %d lines", path, n)
}

func firstLines(from, to string, n int) error {
	var lines []string
	for i := 1; i <= n; i++ {
		l, err := nthLine(from, i)
		if err != nil {
			return err
		}
		lines = append(lines, l)
	}
	return os.WriteFile(to, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// verifyLua sends each thread through the secrets in turn, each from a
// place of its own (unseeded, math.random gives every thread the same: two
// threads in step ask for each key at the same time, which no set of
// clients does); the file's first line is the caller's own key. A second
// argument is pacedLua's pause.
const verifyLua = `
local secrets = {}
local caller
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  local f = assert(io.open(args[1]))
  caller = f:read("*l")
  for line in f:lines() do secrets[#secrets + 1] = line end
  f:close()
  n = math.floor(#secrets * (id * 0.6180339887 % 1))
  pause = tonumber(args[2])
end
request = function()
  n = n % #secrets + 1
  return wrk.format("POST", "/api/v1/keys/verify",
    {["Content-Type"] = "application/json", ["X-Api-Key"] = caller},
    '{"key":"' .. secrets[n] .. '","client_ip":"10.1.2.3"}')
end
`

// pacedLua is verifyLua whose connections each pause args[2] milliseconds
// after every answer: a script of its own, since wrk paces every request
// of a script that defines delay.
const pacedLua = verifyLua + `
delay = function() return pause end
`
