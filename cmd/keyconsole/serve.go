package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"keyconsole/internal/accounts"
	"keyconsole/internal/apikey"
	"keyconsole/internal/auditlog"
	"keyconsole/internal/auth"
	"keyconsole/internal/instance"
	"keyconsole/internal/keys"
	"keyconsole/internal/logfmt"
	"keyconsole/internal/procs"
	"keyconsole/internal/signin"
	"keyconsole/internal/store"
	"keyconsole/internal/tick"
	"keyconsole/internal/token"
	"keyconsole/internal/usage"
	"keyconsole/internal/users"
	"keyconsole/internal/verify"
	"keyconsole/web"
)

// Defaults for `make run` on a fresh clone.
const (
	defaultAddr       = "127.0.0.1:8080"
	defaultDB         = "data/keyconsole.db"
	defaultSecretFile = "data/session.key"
	shutdownDrain     = 10 * time.Second
	// walTrimEvery is the idle interval after which the write-ahead log is emptied.
	walTrimEvery = 30 * time.Second
	// firstStartWindow: a secret file younger than this was made by a
	// first start still under way, not left by an earlier server.
	firstStartWindow = time.Minute
	// checkBeforeStartBelow: a file this small is checked before the
	// server listens (about 0.2 s); a larger one while it serves.
	checkBeforeStartBelow = 64 << 20
	// minMaxBody is the smallest --max-body that still takes a sign-in form.
	minMaxBody = 1 << 10
)

// serveEnv names each serve flag's environment variable: KEYCONSOLE_ and
// the flag's name in capitals, "-" as "_" (TestEveryServeFlagFromEnv).
var serveEnv = map[string]string{
	"addr": "KEYCONSOLE_ADDR", "db": "KEYCONSOLE_DB", "secret-file": "KEYCONSOLE_SECRET_FILE",
	"idle-timeout": "KEYCONSOLE_IDLE_TIMEOUT", "session-lifetime": "KEYCONSOLE_SESSION_LIFETIME",
	"secure-cookies": "KEYCONSOLE_SECURE_COOKIES", "trusted-proxies": "KEYCONSOLE_TRUSTED_PROXIES",
	"key-rate": "KEYCONSOLE_KEY_RATE", "key-burst": "KEYCONSOLE_KEY_BURST", "pprof-addr": "KEYCONSOLE_PPROF_ADDR", "key-cache": "KEYCONSOLE_KEY_CACHE",
	"metrics-addr": "KEYCONSOLE_METRICS_ADDR", "max-body": "KEYCONSOLE_MAX_BODY", "new-database": "KEYCONSOLE_NEW_DATABASE",
	"check-database": "KEYCONSOLE_CHECK_DATABASE", "drain": "KEYCONSOLE_DRAIN", "usage-retention": "KEYCONSOLE_USAGE_RETENTION",
	"jwt-offline-limit": "KEYCONSOLE_JWT_OFFLINE_LIMIT",
	"tls-cert":          "KEYCONSOLE_TLS_CERT", "tls-key": "KEYCONSOLE_TLS_KEY", "log-format": "KEYCONSOLE_LOG_FORMAT", "log-level": "KEYCONSOLE_LOG_LEVEL",
	"log-each-verification": "KEYCONSOLE_LOG_EACH_VERIFICATION",
}

// serve runs the console until SIGINT or SIGTERM, then drains requests in flight.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flagSet("serve")
	addr := fs.String("addr", defaultAddr, "address to listen on")
	dbPath := fs.String("db", defaultDB, "SQLite database file, or a postgres:// URL")
	secretFile := fs.String("secret-file", defaultSecretFile, "file holding the session keys (created 0600 when missing)")
	idle := fs.Duration("idle-timeout", 30*time.Minute, "sign out after this long without a request")
	lifetime := fs.Duration("session-lifetime", 12*time.Hour, "sign out this long after sign-in, whatever happens")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure even on plain HTTP (behind a TLS proxy)")
	proxies := fs.String("trusted-proxies", "", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is believed")
	ratePerSecond := fs.Float64("key-rate", verify.DefaultRate, "requests per second allowed per API key")
	burst := fs.Int("key-burst", verify.DefaultBurst, "requests an API key may send at once above its rate")
	cacheSize := fs.Int("key-cache", verify.DefaultCacheSize, "secret hashes verification remembers")
	pprofAddr := fs.String("pprof-addr", "", "for developers: serve Go's profiler here (keep it on loopback)")
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics here, on its own listener, rather than beside the console")
	maxBody := fs.Int64("max-body", web.DefaultMaxBody, "the largest request body taken, in bytes")
	newDB := fs.Bool("new-database", false, "begin with a new, empty database though this server has run before")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM; reread on SIGHUP)")
	tlsKey := fs.String("tls-key", "", "the certificate's private key (PEM)")
	logFormat := fs.String("log-format", "text", "log lines as text (key=value) or json")
	logLevel := fs.String("log-level", "info", "the least severe log lines written: debug, info, warn or error")
	logEachVerification := fs.Bool("log-each-verification", false, "log a line for every answer of POST /api/v1/keys/verify, not only a tally of them each minute")
	usageRetention := fs.Duration("usage-retention", 90*24*time.Hour, "how long each key's daily request counts and client addresses are kept")
	jwtOfflineLimit := fs.Duration("jwt-offline-limit", apikey.DefaultJWTOfflineLimit, "the keys page flags JWT keys whose JWT offline checkers accept for longer than this from now")
	drain := fs.Duration("drain", shutdownDrain, "on SIGINT or SIGTERM, how long requests in flight may take to finish")
	checkDB := fs.Bool("check-database", false, "read every page of an SQLite file over 64 MiB too, while serving (minutes a gigabyte)")
	rest, err := parseFlags(fs, args, getenv, serveEnv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"serve: unexpected argument " + rest[0]}
	}
	if *idle <= 0 || *lifetime <= 0 {
		return usageError{"serve: --idle-timeout and --session-lifetime must be positive"}
	}
	if *maxBody < minMaxBody {
		return usageError{fmt.Sprintf("serve: --max-body must be at least %d bytes (a sign-in form)", minMaxBody)}
	}
	if *ratePerSecond <= 0 || *burst <= 0 {
		return usageError{"serve: --key-rate and --key-burst must be positive"}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageError{"serve: --log-level must be debug, info, warn or error"}
	}
	if *logFormat != "text" && *logFormat != "json" {
		return usageError{"serve: --log-format must be text or json"}
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError{"serve: --tls-cert and --tls-key go together"}
	}
	if *usageRetention < 24*time.Hour {
		return usageError{"serve: --usage-retention must be at least 24h"}
	}
	if *jwtOfflineLimit <= 0 {
		return usageError{"serve: --jwt-offline-limit must be positive"}
	}
	if *drain <= 0 {
		return usageError{"serve: --drain must be positive"}
	}
	if *cacheSize < 1 {
		return usageError{"serve: --key-cache must be positive"}
	}
	trusted, err := parseProxies(*proxies)
	if err != nil {
		return usageError{"serve: --trusted-proxies: " + err.Error()}
	}
	var cert *certificate
	if *tlsCert != "" {
		if cert, err = loadCertificate(*tlsCert, *tlsKey); err != nil {
			return err
		}
	}
	tuneCollector(getenv, *cacheSize)
	// Take the address first: a busy port fails before anything is
	// created or printed.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	var metricsLn net.Listener
	if *metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", *metricsAddr); err != nil {
			return err
		}
		defer metricsLn.Close()
	}
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr); err != nil {
			return err
		}
	}
	logs := newLogWriter(stderr, logFlushEvery)
	defer logs.Close()
	logger := slog.New(logfmt.New(logs, level))
	if *logFormat == "json" {
		logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	}
	if err := refuseLostDatabase(ctx, *dbPath, *secretFile, *newDB); err != nil {
		return err
	}
	sessionKeys, err := auth.LoadOrCreateSessionKeys(*secretFile)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return fmt.Errorf("%s: %w", dbName(*dbPath), err)
	}
	// Every page is read once: before anything else on a small file; on a
	// large one (minutes a gigabyte) only when asked, beside the first
	// requests, not ready until it is done. A damaged file stops the server.
	checked := &checkedDB{DB: db}
	ctx, stopServing := context.WithCancelCause(ctx)
	defer stopServing(nil)
	quickCheck := func() error {
		if err := db.QuickCheck(ctx); err != nil {
			return fmt.Errorf("%s: %w", dbName(*dbPath), err)
		}
		checked.done.Store(true)
		return nil
	}
	switch size := db.FileSize(); {
	case size < checkBeforeStartBelow:
		if err := quickCheck(); err != nil {
			return err
		}
	case !*checkDB:
		checked.done.Store(true)
		logger.Info("database pages not checked: the file is large; --check-database checks them while serving", "bytes", size)
	default:
		go func() {
			if err := quickCheck(); err != nil {
				stopServing(err)
			}
		}()
	}
	if err := bootstrapAdmin(ctx, db, getenv("KEYCONSOLE_ADMIN_PASSWORD"), stderr); err != nil {
		return err
	}
	go db.TrimWAL(ctx, walTrimEvery)
	// Twice the processors while neighbours keep the cores busy (procs).
	go procs.Run(ctx, getenv, procs.Config{Logger: logger})
	recorder := usage.New(db, logger)
	tokens := token.New(db, nil)
	verifier := verify.New(db, tokens, recorder, verify.Config{RatePerSecond: *ratePerSecond, Burst: *burst, CacheSize: *cacheSize}, nil)
	keyService := keys.New(db, tokens, nil)
	keyService.SetJWTOfflineLimit(*jwtOfflineLimit)
	// Join the instances sharing the database: key changes made by any of
	// them reach this one's verification cache, and the per-key rate limit
	// is shared among them.
	member, err := instance.Join(ctx, instance.Config{Store: db, Cache: verifier, Name: instanceName(ln.Addr()), Logger: logger})
	if err != nil {
		return err
	}
	// Run until the server has stopped; leave the group whatever fails
	// from here on, so that the others stop waiting for this one.
	groupCtx, leaveGroup := context.WithCancel(context.Background())
	groupDone := make(chan struct{})
	go func() {
		defer close(groupDone)
		if err := member.Run(groupCtx); err != nil {
			logger.Warn("leaving the instance group", "err", err)
		}
	}()
	defer func() { leaveGroup(); <-groupDone }()
	// A change to a key empties this instance's cache of it at once, and
	// its response waits (briefly) until the other instances have too.
	forget := func(k *apikey.Key, hashes ...string) {
		verifier.Forget(k, hashes...)
		member.AwaitApplied(k.ID)
	}
	keyService.OnChange(forget)
	accountService := accounts.New(db)
	accountService.OnKeyChange(forget) // the predefined keys an account's deletion removes
	signIn, err := signin.New(signin.Config{Store: db, Throttle: signin.NewThrottle(db), Tokens: tokens,
		Idle: *idle, Lifetime: *lifetime, Logger: logger})
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{DB: checked, Keys: keyService, Accounts: accountService, Users: users.New(db, auth.DefaultParams),
		Audit: auditlog.New(db), Verifier: verifier, Tokens: tokens, SignIn: signIn, Logger: logger,
		Sessions:       web.SessionConfig{Keys: sessionKeys, Lifetime: *lifetime, SecureCookies: *secure || cert != nil},
		TrustedProxies: trusted, MaxBody: *maxBody, MetricsApart: metricsLn != nil,
		LogEachVerification: *logEachVerification})
	if err != nil {
		return err
	}
	if metricsLn != nil {
		go serveApart(metricsLn, srv.MetricsHandler())
	}
	go periodically(ctx, 5*time.Minute, "session sweep", logger, func(now time.Time) error {
		_, err := db.DeleteSessionsBefore(ctx, now.Add(-*idle), now.Add(-*lifetime))
		return err
	})
	go periodically(ctx, time.Hour, "usage pruning", logger, func(now time.Time) error {
		_, err := db.PruneUsage(ctx, now.Add(-*usageRetention).Format(time.DateOnly))
		return err
	})
	// Usage is written every minute, and once more after the server
	// has stopped taking requests.
	usageCtx, stopUsage := context.WithCancel(context.Background())
	usageDone := make(chan struct{})
	go func() { recorder.Run(usageCtx, usage.FlushEvery); close(usageDone) }()
	var tlsConfig *tls.Config
	if cert != nil {
		tlsConfig = cert.config()
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					cert.reloadLogged(logger)
				}
			}
		}()
	}
	err = srv.Serve(ctx, ln, *drain, tlsConfig)
	stopUsage()
	<-usageDone
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// checkedDB is not ready until the start-up check of every page is done.
type checkedDB struct {
	*store.DB
	done atomic.Bool
}

func (d *checkedDB) Check(ctx context.Context) error {
	if !d.done.Load() {
		return errors.New("the database file is still being checked")
	}
	return d.DB.Check(ctx)
}

// refuseLostDatabase stops a start that would begin a new, empty database
// where this server has run before (its session key file is there): the
// old one was moved or deleted, and starting afresh would lose every key
// without a word.
func refuseLostDatabase(ctx context.Context, dsn, secretFile string, allow bool) error {
	if allow {
		return nil
	}
	fi, err := os.Stat(secretFile)
	if err != nil || time.Since(fi.ModTime()) < firstStartWindow {
		// A first start, or several instances making their first start
		// together: a sibling has just written the file, not yet the database.
		return nil
	}
	exists, err := store.Exists(ctx, dsn)
	if err != nil || exists {
		return err
	}
	return fmt.Errorf("%s does not exist, though %s shows this server has run before: if the database moved, point --db at it; to begin again with an empty one on purpose, pass --new-database", dbName(dsn), secretFile)
}

// dbName names the database for messages, without a URL's password.
func dbName(dsn string) string {
	if store.IsPostgresURL(dsn) {
		return "the PostgreSQL database"
	}
	return "the database " + dsn
}

// instanceName shows an instance on key details pages: its host and address.
func instanceName(addr net.Addr) string {
	host, err := os.Hostname()
	if err != nil {
		return addr.String()
	}
	return host + " " + addr.String()
}

// logFlushEvery is how long a log line may wait in the buffer.
const logFlushEvery = 100 * time.Millisecond

// parseProxies reads "10.0.0.1, 10.1.0.0/16" into prefixes.
func parseProxies(raw string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// periodically runs fn every interval until ctx ends; what fails is
// logged and tried again at the next turn.
func periodically(ctx context.Context, interval time.Duration, what string, logger *slog.Logger, fn func(now time.Time) error) {
	tick.Every(ctx, interval, func() bool {
		if err := fn(time.Now().UTC()); err != nil && ctx.Err() == nil {
			logger.Warn(what, "err", err)
		}
		return true
	})
}

// tuneCollector lets the heap grow to five times what is live before the
// garbage collector runs (Go's default is twice), under a soft limit of
// 64 MiB and 2 KiB a cached key (twice what one takes): under load,
// collection was the largest cost of a verification after the network.
// The limit (about 170 MB with the default cache) is twice what was live
// with the cache full and the usage recorder at its bound (77 MB; see
// usage.HoldAtMost), and the process then held about 210 MB.
// GOGC or GOMEMLIMIT, when set, decide instead.
func tuneCollector(getenv func(string) string, cacheSize int) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(64<<20 + int64(cacheSize)<<11)
}
