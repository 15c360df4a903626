package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// changePassword posts the change-password form with the token of the
// password page, as the browser showing it would.
func (c *client) changePassword(t *testing.T, current, password, confirm string) (*http.Response, string) {
	t.Helper()
	_, page := c.get(t, passwordPath)
	return c.postRaw(t, passwordPath, url.Values{"current_password": {current}, "password": {password},
		"password_confirm": {confirm}, "_csrf": {csrfIn(t, page)}})
}

// signedInAPI signs username in through the API and returns its access
// and refresh tokens.
func signedInAPI(t *testing.T, ts *testServer, key, username, password string) (string, string) {
	t.Helper()
	code, tok := login(t, ts, key, map[string]any{"username": username, "password": password})
	if code != http.StatusOK {
		t.Fatalf("API sign-in of %s: %d %v", username, code, tok)
	}
	return tok["access_token"].(string), tok["refresh_token"].(string)
}

// tokensEnded checks that an access token and a refresh token no longer work.
func tokensEnded(t *testing.T, ts *testServer, key, access, refresh string) {
	t.Helper()
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", key, nil, "Authorization", "Bearer "+access); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("access token after the password changed: %d", res.StatusCode)
	}
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": refresh}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh token after the password changed: %d", res.StatusCode)
	}
}

// signedOut tells whether the client's session has ended.
func signedOut(t *testing.T, c *client) bool {
	t.Helper()
	res, _ := c.get(t, "/security/api-keys")
	return res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login")
}

func TestChangeOwnPassword(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	old := ts.addUser(t, "nia", apikey.RoleSupport)
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	here, elsewhere := ts.signIn(t, "nia", old), ts.signIn(t, "nia", old)
	access, refresh := signedInAPI(t, ts, key, "nia", old)

	// The page is linked from the header of every page.
	_, page := here.get(t, "/security/api-keys")
	if href, _ := parseHTML(t, page).Find(`[data-testid="change-password"]`).Attr("href"); href != passwordPath {
		t.Fatalf("header link to the password page: %q", href)
	}
	const fresh = "a-new-password-for-nia"
	for _, c := range []struct{ current, password, confirm, field, says string }{
		{"", fresh, fresh, "current_password", "Enter your current password"},
		{"not-the-password", fresh, fresh, "current_password", "current password is wrong"},
		{old, "short", "short", "password", "at least 12 characters"},
		{old, fresh, "a-new-password-for-nix", "password_confirm", "differ"},
		{old, old, old, "password", "other than the current one"},
	} {
		res, body := here.changePassword(t, c.current, c.password, c.confirm)
		msg := parseHTML(t, body).Find(`[data-testid="error-` + c.field + `"]`).Text()
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, c.says) {
			t.Errorf("%+v: %d, %s says %q", c, res.StatusCode, c.field, msg)
		}
		if strings.Contains(body, `value="`+c.password+`"`) && c.password != "" {
			t.Errorf("%+v: a password came back in the form", c)
		}
	}
	// Without the page's token the change is refused.
	if res, _ := here.postRaw(t, passwordPath, url.Values{"current_password": {old}, "password": {fresh}, "password_confirm": {fresh}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("change without the CSRF token: %d", res.StatusCode)
	}
	res, _ := here.changePassword(t, old, fresh, fresh)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != passwordPath {
		t.Fatalf("change: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, page := here.get(t, passwordPath); !strings.Contains(parseHTML(t, page).Find(`[role="status"][data-testid="flash"]`).Text(), "Your password was changed") {
		t.Error("the page after the change does not say so")
	}
	// This session stays; the other one, and every API token, ends.
	if signedOut(t, here) {
		t.Fatal("the session that changed the password ended")
	}
	if !signedOut(t, elsewhere) {
		t.Error("another session outlived the password change")
	}
	tokensEnded(t, ts, key, access, refresh)
	if res, _ := ts.newClient(t).tryLogin(t, "nia", old); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after the change: %d", res.StatusCode)
	}
	ts.signIn(t, "nia", fresh)
	signedInAPI(t, ts, key, "nia", fresh)

	if n := auditCount(t, ts, apikey.ActionPasswordChanged, "nia"); n != 1 {
		t.Errorf("%d password changes audited, want 1", n)
	}
	if ts.responsesContaining(fresh) > 0 || strings.Contains(ts.logs.String(), fresh) {
		t.Error("the new password reached a response or the log")
	}
}

func TestAdminResetsPassword(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	old := ts.addUser(t, "ola", apikey.RoleSupport)
	ola, _ := ts.db.UserByName(context.Background(), "ola")
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	session := ts.signIn(t, "ola", old)
	access, refresh := signedInAPI(t, ts, key, "ola", old)

	_, edit := ts.get(t, "/users/"+ola.ID)
	if parseHTML(t, edit).Find(`a[href="/users/`+ola.ID+`/password"]`).Length() != 1 {
		t.Fatal("no reset link on the user's edit page")
	}
	reset := "/users/" + ola.ID + "/password"
	res, body := ts.admin.post(t, reset, url.Values{"password": {"short"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, body).Find(`[data-testid="error-password"]`).Text(), "at least 12") {
		t.Fatalf("weak reset password: %d", res.StatusCode)
	}
	admin, _ := ts.db.UserByName(context.Background(), "admin")
	if res, _ := ts.admin.post(t, "/users/"+admin.ID+"/password", url.Values{"password": {"admins-own-new-password"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an admin resetting their own password: %d", res.StatusCode)
	}
	const temporary = "temporary-password-for-ola"
	if res, _ := ts.admin.post(t, reset, url.Values{"password": {temporary}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if !signedOut(t, session) {
		t.Error("ola's session outlived the reset")
	}
	tokensEnded(t, ts, key, access, refresh)

	// The temporary password leads to the password page, and nowhere else.
	c := ts.newClient(t)
	res, _ = c.tryLogin(t, "ola", temporary)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != passwordPath {
		t.Fatalf("sign-in with the temporary password: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	for _, path := range []string{"/security/api-keys", "/security/api-keys/" + ola.ID, "/accounts"} {
		if res, _ := c.get(t, path); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != passwordPath {
			t.Errorf("GET %s before the change: %d %s", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res, _ := c.get(t, "/security/api-keys", "HX-Request", "true"); res.Header.Get("HX-Redirect") != passwordPath {
		t.Errorf("htmx before the change: %d", res.StatusCode)
	}
	_, page := c.get(t, passwordPath)
	if parseHTML(t, page).Find(`[data-testid="password-forced"]`).Length() != 1 {
		t.Error("the password page does not say why")
	}
	if res, _ := c.postRaw(t, "/security/api-keys/test", url.Values{"key": {"x"}, "_csrf": {csrfIn(t, page)}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("POST before the change: %d", res.StatusCode)
	}
	code, out := login(t, ts, key, map[string]any{"username": "ola", "password": temporary})
	if code != http.StatusForbidden || errCode(out) != "PASSWORD_CHANGE_REQUIRED" {
		t.Fatalf("API sign-in before the change: %d %v", code, out)
	}
	// A wrong password still gets the usual refusal: the code tells nothing
	// to whoever does not know the password.
	if code, out := login(t, ts, key, map[string]any{"username": "ola", "password": "not-the-temporary"}); code != http.StatusUnauthorized || errCode(out) != "UNAUTHORIZED" {
		t.Fatalf("API sign-in with a wrong password: %d %v", code, out)
	}

	const own = "olas-own-new-password"
	if res, _ := c.changePassword(t, temporary, own, own); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change after reset: %d", res.StatusCode)
	}
	if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusOK {
		t.Fatalf("console after the change: %d", res.StatusCode)
	}
	signedInAPI(t, ts, key, "ola", own)

	events, _, err := ts.db.ListAudit(context.Background(), apikey.AuditQuery{Action: apikey.ActionPasswordReset})
	if err != nil || len(events) != 1 || events[0].TargetID != ola.ID || events[0].ActorName != "admin" {
		t.Fatalf("reset audited as %+v %v", events, err)
	}
	if ts.responsesContaining(temporary) > 0 || strings.Contains(ts.logs.String(), temporary) {
		t.Error("the temporary password reached a response or the log")
	}
}
