package main

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// A client that opens a connection and sends a request's headers too
// slowly is cut off after the header limit (10 s, within the guard's
// second), over HTTP and over HTTPS: it holds no connection for longer.
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[secure], func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if secure {
				dir := t.TempDir()
				env["KEYCONSOLE_TLS_CERT"], env["KEYCONSOLE_TLS_KEY"] = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
				selfSigned(t, "keyconsole", env["KEYCONSOLE_TLS_CERT"], env["KEYCONSOLE_TLS_KEY"])
			}
			s := spawn(t, env)
			var c net.Conn
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			if secure {
				tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				c = tc
			}
			go func() { // a header line a second, never the last
				if _, err := io.WriteString(c, "GET /login HTTP/1.1\r\nHost: x\r\n"); err != nil {
					return
				}
				for {
					time.Sleep(time.Second)
					if _, err := io.WriteString(c, "X-Slow: a\r\n"); err != nil {
						return
					}
				}
			}()
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("still open after 30 s")
			}
			if took := time.Since(start); took < 9*time.Second || took > 13*time.Second {
				t.Fatalf("cut off after %v, want about 10 s", took)
			}
		})
	}
}
