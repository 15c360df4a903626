package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The floor's shapes do what they say: the same answer, after the body is
// read or the time spun; the bare floor reads nothing of the body.
func TestFloorShapes(t *testing.T) {
	t.Parallel()
	const sent = `{"key":"x"}`
	for _, shape := range []floorShape{{}, {readBody: true}, {spin: 20 * time.Millisecond}, {timeouts: true}} {
		body := &countingReader{r: strings.NewReader(sent)}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/keys/verify", body)
		rec := httptest.NewRecorder()
		start := time.Now()
		newFloor(shape).ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"code":"VALID","valid":true}` {
			t.Errorf("%+v: %d %s", shape, rec.Code, rec.Body)
		}
		if took < shape.spin {
			t.Errorf("%+v answered in %v", shape, took)
		}
		if want := map[bool]int{true: len(sent)}[shape.readBody]; body.n != want {
			t.Errorf("%+v read %d bytes of the body, want %d", shape, body.n, want)
		}
	}
}

// The floor that answers as the server does sends the server's headers
// and an answer of the same length; with timeouts, the server's limits.
func TestFloorAnswersAsTheServer(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	newFloor(floorShape{answer: true}).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/keys/verify", strings.NewReader(`{}`)))
	for _, h := range []string{"Cache-Control", "Content-Security-Policy", "X-Content-Type-Options", "X-Request-Id", "Content-Type"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("no %s: %v", h, rec.Header())
		}
	}
	if rec.Code != http.StatusOK || rec.Body.Len() != 137 || !strings.HasPrefix(rec.Body.String(), `{"valid":true,"code":"VALID","key_id":`) {
		t.Errorf("%d %q", rec.Code, rec.Body)
	}
	// With timeouts, the server's guard on its connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, timeouts := range []bool{false, true} {
		e := floorOn(ln, floorShape{timeouts: timeouts})
		if guarded := e.Server.ConnState != nil && e.Listener != ln && e.Server.MaxHeaderBytes == 64<<10; guarded != timeouts {
			t.Errorf("timeouts %v: the connections guarded: %v", timeouts, guarded)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A floor's heap for runs by hand is live, and as large as asked.
func TestFloorHeldHeap(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := holdHeap(2, 1000)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := after.HeapAlloc - before.HeapAlloc; grew < 2<<20+1000*768 {
		t.Errorf("the heap grew by %d bytes", grew)
	}
	runtime.KeepAlive(h)
}
