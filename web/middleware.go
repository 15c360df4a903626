package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/shards"
)

// An upstream request id is kept only when it is plainly an id, so that
// nobody can write into our logs through it, and shorter than any secret
// this server takes (custom values have 32 characters or more), so that a
// key pasted into the wrong header is neither logged nor echoed.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,31}$`)

// requestIDs are this process's random prefix and a counter: unique, and
// cheap on the verification path. They are not secrets.
var requestIDs = newRequestIDs()

// requestIDSource hands out numbers a block at a time to each processor's
// shard (package shards), rather than from one counter all processors add
// to: numbers are unique, not in order.
type requestIDSource struct {
	prefix string
	blocks atomic.Uint64 // numbers handed out in blocks so far
	shards shards.Set[idBlock]
}

// idBlock is the numbers a shard has left: next up to end.
type idBlock struct {
	mu        sync.Mutex
	next, end uint64
}

const idBlockSize = 1024

func newRequestIDs() *requestIDSource {
	p, err := apikey.RandomBase62(8)
	if err != nil {
		panic(err)
	}
	return &requestIDSource{prefix: p}
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// next is the prefix and eight base-62 digits of a number of b's, not
// handed out before.
func (r *requestIDSource) next(b *idBlock) string {
	b.mu.Lock()
	if b.next == b.end {
		b.end = r.blocks.Add(idBlockSize)
		b.next = b.end - idBlockSize
	}
	n := b.next
	b.next++
	b.mu.Unlock()
	var id [16]byte
	copy(id[:], r.prefix)
	for i := len(id) - 1; i >= 8; i-- {
		id[i] = base62[n%62]
		n /= 62
	}
	return string(id[:])
}

// envelope is what every request passes through: an id (answered in
// X-Request-Id and logged), the security headers, the body's limit
// (limitBody), panics turned into 500s, then one log line and the metrics.
// It is called by ServeHTTP with the route's handler rather than installed
// with Echo's Use: Echo wraps global middleware anew on every request, a
// closure allocated each time. The handler runs with a pooled visitContext
// (see there).
func (s *Server) envelope(c echo.Context, h echo.HandlerFunc) {
	start := time.Now()
	vc := visitContexts.Get().(*visitContext)
	counts := vc.countsOf(s)
	id := headerValue(c.Request().Header, echo.HeaderXRequestID)
	if id == "" || !requestIDPattern.MatchString(id) {
		id = requestIDs.next(counts.ids)
	}
	hdr := c.Response().Header()
	hdr[echo.HeaderXRequestID] = []string{id}
	set := pageHeaders
	if isAPI(c.Request()) {
		set = apiHeaders
		hdr["Date"] = dates.at(start)
	}
	for _, x := range set {
		hdr[x.name] = x.value
	}
	if c.Request().TLS != nil {
		hdr["Strict-Transport-Security"] = hsts
	}
	inFlight := &(*counts.inFlight)[s.inFlight.place(c.Request().Method, c.Path())]
	inFlight.Add(1)
	defer inFlight.Add(-1)
	vc.Context = c
	if err := s.limitBody(vc); err != nil {
		s.handleError(err, vc)
	} else if err := s.recovering(h, vc); err != nil {
		s.handleError(err, vc)
	}
	s.recordRequest(vc, start)
	vc.reset()
	visitContexts.Put(vc)
}

// recordRequest counts the request in the metrics and writes its one log
// line: method, route pattern, status, duration and request id.
// Deliberately nothing else: headers, the query, the raw path and form
// values can all carry secrets.
func (s *Server) recordRequest(c echo.Context, start time.Time) {
	route := c.Path() // the pattern, e.g. /security/api-keys/:id; never the raw path
	if route == "" {
		route = "unmatched"
	}
	took := time.Since(start)
	counts := c.(*visitContext).counts
	counts.metrics.observe(route, c.Request().Method, c.Response().Status, took)
	if code := c.(*visitContext).verifyCode; code != "" && !s.logEachVerification {
		counts.tally.add(code)
		return
	}
	// The record is made here rather than by LogAttrs, which would look up
	// the caller's source line, unused, on every request.
	ctx, h := c.Request().Context(), s.logger.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
	// One AddAttrs call: the record grows its overflow once. Who asked is
	// the signed-in user's id or the API key's (ids, never names).
	attrs := [...]slog.Attr{
		slog.String("method", c.Request().Method),
		slog.String("route", route),
		slog.Int("status", c.Response().Status),
		slog.Duration("duration", took),
		slog.Int64("bytes", c.Response().Size),
		slog.String("request_id", requestIDOf(c)),
		{},
	}
	n := len(attrs) - 1
	if p := principalOf(c); p != nil {
		attrs[n] = slog.String(p.Kind, p.ID)
		n++
	}
	r.AddAttrs(attrs[:n]...)
	h.Handle(ctx, r)
}

// headerValue is h's first value of key, which must be canonical: as
// h.Get, without canonicalizing key again on every request (each Get on
// the verification path cost about 80 ns).
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// recovering runs next, turning a panic into a 500 and logging its stack,
// without the request.
func (s *Server) recovering(next echo.HandlerFunc, c echo.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.logger.Error("panic", "request_id", requestIDOf(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = echo.NewHTTPError(http.StatusInternalServerError)
		}
	}()
	return next(c)
}

// chain wraps h in mws once, the first outermost, as Echo would on every
// request for route-level middleware.
func chain(h echo.HandlerFunc, mws ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// contentSecurityPolicy allows only our own files: no inline script, no eval,
// no framing, forms post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// A JSON answer is never a document: it may load nothing and be framed
// nowhere, and it is never stored (it may describe a key).
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// header is one response header, its name canonical and its value shared:
// assigned, not Set, since Set allocates on every request. Nothing appends
// to these values.
type header struct {
	name  string
	value []string
}

var (
	pageHeaders = []header{
		{"Content-Security-Policy", []string{contentSecurityPolicy}},
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"Referrer-Policy", []string{"same-origin"}},
		{"X-Frame-Options", []string{"DENY"}},
		{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
		{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=()"}},
	}
	// hsts: over TLS, browsers keep to HTTPS for two years.
	hsts       = []string{"max-age=63072000; includeSubDomains"}
	apiHeaders = []header{
		{"Content-Security-Policy", []string{apiContentSecurityPolicy}},
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"Cache-Control", []string{"no-store"}},
	}
)

// isAPI tells the machine-read paths, answered (errors too) in JSON: the
// API and the public documents other services fetch.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/.well-known/")
}

func requestIDOf(c echo.Context) string {
	if id := c.Response().Header()[echo.HeaderXRequestID]; len(id) == 1 {
		return id[0]
	}
	return ""
}
