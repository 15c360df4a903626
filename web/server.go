// Package web is the console's HTTP side: the Echo server, its middleware and
// one file per action. Handlers read input through internal/validate, call
// one service method, and render web/view components.
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"keyconsole/internal/connguard"
)

// Config is what the server needs; cmd/keyconsole builds the services.
type Config struct {
	DB       readiness
	Keys     keyService
	Accounts accountService
	Users    userService
	Audit    auditService
	Verifier keyVerifier
	Tokens   tokenSigner
	SignIn   signInService
	Logger   *slog.Logger
	Sessions SessionConfig
	Now      func() time.Time // nil: the wall clock in UTC
	// TrustedProxies are the peers whose X-Forwarded-For is believed; the
	// client address is then the nearest one not among them. Empty: the
	// direct peer is the client.
	TrustedProxies []netip.Prefix
	// MaxBody is the largest request body taken, in bytes; 0: DefaultMaxBody.
	MaxBody int64
	// MetricsApart leaves /metrics off the console's routes: they are
	// served through MetricsHandler on a listener of their own.
	MetricsApart bool
	// LogEachVerification logs a line for every answer of POST
	// /api/v1/keys/verify; otherwise they are tallied (verifyTally).
	LogEachVerification bool
	// AuditShortWindow is how many of the newest events (at least) the
	// audit log matches a name part under three characters among, when no
	// start date is given; 0: DefaultAuditShortWindow.
	AuditShortWindow int
}

// Server is the console's HTTP handler and its dependencies.
type Server struct {
	echo     *echo.Echo
	db       readiness
	unready  unreadyLog
	keys     keyService
	accounts accountService
	trees    treeCache
	users    userService
	audit    auditService
	verifier keyVerifier
	tokens   tokenSigner
	signin   signInService
	metrics  *metrics
	logger   *slog.Logger
	now      func() time.Time
	sessions SessionConfig
	cookies  *sessions.CookieStore
	maxBody  int64
	// auditShortWindow: see Config.AuditShortWindow.
	auditShortWindow int
	// metricsApart: /metrics is not among the console's routes.
	metricsApart        bool
	inFlight            *inFlight
	logEachVerification bool
	tally               verifyTally
}

// New builds the server with every route.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil || cfg.Keys == nil || cfg.Accounts == nil || cfg.Users == nil || cfg.Audit == nil ||
		cfg.Verifier == nil || cfg.Tokens == nil || cfg.SignIn == nil {
		return nil, errors.New("web: every service is required")
	}
	s := &Server{db: cfg.DB, keys: cfg.Keys, accounts: cfg.Accounts, users: cfg.Users, audit: cfg.Audit,
		verifier: cfg.Verifier, tokens: cfg.Tokens, signin: cfg.SignIn,
		logger: cfg.Logger, now: cfg.Now, sessions: cfg.Sessions, maxBody: cfg.MaxBody,
		metricsApart: cfg.MetricsApart, logEachVerification: cfg.LogEachVerification, auditShortWindow: cfg.AuditShortWindow}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.auditShortWindow <= 0 {
		s.auditShortWindow = DefaultAuditShortWindow
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	s.tally.since = s.now()
	if s.sessions.Lifetime <= 0 {
		s.sessions.Lifetime = 12 * time.Hour
	}
	if len(s.sessions.Keys.Auth) == 0 || len(s.sessions.Keys.Encryption) == 0 {
		return nil, errors.New("web: session keys are required")
	}
	s.metrics = newMetrics()
	s.cookies = newCookieStore(s.sessions)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientIPExtractor(cfg.TrustedProxies)
	s.echo = e
	s.routes()
	s.inFlight = newInFlight(s.echo.Routes())
	return s, nil
}

// clientIPExtractor reads the client address from X-Forwarded-For only when
// the peer is a configured proxy: anyone else could forge the header to dodge
// throttling or an allow list. Loopback and private ranges are not trusted
// unless configured.
func clientIPExtractor(proxies []netip.Prefix) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// MetricsHandler serves GET /metrics alone, for a listener of its own.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.httpHandler())
	return mux
}

// ServeHTTP makes the server an http.Handler: Echo's own, with the
// envelope around every route's handler (matched or not) instead of Echo's
// global middleware. HEAD takes the GET route: net/http sends the headers
// and drops the body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := s.echo.AcquireContext()
	c.Reset(r, w)
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	s.echo.Router().Find(method, echo.GetPath(r), c)
	s.envelope(c, c.Handler())
	s.echo.ReleaseContext(c)
}

// connLimits are the console's limits on a connection: how long a client
// may take over a request's headers, over the rest of it and its answer
// (the body is bounded apart), and idle between requests.
var connLimits = connguard.Limits{Header: 10 * time.Second, Request: 60 * time.Second, Idle: 120 * time.Second, Every: time.Second}

// maxHeaderBytes bounds a request's headers.
const maxHeaderBytes = 64 << 10

// GuardConnections holds srv's plain HTTP/1.1 connections, accepted from
// the listener it returns, to the console's limits until ctx is done: by
// a sweep a second rather than by net/http's timeouts, which set three or
// four deadlines on every request (connguard).
func GuardConnections(ctx context.Context, srv *http.Server, ln net.Listener) net.Listener {
	g := connguard.New(connLimits)
	srv.ConnState, srv.MaxHeaderBytes = g.ConnState, maxHeaderBytes
	go g.Run(ctx)
	return g.Listener(ln)
}

// limitConnections gives srv the same limits as net/http's timeouts, for
// HTTPS: HTTP/2 reports its connections' states per stream, not per
// request, so the guard cannot follow them.
func limitConnections(srv *http.Server) {
	srv.ReadHeaderTimeout, srv.ReadTimeout = connLimits.Header, 30*time.Second // the whole request read
	srv.WriteTimeout, srv.IdleTimeout = connLimits.Request, connLimits.Idle
	srv.MaxHeaderBytes = maxHeaderBytes
}

// Serve answers on ln until ctx is done, then drains requests in
// flight for up to drain before returning.
// With tlsConfig it serves HTTPS (and HTTP/2) on ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drain time.Duration, tlsConfig *tls.Config) error {
	srv := &http.Server{
		Handler:   s,
		ErrorLog:  slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		TLSConfig: tlsConfig,
	}
	if tlsConfig != nil {
		limitConnections(srv)
	} else {
		// Not ctx: the drain after it ends still holds slow clients to the limits.
		guarding, stopGuard := context.WithCancel(context.Background())
		defer stopGuard()
		ln = GuardConnections(guarding, srv, ln)
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "") // the certificate comes from tlsConfig
			return
		}
		errc <- srv.Serve(ln)
	}()
	s.logger.Info("listening", "addr", ln.Addr().String())
	// The verifications' tally, every minute and once more at the end.
	stopTally, tallyDone := make(chan struct{}), make(chan struct{})
	go func() { s.tallyVerifications(VerifyTallyEvery, stopTally); close(tallyDone) }()
	defer func() { close(stopTally); <-tallyDone; s.logVerifyTally() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "drain", drain.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Out of time: what is still running is cut off, and said.
		cut := s.inFlight.String()
		srv.Close()
		s.logger.Warn("drain ran out: requests cut off", "drain", drain.String(), "cut_off", cut)
		return fmt.Errorf("stopped after the %s drain, cutting off %s", drain, cut)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.logger.Info("stopped after a clean drain")
	return nil
}

// render writes a templ component as the HTML answer.
func render(c echo.Context, status int, comp templ.Component) error {
	// Whole before sent: one write instead of one for every few kilobytes
	// (a keys page is some sixty), and a page that fails half-way is an
	// error page, not half a page.
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}
