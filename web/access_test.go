package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// TestRouteAccessByRole walks every console route as every role and as
// nobody: allowed, 403, or sent to sign in.
func TestRouteAccessByRole(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addUser(t, "target", apikey.RoleSupport)
	targetUser, _ := ts.db.UserByName(context.Background(), "target")
	target := targetUser.ID
	general, _ := ts.addKey(t, "general key")
	chrome, _ := ts.addKey(t, "chrome key", func(k *apikey.Key) { k.Type = apikey.TypeChrome })
	doomed, _ := ts.addKey(t, "doomed key")
	gk, ck := keyURL(general.ID), keyURL(chrome.ID)
	movable := &apikey.Account{ParentID: ts.root, Name: "Movable"}
	doomedAccount := &apikey.Account{ParentID: ts.root, Name: "Doomed"}
	for _, a := range []*apikey.Account{movable, doomedAccount} {
		if err := ts.db.CreateAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.db.RegisterEndpoint(context.Background(), general.ID, "dev-1", "Device 1", "", false, ts.now); err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{"global-admin": true, "global-viewer": true, "account-viewer": true, "support": true}
	admin := map[string]bool{"global-admin": true}
	clients := map[string]*client{"global-admin": ts.admin, "none": ts.newClient(t)}
	for _, r := range []apikey.Role{apikey.RoleGlobalViewer, apikey.RoleAccountViewer, apikey.RoleSupport} {
		name := "as-" + string(r)
		clients[string(r)] = ts.signIn(t, name, ts.addUser(t, name, r, ts.root))
	}
	const (
		ok        = "ok"
		forbidden = "403"
		toLogin   = "login"
	)
	routes := []struct {
		method, path string
		form         url.Values
		allowed      map[string]bool // roles allowed; the rest get 403
	}{
		{"GET", "/security/api-keys", nil, all},
		{"GET", "/security/api-keys/new", nil, admin},
		{"POST", "/security/api-keys", url.Values{"name": {""}}, admin},
		{"POST", "/security/api-keys/new", url.Values{"name": {""}}, admin},
		{"GET", gk, nil, all},
		{"GET", gk + "?tab=audit", nil, all},
		{"GET", gk + "/edit", nil, admin},
		{"POST", gk, url.Values{"version": {"x"}}, admin},
		{"POST", gk + "/edit", url.Values{"version": {"x"}}, admin},
		{"GET", gk + "/regenerate", nil, admin},
		{"POST", gk + "/regenerate", url.Values{}, admin},
		{"GET", ck + "/regenerate", nil, map[string]bool{"global-admin": true, "support": true}},
		{"POST", ck + "/regenerate", url.Values{}, map[string]bool{"global-admin": true, "support": true}},
		{"GET", gk + "/end-grace", nil, all},
		{"POST", gk + "/end-grace", url.Values{}, admin},
		{"GET", gk + "/endpoints/dev-1/trust", nil, all},
		{"POST", gk + "/endpoints/dev-1/trust", url.Values{}, admin},
		{"GET", gk + "/endpoints/dev-1/distrust", nil, all},
		{"POST", gk + "/endpoints/dev-1/distrust", url.Values{}, admin},
		{"POST", ck + "/end-grace", url.Values{}, map[string]bool{"global-admin": true, "support": true}},
		{"GET", gk + "/deactivate", nil, admin},
		{"POST", gk + "/deactivate", url.Values{}, admin},
		{"GET", gk + "/activate", nil, admin},
		{"POST", gk + "/activate", url.Values{}, admin},
		{"GET", gk + "/delete", nil, admin},
		{"GET", gk + "/move", nil, admin},
		{"POST", gk + "/move", url.Values{"account_id": {ts.root}}, admin},
		{"POST", keyURL(doomed.ID) + "/delete", url.Values{}, admin},
		{"GET", "/security/api-keys/predefined/deactivate", nil, admin},
		{"POST", "/security/api-keys/predefined/deactivate", url.Values{}, admin},
		{"GET", "/security/api-keys/test", nil, all},
		// Support gets past the door of bulk actions, to be refused key by key.
		{"GET", bulkURL("deactivate", ts.root, general.ID), nil, map[string]bool{"global-admin": true, "support": true}},
		{"POST", bulkURL("deactivate", ts.root, general.ID), url.Values{}, map[string]bool{"global-admin": true, "support": true}}, // unconfirmed: asked again
		{"GET", "/security/audit", nil, map[string]bool{"global-admin": true, "global-viewer": true}},
		{"GET", "/security/audit.csv", nil, map[string]bool{"global-admin": true, "global-viewer": true}},
		{"POST", "/security/api-keys/test", url.Values{"key": {"x"}}, all},
		{"GET", "/accounts", nil, all},
		{"GET", "/accounts/switch?section=audit", nil, all},
		{"GET", "/accounts/choices?role_accounts_q=root", nil, all},
		{"POST", "/accounts", url.Values{"name": {""}}, admin},
		{"GET", "/accounts/" + movable.ID + "/move", nil, admin},
		{"POST", "/accounts/" + movable.ID + "/move", url.Values{"parent_id": {ts.root}}, admin},
		{"GET", "/accounts/" + doomedAccount.ID + "/delete", nil, admin},
		{"POST", "/accounts/" + doomedAccount.ID + "/delete", url.Values{}, admin},
		{"GET", "/users", nil, map[string]bool{"global-admin": true}},
		{"GET", "/users/new", nil, map[string]bool{"global-admin": true}},
		{"POST", "/users", url.Values{"username": {""}}, map[string]bool{"global-admin": true}},
		{"POST", "/users/new", url.Values{"username": {""}}, map[string]bool{"global-admin": true}},
		{"GET", "/users/" + target, nil, map[string]bool{"global-admin": true}},
		{"GET", "/users/" + target + "/role", nil, map[string]bool{"global-admin": true}},
		{"GET", "/users/" + target + "/delete", nil, map[string]bool{"global-admin": true}},
		{"POST", "/users/" + target + "/delete", url.Values{}, map[string]bool{"global-admin": true}}, // unconfirmed: asked again
		{"POST", "/users/" + target + "/role", url.Values{"role": {"support"}}, map[string]bool{"global-admin": true}},
		{"GET", "/users/" + target + "/deactivate", nil, map[string]bool{"global-admin": true}},
		{"POST", "/users/" + target + "/deactivate", url.Values{}, map[string]bool{"global-admin": true}},
		{"GET", "/users/" + target + "/activate", nil, map[string]bool{"global-admin": true}},
		{"POST", "/users/" + target + "/activate", url.Values{}, map[string]bool{"global-admin": true}},
		{"GET", "/users/" + target + "/password", nil, map[string]bool{"global-admin": true}},
		{"POST", "/users/" + target + "/password", url.Values{"password": {""}}, map[string]bool{"global-admin": true}},
	}
	// Every console route is in this table: a route added without an entry fails here.
	covered := map[string]bool{}
	for _, rt := range routes {
		covered[rt.method+" "+routePattern(rt.path)] = true
	}
	for _, r := range ts.srv.echo.Routes() {
		if strings.HasPrefix(r.Path, "/security") || strings.HasPrefix(r.Path, "/users") || strings.HasPrefix(r.Path, "/accounts") {
			if r.Method != http.MethodDelete && !covered[r.Method+" "+r.Path] {
				t.Errorf("route %s %s is not in the access table", r.Method, r.Path)
			}
		}
	}
	order := []string{"none", "global-viewer", "account-viewer", "support", "global-admin"} // the admin last: it deletes
	for _, rt := range routes {
		for _, role := range order {
			c := clients[role]
			var res *http.Response
			if rt.method == "GET" {
				res, _ = c.get(t, rt.path)
			} else if role == "none" {
				res, _ = c.postRaw(t, rt.path, rt.form)
			} else {
				res, _ = c.post(t, rt.path, rt.form)
			}
			got := ok
			switch {
			case res.StatusCode == http.StatusForbidden:
				got = forbidden
			case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login"):
				got = toLogin
			case res.StatusCode >= 500 || res.StatusCode == http.StatusNotFound:
				t.Errorf("%s %s as %s: %d", rt.method, rt.path, role, res.StatusCode)
			}
			want := forbidden
			switch {
			case role == "none":
				want = toLogin
			case rt.allowed[role]:
				want = ok
			}
			if got != want {
				t.Errorf("%s %s as %s: got %s (%d), want %s", rt.method, rt.path, role, got, res.StatusCode, want)
			}
		}
	}
}

func TestNavigationAndControlsFollowRole(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	viewer := ts.signIn(t, "vic", ts.addUser(t, "vic", apikey.RoleGlobalViewer))
	_, body := viewer.get(t, "/security/api-keys")
	if strings.Contains(body, `href="/users"`) {
		t.Error("viewer sees the Users entry")
	}
	_, body = ts.get(t, "/security/api-keys")
	if !strings.Contains(body, `href="/users"`) {
		t.Error("admin lacks the Users entry")
	}
}

func TestAccountScopeOfAccountViewer(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	other := &apikey.Account{ParentID: ts.root, Name: "Customer"}
	if err := ts.db.CreateAccount(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	c := ts.signIn(t, "ava", ts.addUser(t, "ava", apikey.RoleAccountViewer, other.ID))
	if res, _ := c.get(t, "/security/api-keys?account="+other.ID); res.StatusCode != http.StatusOK {
		t.Errorf("own scope: %d", res.StatusCode)
	}
	if res, _ := c.get(t, "/security/api-keys?account="+ts.root); res.StatusCode != http.StatusForbidden {
		t.Errorf("root account outside scope: %d", res.StatusCode)
	}
	// Without ?account= the viewer lands in its scope, not on a 403.
	res, body := c.get(t, "/security/api-keys")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Customer") {
		t.Errorf("landing page: %d", res.StatusCode)
	}
	// Searching keeps the account.
	if v, _ := parseHTML(t, body).Find(`[data-testid="key-filters"] input[name="account"]`).Attr("value"); v != "" {
		t.Errorf("home view carries account %q", v)
	}
	_, body = c.get(t, "/security/api-keys?account="+other.ID)
	if v, _ := parseHTML(t, body).Find(`[data-testid="key-filters"] input[name="account"]`).Attr("value"); v != other.ID {
		t.Errorf("search form loses the account: %q", v)
	}
	if res, _ := c.get(t, "/security/api-keys?account=acc_unknown"); res.StatusCode != http.StatusForbidden {
		t.Errorf("unknown account not hidden behind 403: %d", res.StatusCode)
	}
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.newClient(t)
	res, _ := c.get(t, "/security/api-keys?type=chrome")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/login?next=%2Fsecurity%2Fapi-keys%3Ftype%3Dchrome" {
		t.Fatalf("not sent to sign in: %d %q", res.StatusCode, loc)
	}
	_, page := c.get(t, "/login?next=%2Fsecurity%2Fapi-keys%3Ftype%3Dchrome")
	form := url.Values{"username": {"ADMIN"}, "password": {"pw-admin-long-enough"}, "_csrf": {csrfIn(t, page)}, "next": {"/security/api-keys?type=chrome"}}
	res, _ = c.postRaw(t, "/login", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/security/api-keys?type=chrome" {
		t.Fatalf("sign-in: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := c.get(t, "/security/api-keys")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="current-user"`) {
		t.Fatalf("after sign-in: %d", res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("authenticated page Cache-Control %q", cc)
	}
	u, _ := ts.db.UserByName(context.Background(), "admin")
	if u.LastSignInAt == nil {
		t.Error("last sign-in not recorded")
	}
	ts.newClient(t).tryLogin(t, "admin", "a-wrong-password-typed")
	if logs := ts.logs.String(); strings.Contains(logs, "pw-admin-long-enough") || strings.Contains(logs, "a-wrong-password-typed") {
		t.Fatal("a password reached the log")
	}

	// Sign-out ends the session on the server: a copy of the cookie is worthless.
	stolen := c.http.Jar.Cookies(res.Request.URL)
	res, _ = c.post(t, "/logout", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	thief := ts.newClient(t)
	thief.http.Jar.SetCookies(res.Request.URL, stolen)
	if res, _ := thief.get(t, "/security/api-keys"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("old cookie still signed in: %d", res.StatusCode)
	}
}

func TestNextCannotLeaveTheSite(t *testing.T) {
	t.Parallel()
	for _, next := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "",
		"/\t/evil.example/x", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", "/\x7f/evil.example", "///evil.example"} {
		if got := safeNext(next); got != "/security/api-keys" {
			t.Errorf("next %q kept as %q", next, got)
		}
	}
	for _, ok := range []string{"/users?x=1", "/security/api-keys?q=a%2Fb&type=chrome", "/%09/ok-encoded"} {
		if got := safeNext(ok); got != ok {
			t.Errorf("local next %q dropped: %q", ok, got)
		}
	}
}

func TestWrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	a, bodyA := ts.newClient(t).tryLogin(t, "admin", "wrong-password-123")
	b, bodyB := ts.newClient(t).tryLogin(t, "nobody", "wrong-password-123")
	if a.StatusCode != http.StatusUnauthorized || b.StatusCode != http.StatusUnauthorized {
		t.Fatalf("statuses %d %d", a.StatusCode, b.StatusCode)
	}
	msgA := parseHTML(t, bodyA).Find(`[data-testid="login-error"]`).Text()
	msgB := parseHTML(t, bodyB).Find(`[data-testid="login-error"]`).Text()
	if strings.TrimSpace(msgA) != signInFailed || msgA != msgB {
		t.Fatalf("messages differ: %q / %q", msgA, msgB)
	}
	// The username stays in the form; the password never comes back.
	if v, _ := parseHTML(t, bodyA).Find(`#username`).Attr("value"); v != "admin" || strings.Contains(bodyA, "wrong-password-123") {
		t.Error("form did not keep the username, or echoed the password")
	}
}

func TestSessionFixation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.newClient(t)
	_, page := c.get(t, "/login")
	before := csrfIn(t, page)
	u, _ := url.Parse(ts.URL)
	cookieBefore := c.http.Jar.Cookies(u)
	if res, _ := c.postRaw(t, "/login", url.Values{"username": {"admin"}, "password": {"pw-admin-long-enough"}, "_csrf": {before}}); res.StatusCode != http.StatusSeeOther {
		t.Fatal("sign-in failed")
	}
	cookieAfter := c.http.Jar.Cookies(u)
	if len(cookieBefore) != 1 || len(cookieAfter) != 1 || cookieBefore[0].Value == cookieAfter[0].Value {
		t.Fatal("session cookie did not change at sign-in")
	}
	_, page = c.get(t, "/security/api-keys")
	if unmaskCSRF(t, csrfIn(t, page)) == unmaskCSRF(t, before) {
		t.Error("CSRF token survived sign-in")
	}
	// Signing in again ends the session the old cookie carried: a copy of a
	// signed-in cookie, planted or stolen before, is worthless afterwards.
	signedIn := c.http.Jar.Cookies(u)
	_, page = c.get(t, "/security/api-keys") // /login itself sends a signed-in visitor on
	if res, _ := c.postRaw(t, "/login", url.Values{"username": {"admin"}, "password": {"pw-admin-long-enough"}, "_csrf": {csrfIn(t, page)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatal("second sign-in failed")
	}
	planted := ts.newClient(t)
	planted.http.Jar.SetCookies(u, signedIn)
	if res, _ := planted.get(t, "/security/api-keys"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("superseded session cookie still signed in: %d", res.StatusCode)
	}
	if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusOK {
		t.Errorf("current session lost: %d", res.StatusCode)
	}
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.signIn(t, "ida", ts.addUser(t, "ida", apikey.RoleGlobalViewer))
	ts.now = ts.now.Add(29 * time.Minute)
	if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusOK {
		t.Fatalf("within idle timeout: %d", res.StatusCode)
	}
	ts.now = ts.now.Add(30 * time.Minute)
	if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 30 idle minutes: %d", res.StatusCode)
	}

	// Active all along, still signed out after 12 hours.
	c = ts.signIn(t, "ida", "pw-ida-long-enough")
	for i := 0; i < 35; i++ { // 35 × 20 min = 11h40
		ts.now = ts.now.Add(20 * time.Minute)
		if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusOK {
			t.Fatalf("active session ended after %d steps: %d", i, res.StatusCode)
		}
	}
	ts.now = ts.now.Add(20 * time.Minute)
	if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("session outlived 12 hours: %d", res.StatusCode)
	}
}

func TestHtmxRequestWithoutSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, _ := ts.newClient(t).get(t, "/security/api-keys", "HX-Request", "true", "HX-Target", "key-list")
	if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("HX-Redirect"), "/login?next=") {
		t.Fatalf("htmx without session: %d %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	form := url.Values{"username": {"newbie"}, "password": {"a-good-long-password"}, "role": {"support"}}
	if res, body := ts.admin.postRaw(t, "/users", form); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "expired or did not come from this console") {
		t.Fatalf("no token: %d", res.StatusCode)
	}
	form.Set("_csrf", "forged-token-forged-token-forged0")
	if res, _ := ts.admin.postRaw(t, "/users", form); res.StatusCode != http.StatusForbidden {
		t.Fatalf("wrong token: %d", res.StatusCode)
	}
	// Another visitor's valid token is no good here either.
	_, page := ts.newClient(t).get(t, "/login")
	form.Set("_csrf", csrfIn(t, page))
	if res, _ := ts.admin.postRaw(t, "/users", form); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another visit's token: %d", res.StatusCode)
	}
	if _, err := ts.db.UserByName(context.Background(), "newbie"); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatal("user created without a valid token")
	}
	// The header htmx sends works.
	form.Del("_csrf")
	_, page = ts.admin.get(t, "/users")
	if res, _ := ts.admin.postRaw(t, "/users", form, "X-CSRF-Token", csrfIn(t, page)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("header token: %d", res.StatusCode)
	}
	// Sign-in itself needs the token (login CSRF).
	if res, _ := ts.newClient(t).postRaw(t, "/login", url.Values{"username": {"admin"}, "password": {"pw-admin-long-enough"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without token: %d", res.StatusCode)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		ts := newTestServer(t, func(c *testConfig) { c.Sessions.SecureCookies = secure })
		c := ts.newClient(t)
		before, _ := c.get(t, "/login")
		signIn, _ := c.tryLogin(t, "admin", "pw-admin-long-enough")
		for name, res := range map[string]*http.Response{"before sign-in": before, "at sign-in": signIn} {
			set := res.Header.Get("Set-Cookie")
			if set == "" || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") ||
				strings.Contains(set, "Secure") != secure || !strings.Contains(set, "Path=/") {
				t.Errorf("secure=%v, %s: Set-Cookie %q", secure, name, set)
			}
		}
	}
}

// routePattern turns a concrete path of the access table back into its route.
func routePattern(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "key_") || strings.HasPrefix(p, "usr_") || strings.HasPrefix(p, "acc_"):
			parts[i] = ":id"
		case i > 0 && parts[i-1] == "endpoints":
			parts[i] = ":endpoint"
		}
	}
	return strings.Join(parts, "/")
}
