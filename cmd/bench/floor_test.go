package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The floor's shapes do what they say: the same answer, after the body is
// read or the time spun; the bare floor reads nothing of the body.
func TestFloorShapes(t *testing.T) {
	t.Parallel()
	const sent = `{"key":"x"}`
	for _, shape := range []floorShape{{}, {readBody: true}, {spin: 20 * time.Millisecond}} {
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

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
