// Package connguard holds HTTP/1.1 connections to time limits (over a
// request's headers, over the rest of a request and its answer, and idle
// between requests) by one sweep a second over every open connection,
// instead of the read and write deadlines net/http sets, when given its
// timeouts, three or four times on every request: each deadline moves a
// timer in the runtime's heap, and together they cost a verification
// about as much processor time as its whole rate limit and usage record.
//
// A connection is told apart in three phases: idle (its last answer
// written), reading headers (from accept, or the first byte after idle), and
// busy (headers read, until the answer is written). The sweep closes one
// that has been in its phase longer than the phase's limit, which fails
// whatever read or write is waiting on it, as a deadline would. Limits
// hold to within a sweep's interval.
//
// It follows phases through http.Server's ConnState hook, which HTTP/2
// calls per stream rather than per request: with TLS (and so HTTP/2) the
// server keeps net/http's own timeouts instead.
package connguard

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"keyconsole/internal/tick"
)

// Limits are how long a connection may stay in each phase.
type Limits struct {
	Header  time.Duration // from a request's first byte (a new connection's accept) to its headers' end
	Request time.Duration // from the headers' end to the answer written: body, handler, write
	Idle    time.Duration // between two requests
	Every   time.Duration // the sweep's interval: how closely the limits hold
}

// Guard tracks the connections of one server.
type Guard struct {
	limits Limits
	start  time.Time // phases are stamped in nanoseconds since

	mu    sync.Mutex
	conns map[*conn]struct{}
}

// New returns a guard holding connections to limits.
func New(limits Limits) *Guard {
	return &Guard{limits: limits, start: time.Now(), conns: map[*conn]struct{}{}}
}

// Phases, in a connection's state word's low bits; the rest is when the
// phase began.
const (
	idle = iota
	header
	busy
	phaseBits = 2
)

type conn struct {
	net.Conn
	g     *Guard
	state atomic.Int64 // since<<phaseBits | phase
}

func (g *Guard) stamp(phase int64) int64 { return int64(time.Since(g.start))<<phaseBits | phase }

// Read notes a request's first byte after idle: its headers' time begins.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.state.Load()&(1<<phaseBits-1) == idle {
		c.state.Store(c.g.stamp(header))
	}
	return n, err
}

func (c *conn) Close() error {
	c.g.mu.Lock()
	delete(c.g.conns, c)
	c.g.mu.Unlock()
	return c.Conn.Close()
}

// Listener returns ln with each accepted connection tracked.
func (g *Guard) Listener(ln net.Listener) net.Listener { return listener{ln, g} }

type listener struct {
	net.Listener
	g *Guard
}

func (l listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	// A new connection's first request counts from the accept, as
	// net/http's header timeout does: one that sends nothing goes as soon
	// as one that sends too slowly.
	c := &conn{Conn: nc, g: l.g}
	c.state.Store(l.g.stamp(header))
	l.g.mu.Lock()
	l.g.conns[c] = struct{}{}
	l.g.mu.Unlock()
	return c, nil
}

// ConnState is the server's hook (http.Server.ConnState): a request's
// headers read make its connection busy, its answer written idle again.
func (g *Guard) ConnState(nc net.Conn, s http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	switch s {
	case http.StateActive:
		c.state.Store(g.stamp(busy))
	case http.StateIdle:
		c.state.Store(g.stamp(idle))
	case http.StateHijacked, http.StateClosed:
		g.mu.Lock()
		delete(g.conns, c)
		g.mu.Unlock()
	}
}

// Run sweeps every Every until ctx is done.
func (g *Guard) Run(ctx context.Context) {
	tick.Every(ctx, g.limits.Every, func() bool { g.sweep(); return true })
}

// sweep closes the connections past their phase's limit.
func (g *Guard) sweep() {
	now := int64(time.Since(g.start))
	var over []*conn
	g.mu.Lock()
	for c := range g.conns {
		s := c.state.Load()
		if time.Duration(now-s>>phaseBits) > g.limit(s&(1<<phaseBits-1)) {
			over = append(over, c)
		}
	}
	g.mu.Unlock()
	for _, c := range over {
		c.Close()
	}
}

func (g *Guard) limit(phase int64) time.Duration {
	switch phase {
	case header:
		return g.limits.Header
	case busy:
		return g.limits.Request
	}
	return g.limits.Idle
}
