package connguard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var limits = Limits{Header: 300 * time.Millisecond, Request: 400 * time.Millisecond, Idle: 500 * time.Millisecond, Every: 20 * time.Millisecond}

// serve runs an HTTP/1.1 server on loopback held by a guard with limits,
// without any timeout of net/http's own, and returns its address.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := New(limits)
	ctx, cancel := context.WithCancel(context.Background())
	go g.Run(ctx)
	srv := &http.Server{Handler: h, ConnState: g.ConnState}
	go srv.Serve(g.Listener(ln))
	t.Cleanup(func() { cancel(); srv.Close() })
	return ln.Addr().String()
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	fmt.Fprint(w, "hello")
})

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedAfter waits for the server to close c (reading and dropping what
// comes) and returns how long that took from since.
func closedAfter(t *testing.T, c net.Conn, since time.Time) time.Duration {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open for 5 s")
	}
	return time.Since(since)
}

// within fails t unless took is the limit, give or take the sweep's
// interval and some scheduling.
func within(t *testing.T, what string, took, limit time.Duration) {
	t.Helper()
	if took < limit-limits.Every || took > limit+limits.Every+250*time.Millisecond {
		t.Errorf("%s: closed after %v, want about %v", what, took, limit)
	}
}

func TestSilentConnectionClosedAtTheHeaderLimit(t *testing.T) {
	t.Parallel()
	c := dial(t, serve(t, hello))
	within(t, "nothing sent", closedAfter(t, c, time.Now()), limits.Header)
}

func TestSlowHeadersClosedAtTheHeaderLimit(t *testing.T) {
	t.Parallel()
	c := dial(t, serve(t, hello))
	start := time.Now()
	go func() { // a byte every 50 ms, never the headers' end
		for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)) {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	within(t, "headers trickled", closedAfter(t, c, start), limits.Header)
}

func TestSlowBodyClosedAtTheRequestLimit(t *testing.T) {
	t.Parallel()
	c := dial(t, serve(t, hello))
	fmt.Fprint(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	within(t, "a body stalled", closedAfter(t, c, time.Now()), limits.Request)
}

// A client that does not read a long answer holds it up no longer than
// the request limit: the handler's write fails then.
func TestSlowReaderClosedAtTheRequestLimit(t *testing.T) {
	t.Parallel()
	wrote := make(chan error, 1)
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 1<<20)
		var err error
		for i := 0; i < 1024 && err == nil; i++ {
			_, err = w.Write(chunk)
		}
		wrote <- err
	}))
	c := dial(t, addr)
	start := time.Now()
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-wrote:
		if err == nil {
			t.Fatal("a gigabyte written to a client reading nothing")
		}
		within(t, "an answer not read", time.Since(start), limits.Request)
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's write still waits after 5 s")
	}
}

func TestIdleConnectionClosedAtTheIdleLimit(t *testing.T) {
	t.Parallel()
	c := dial(t, serve(t, hello))
	r := bufio.NewReader(c)
	ask := func() {
		t.Helper()
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	ask()
	time.Sleep(limits.Idle * 3 / 5) // longer than the header limit: idle is not reading headers
	ask()
	within(t, "idle after an answer", closedAfter(t, c, time.Now()), limits.Idle)
}

// A connection kept busy for longer than every limit together, one quick
// request after another, and a handler taking most of the request limit,
// are never cut: the limits count per phase, not per connection.
func TestBusyConnectionsAreNotCut(t *testing.T) {
	t.Parallel()
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(limits.Request * 3 / 4)
		}
		fmt.Fprint(w, "ok")
	}))
	var dials atomic.Int32
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
	defer client.CloseIdleConnections()
	get := func(path string) {
		t.Helper()
		res, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	for end := time.Now().Add(limits.Header + limits.Request + limits.Idle); time.Now().Before(end); {
		get("/")
	}
	get("/slow")
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d connections made, want one: the server cut a busy one", n)
	}
}
