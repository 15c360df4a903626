package web

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// loginFrom signs in on ts as a visitor at ip (through the trusted proxy)
// and returns the answer's status.
func loginFrom(t *testing.T, ts *testServer, ip, username, password string) int {
	t.Helper()
	c := ts.newClient(t)
	_, page := c.get(t, "/login", "X-Forwarded-For", ip)
	res, _ := c.postRaw(t, "/login", url.Values{"username": {username}, "password": {password}, "_csrf": {csrfIn(t, page)}}, "X-Forwarded-For", ip)
	return res.StatusCode
}

// Two instances on one database count failures together: five spread over
// both lock the username, and the address, on both.
func TestSignInThrottleSharedByInstances(t *testing.T) {
	t.Parallel()
	a := newTestServer(t, func(c *testConfig) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	b := a.sibling(t)
	both := []*testServer{a, b}
	pw := a.addUser(t, "tom", apikey.RoleSupport)
	unaPW := a.addUser(t, "una", apikey.RoleSupport)

	// The username, from a new address each time.
	for i, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"} {
		if code := loginFrom(t, both[i%2], ip, "tom", "not-his-password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	for i, ts := range both {
		if code := loginFrom(t, ts, "198.51.100.1", "tom", pw); code != http.StatusUnauthorized {
			t.Fatalf("instance %d let tom in after 5 failures over both: %d", i, code)
		}
	}
	// Only tom is locked: the fresh address still works for another user.
	if code := loginFrom(t, b, "198.51.100.1", "una", unaPW); code != http.StatusSeeOther {
		t.Fatalf("una from a fresh address: %d", code)
	}

	// The address, guessing a new username each time.
	for i, name := range []string{"ann", "ben", "cat", "dan", "eve"} {
		if code := loginFrom(t, both[i%2], "203.0.113.9", name, "a-guessed-password"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	for i, ts := range both {
		if code := loginFrom(t, ts, "203.0.113.9", "una", unaPW); code != http.StatusUnauthorized {
			t.Fatalf("instance %d let the guessing address in: %d", i, code)
		}
	}

	// The window passes for both.
	a.now, b.now = a.now.Add(16*time.Minute), b.now.Add(16*time.Minute)
	if code := loginFrom(t, b, "198.51.100.2", "tom", pw); code != http.StatusSeeOther {
		t.Fatalf("tom after the window: %d", code)
	}
	if code := loginFrom(t, a, "203.0.113.9", "una", unaPW); code != http.StatusSeeOther {
		t.Fatalf("the address after the window: %d", code)
	}
}

// brokenThrottle stands for a database that does not answer.
type brokenThrottle struct{}

func (brokenThrottle) Attempt(context.Context, string, string, time.Time) (bool, error) {
	return false, errors.New("throttle store unreachable")
}

func (brokenThrottle) Succeeded(context.Context, string, string, time.Time) error {
	return errors.New("throttle store unreachable")
}

// Without its count the throttle refuses: the right password is turned
// away with the usual message, on the page and the API, and it is logged.
func TestSignInRefusedWhenTheThrottleFails(t *testing.T) {
	t.Parallel()
	ok := newTestServer(t)
	pw := ok.addUser(t, "vic", apikey.RoleSupport)
	_, key := appKey(t, ok, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	ts := ok.sibling(t, func(c *testConfig) { c.Throttle = brokenThrottle{} })

	res, body := ts.newClient(t).tryLogin(t, "vic", pw)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, signInFailed) {
		t.Fatalf("console sign-in with a broken throttle: %d", res.StatusCode)
	}
	if code, out := login(t, ts, key, map[string]any{"username": "vic", "password": pw}); code != http.StatusUnauthorized || errCode(out) != "UNAUTHORIZED" {
		t.Fatalf("API sign-in with a broken throttle: %d %v", code, out)
	}
	if n := strings.Count(ts.logs.String(), "throttle store unreachable"); n != 2 {
		t.Fatalf("%d of 2 refusals logged:\n%s", n, ts.logs.String())
	}
	// The same user signs in where the throttle works.
	ok.signIn(t, "vic", pw)
}
