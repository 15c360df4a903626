package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/signin"
)

// behindProxy trusts the loopback proxy, so that tests choose each
// visitor's address with X-Forwarded-For.
func behindProxy(c *testConfig) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// loginFrom signs in on ts as a visitor at ip (through the trusted proxy)
// and returns the answer's status.
func loginFrom(t *testing.T, ts *testServer, ip, username, password string) int {
	t.Helper()
	c := ts.newClient(t)
	_, page := c.get(t, "/login", "X-Forwarded-For", ip)
	res, _ := c.postRaw(t, "/login", url.Values{"username": {username}, "password": {password}, "_csrf": {csrfIn(t, page)}}, "X-Forwarded-For", ip)
	return res.StatusCode
}

// apiLoginFrom signs in through the JSON API as a device at ip.
func apiLoginFrom(t *testing.T, ts *testServer, key, ip, username, password string) int {
	t.Helper()
	res, _ := ts.apiCall(t, "POST", "/api/v1/login", key, map[string]any{"username": username, "password": password}, "X-Forwarded-For", ip)
	return res.StatusCode
}

// auditCount counts the audit events of action naming username.
func auditCount(t *testing.T, ts *testServer, action, username string) int {
	t.Helper()
	events, _, err := ts.db.ListAudit(context.Background(), apikey.AuditQuery{Action: action, Key: username})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.TargetName == username {
			n++
		}
	}
	return n
}

// An attacker failing many times for a username, from many addresses and
// on both the console and the API, slows only themselves: the owner signs
// in from their own address all along. The flood is audited, the lock-out
// once.
func TestSignInFloodDoesNotLockTheOwnerOut(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, behindProxy)
	pw := ts.addUser(t, "tom", apikey.RoleSupport)
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	const home = "203.0.113.5"
	if code := loginFrom(t, ts, home, "tom", pw); code != http.StatusSeeOther {
		t.Fatalf("tom at home: %d", code)
	}
	for i := range 60 {
		ip := fmt.Sprintf("192.0.2.%d", i%30)
		code := loginFrom(t, ts, ip, "tom", "not-his-password")
		if i%2 == 1 {
			code = apiLoginFrom(t, ts, key, ip, "tom", "not-his-password")
		}
		if code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
		if i%10 == 9 {
			if code := loginFrom(t, ts, home, "tom", pw); code != http.StatusSeeOther {
				t.Fatalf("tom at home after %d guesses: %d", i+1, code)
			}
			if code := apiLoginFrom(t, ts, key, home, "tom", pw); code != http.StatusOK {
				t.Fatalf("tom's app at home after %d guesses: %d", i+1, code)
			}
		}
	}
	// Past the username's ceiling a fresh address gets nowhere, even with
	// the right password: the guesser cannot move on to new addresses.
	if code := loginFrom(t, ts, "198.51.100.9", "tom", pw); code != http.StatusUnauthorized {
		t.Fatalf("fresh address past the ceiling: %d", code)
	}
	limit := signin.ThrottlePolicy.UsernameCeiling
	if n := auditCount(t, ts, apikey.ActionUserSignInFail, "tom"); n != limit {
		t.Errorf("%d failures audited, want the %d that were tried", n, limit)
	}
	if n := auditCount(t, ts, apikey.ActionUserSignInLock, "tom"); n != 1 {
		t.Errorf("%d lock-outs audited, want 1", n)
	}
	if n := auditCount(t, ts, apikey.ActionUserSignedIn, "tom"); n != 13 {
		t.Errorf("%d sign-ins audited, want 13", n)
	}
	// The window passes: the fresh address may try again.
	ts.now = ts.now.Add(signin.ThrottlePolicy.Window)
	if code := loginFrom(t, ts, "198.51.100.9", "tom", pw); code != http.StatusSeeOther {
		t.Fatalf("fresh address after the window: %d", code)
	}
}

// Right passwords sent together all get in: a try counts against anyone
// only once it has failed.
func TestSimultaneousRightPasswordsAllSignIn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "sam", apikey.RoleSupport)
	tokens := make([]string, 16)
	clients := make([]*client, 16)
	for i := range clients {
		clients[i] = ts.newClient(t)
		_, page := clients[i].get(t, "/login")
		tokens[i] = csrfIn(t, page)
	}
	codes := make([]int, 16)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			res, _ := c.postRaw(t, "/login", url.Values{"username": {"sam"}, "password": {pw}, "_csrf": {tokens[i]}})
			codes[i] = res.StatusCode
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusSeeOther {
			t.Errorf("sign-in %d of 16: %d", i, code)
		}
	}
}

// One username from one address: three free tries, then a delay after
// each failure that doubles; even the right password waits it out (the
// refusal costs no hash); a success ends it.
func TestSignInDelayGrows(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, behindProxy)
	pw := ts.addUser(t, "pam", apikey.RoleSupport)
	const ip = "192.0.2.77"
	for i := range 3 {
		if code := loginFrom(t, ts, ip, "pam", "wrong-guess-000"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if code := loginFrom(t, ts, ip, "pam", pw); code != http.StatusUnauthorized {
			t.Fatalf("right password within the %s delay: %d", wait, code)
		}
		ts.now = ts.now.Add(wait)
		if code := loginFrom(t, ts, ip, "pam", "wrong-guess-000"); code != http.StatusUnauthorized {
			t.Fatalf("guess after %s: %d", wait, code)
		}
	}
	// Another address is not held back by this one.
	if code := loginFrom(t, ts, "192.0.2.78", "pam", pw); code != http.StatusSeeOther {
		t.Fatalf("pam from another address: %d", code)
	}
	ts.now = ts.now.Add(8 * time.Second)
	if code := loginFrom(t, ts, ip, "pam", pw); code != http.StatusSeeOther {
		t.Fatalf("right password after the delay: %d", code)
	}
	if code := loginFrom(t, ts, ip, "pam", "wrong-guess-000"); code != http.StatusUnauthorized {
		t.Fatal("guess after success")
	}
	if code := loginFrom(t, ts, ip, "pam", pw); code != http.StatusSeeOther {
		t.Fatalf("the delay outlived a success: %d", code)
	}
}

// Guesses sent all at once are weighed after those before them: past the
// free tries and their delay, even the right password from that address
// is refused.
func TestSignInThrottleHoldsUnderParallelGuesses(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "pia", apikey.RoleSupport)
	var wg sync.WaitGroup
	for range 20 {
		c := ts.newClient(t)
		_, page := c.get(t, "/login")
		token := csrfIn(t, page)
		wg.Go(func() {
			c.postRaw(t, "/login", url.Values{"username": {"pia"}, "password": {"wrong-guess-000"}, "_csrf": {token}})
		})
	}
	wg.Wait()
	if n := auditCount(t, ts, apikey.ActionUserSignInFail, "pia"); n > signin.ThrottlePolicy.FreeTries+cpuSlots() {
		t.Fatalf("%d of 20 parallel guesses were checked", n)
	}
	if res, _ := ts.newClient(t).tryLogin(t, "pia", pw); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("right password after 20 parallel guesses: %d", res.StatusCode)
	}
}

// Two instances on one database count failures together: the username's
// ceiling, reached over both, holds on both.
func TestSignInThrottleSharedByInstances(t *testing.T) {
	t.Parallel()
	a := newTestServer(t, behindProxy)
	b := a.sibling(t)
	both := []*testServer{a, b}
	pw := a.addUser(t, "tim", apikey.RoleSupport)
	for i := range signin.ThrottlePolicy.UsernameCeiling {
		if code := loginFrom(t, both[i%2], fmt.Sprintf("192.0.2.%d", i), "tim", "not-his-password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	for i, ts := range both {
		if code := loginFrom(t, ts, "198.51.100.1", "tim", pw); code != http.StatusUnauthorized {
			t.Fatalf("instance %d let a fresh address past the ceiling: %d", i, code)
		}
	}
}

// brokenThrottle stands for a database that does not answer.
type brokenThrottle struct{}

var errThrottleDown = errors.New("throttle store unreachable")

func (brokenThrottle) Check(context.Context, string, string, time.Time) (auth.Check, error) {
	return auth.Check{}, errThrottleDown
}

func (brokenThrottle) Failed(context.Context, string, string, time.Time, []*apikey.AuditEvent) error {
	return errThrottleDown
}

func (brokenThrottle) Succeeded(context.Context, string, string, time.Time, *apikey.AuditEvent) error {
	return errThrottleDown
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

// cpuSlots is how many passwords the sign-in service hashes at once.
func cpuSlots() int { return runtime.NumCPU() }
