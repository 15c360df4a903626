package web

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"keyconsole/internal/apikey"
)

// appKey is a key that needs a signed-in user and trusts no endpoint by itself.
func appKey(t *testing.T, ts *testServer, mutate ...func(*apikey.Key)) (*apikey.Key, string) {
	t.Helper()
	return ts.addKey(t, "mobile app", append([]func(*apikey.Key){func(k *apikey.Key) {
		k.AllowUnauthenticated = false
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
	}}, mutate...)...)
}

func login(t *testing.T, ts *testServer, key string, body map[string]any) (int, map[string]any) {
	t.Helper()
	res, out := ts.apiCall(t, "POST", "/api/v1/login", key, body)
	return res.StatusCode, out
}

func TestUserTokens(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "mia", apikey.RoleSupport)
	k, key := appKey(t, ts)

	// Without a user token the key is refused, whatever its roles.
	if res, body := ts.apiCall(t, "GET", "/api/v1/keys", key, nil); res.StatusCode != 401 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "signed-in user") {
		t.Fatalf("no token: %d %v", res.StatusCode, body)
	}
	// A new endpoint is not trusted: refused, but recorded for an admin.
	creds := map[string]any{"username": "mia", "password": pw, "endpoint_id": "phone-1", "endpoint_name": "Mia's phone"}
	code, body := login(t, ts, key, creds)
	if code != 403 || errCode(body) != "FORBIDDEN" || !strings.HasPrefix(fmt.Sprint(body["endpoint_secret"]), "kce_") {
		t.Fatalf("untrusted endpoint: %d %v", code, body)
	}
	creds["endpoint_secret"] = body["endpoint_secret"] // the device's credential, given once
	_, page := ts.get(t, keyURL(k.ID)+"?tab=endpoints")
	row := parseHTML(t, page).Find(`[data-endpoint-id="phone-1"]`)
	if !strings.Contains(row.Text(), "Mia's phone") || !strings.Contains(row.Text(), "Not trusted") {
		t.Fatalf("endpoint row %q", row.Text())
	}
	if res, _ := ts.admin.post(t, keyURL(k.ID)+"/endpoints/phone-1/trust", url.Values{}); res.StatusCode != 303 {
		t.Fatalf("trust: %d", res.StatusCode)
	}
	// Wrong password: the same generic refusal as the console.
	if code, body := login(t, ts, key, map[string]any{"username": "mia", "password": "nope-nope-nope", "endpoint_id": "phone-1"}); code != 401 || errCode(body) != "UNAUTHORIZED" {
		t.Fatalf("wrong password: %d %v", code, body)
	}
	code, tok := login(t, ts, key, creds)
	if code != 200 || tok["token_type"] != "Bearer" || tok["expires_in"] != float64(900) {
		t.Fatalf("login: %d %v", code, tok)
	}
	access, refresh := tok["access_token"].(string), tok["refresh_token"].(string)
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", key, nil, "Authorization", "Bearer "+access); res.StatusCode != 200 {
		t.Fatalf("with the token: %d", res.StatusCode)
	}
	// The key in Authorization leaves no room for the token.
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", "", nil, "Authorization", "Bearer "+key); res.StatusCode != 401 {
		t.Fatalf("key as bearer: %d", res.StatusCode)
	}
	// A token is for the key it was issued with.
	_, other := appKey(t, ts, func(k *apikey.Key) { k.Name = "other app" })
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", other, nil, "Authorization", "Bearer "+access); res.StatusCode != 401 {
		t.Fatalf("token with another key: %d", res.StatusCode)
	}

	// Refresh works once and rotates.
	res, body := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": refresh})
	if res.StatusCode != 200 || body["refresh_token"] == refresh {
		t.Fatalf("refresh: %d %v", res.StatusCode, body)
	}
	refresh2 := body["refresh_token"].(string)
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": refresh}); res.StatusCode != 401 {
		t.Fatalf("refresh token reused: %d", res.StatusCode)
	}
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", other, map[string]any{"refresh_token": refresh2}); res.StatusCode != 401 {
		t.Fatalf("refresh with another key: %d", res.StatusCode)
	}
	// The access token runs out after 15 minutes.
	ts.now = ts.now.Add(16 * time.Minute)
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", key, nil, "Authorization", "Bearer "+access); res.StatusCode != 401 {
		t.Fatalf("expired access token: %d", res.StatusCode)
	}
	// Distrusting the endpoint ends its refresh tokens.
	ts.admin.post(t, keyURL(k.ID)+"/endpoints/phone-1/distrust", url.Values{})
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": refresh2}); res.StatusCode != 401 {
		t.Fatalf("refresh after distrust: %d", res.StatusCode)
	}
	ts.admin.post(t, keyURL(k.ID)+"/endpoints/phone-1/trust", url.Values{})

	// Logout ends the refresh token; deactivating the user ends the access token at once.
	_, tok = login(t, ts, key, creds)
	if res, _ := ts.apiCall(t, "POST", "/api/v1/logout", key, map[string]any{"refresh_token": tok["refresh_token"]}); res.StatusCode != 204 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": tok["refresh_token"]}); res.StatusCode != 401 {
		t.Fatalf("refresh after logout: %d", res.StatusCode)
	}
	mia, _ := ts.db.UserByName(context.Background(), "mia")
	ts.admin.post(t, "/users/"+mia.ID+"/deactivate", yes())
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", key, nil, "Authorization", "Bearer "+tok["access_token"].(string)); res.StatusCode != 401 {
		t.Fatalf("inactive user's token: %d", res.StatusCode)
	}
	if strings.Contains(ts.logs.String(), pw) {
		t.Fatal("password in the log")
	}
}

func TestEndpointTrustFlags(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "ned", apikey.RoleGlobalViewer)
	_, auto := appKey(t, ts, func(k *apikey.Key) { k.AutoEndpointTrust = true })
	code, body := login(t, ts, auto, map[string]any{"username": "ned", "password": pw, "endpoint_id": "kiosk-9"})
	if code != 200 {
		t.Fatalf("automatic trust: %d %v", code, body)
	}
	kioskSecret := body["endpoint_secret"].(string)
	_, open := appKey(t, ts, func(k *apikey.Key) { k.Name = "open"; k.AllowUntrustedEndpoints = true })
	if code, body := login(t, ts, open, map[string]any{"username": "ned", "password": pw}); code != 200 {
		t.Fatalf("untrusted allowed, no endpoint: %d %v", code, body)
	}
	_, strict := appKey(t, ts, func(k *apikey.Key) { k.Name = "strict" })
	if code, _ := login(t, ts, strict, map[string]any{"username": "ned", "password": pw}); code != 403 {
		t.Fatalf("no endpoint on a strict key: %d", code)
	}
	if code, body := login(t, ts, strict, map[string]any{"username": "ned", "password": pw, "endpoint_id": "bad id!"}); code != 422 || errFields(body)["endpoint_id"] == nil {
		t.Fatalf("bad endpoint id: %d %v", code, body)
	}
	// A form post works as well as JSON.
	form := url.Values{"username": {"ned"}, "password": {pw}, "endpoint_id": {"kiosk-9"}, "endpoint_secret": {kioskSecret}}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Api-Key", auto)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("form login: %v %v", err, res)
	}
	res.Body.Close()
}

// A JWT access key works like any key and can be checked offline with the
// published keys.
func TestJWTAccessKeysAndJWKS(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "admin script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	res, body := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{
		"name": "jwt service", "type": "general", "access_type": "jwt", "allow_unauthenticated": true,
		"roles": []string{"global-viewer"}, "expires_in": "30d",
	})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %v", res.StatusCode, body)
	}
	secret := body["secret"].(string)
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", secret, nil); res.StatusCode != 200 {
		t.Fatalf("JWT key on the API: %d", res.StatusCode)
	}
	res, set := ts.apiCall(t, "GET", "/.well-known/jwks.json", "", nil)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("jwks: %d", res.StatusCode)
	}
	jwk := set["keys"].([]any)[0].(map[string]any)
	x, _ := base64.RawURLEncoding.DecodeString(jwk["x"].(string))
	parsed, err := jwt.Parse(secret, func(t *jwt.Token) (any, error) { return ed25519.PublicKey(x), nil }, jwt.WithValidMethods([]string{"EdDSA"}))
	if err != nil || parsed.Header["kid"] != jwk["kid"] {
		t.Fatalf("offline check with the JWKS: %v", err)
	}
	claims := parsed.Claims.(jwt.MapClaims)
	if claims["sub"] != body["id"] || claims["exp"] == nil {
		t.Errorf("claims %v", claims)
	}
	// A forged signature is refused, without a look-up, like a bad checksum.
	forged := secret[:len(secret)-4] + "AAAA"
	if res, _ := ts.apiCall(t, "GET", "/api/v1/keys", forged, nil); res.StatusCode != 401 {
		t.Fatalf("forged JWT key: %d", res.StatusCode)
	}
}

// TestRefreshStopsWithUntrustedEndpoints: once a key stops allowing
// untrusted endpoints, tokens from sign-ins that named no endpoint stop
// renewing, as new such sign-ins are refused.
func TestRefreshStopsWithUntrustedEndpoints(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "mia", apikey.RoleSupport)
	k, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	code, tok := login(t, ts, key, map[string]any{"username": "mia", "password": pw})
	if code != 200 {
		t.Fatalf("login %d %v", code, tok)
	}
	ts.admin.post(t, keyURL(k.ID), func() url.Values {
		f := createForm("")
		f.Del("name")
		f.Set("version", "1")
		f.Set("expires_in", "keep")
		f.Set("allow_unauthenticated", "false")
		f.Del("allow_untrusted_endpoints")
		f.Del("allowed_ips")
		return f
	}())
	if got := keyByName(t, ts, "mobile app"); got.AllowUntrustedEndpoints {
		t.Fatal("setting not switched off")
	}
	if code, _ := login(t, ts, key, map[string]any{"username": "mia", "password": pw}); code != 403 {
		t.Fatalf("new sign-in without endpoint: %d", code)
	}
	if res, out := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": tok["refresh_token"]}); res.StatusCode != 401 && res.StatusCode != 403 {
		t.Fatalf("refresh after the key stopped allowing untrusted endpoints: %d", res.StatusCode)
	} else {
		t.Logf("%v", out)
	}
}

// TestPasswordsNotTakenFromTheURL: sign-in reads the password from the
// body only, never from a query string that proxies and histories keep.
func TestPasswordsNotTakenFromTheURL(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "mia", apikey.RoleSupport)
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/login?username=mia&password="+url.QueryEscape(pw), strings.NewReader(""))
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == 200 {
		t.Error("API sign-in took the password from the URL")
	}
	c := ts.newClient(t)
	_, page := c.get(t, "/login")
	res2, _ := c.postRaw(t, "/login?username=mia&password="+url.QueryEscape(pw), url.Values{"_csrf": {csrfIn(t, page)}})
	if res2.StatusCode == http.StatusSeeOther {
		t.Error("console sign-in took the password from the URL")
	}
}

// TestUserTokenNeedsTheUsersRoleToo: a key used for a signed-in user may do
// only what both allow: a Global Viewer signed in through an admin key
// reads but cannot change, an Account Viewer sees only its accounts.
func TestUserTokenNeedsTheUsersRoleToo(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	_, key := appKey(t, ts, func(k *apikey.Key) {
		k.AllowUntrustedEndpoints = true
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}
	})
	call := func(username, password, method, path string, body any) int {
		t.Helper()
		code, tok := login(t, ts, key, map[string]any{"username": username, "password": password})
		if code != 200 {
			t.Fatalf("sign-in %s: %d", username, code)
		}
		res, _ := ts.apiCall(t, method, path, key, body, "Authorization", "Bearer "+tok["access_token"].(string))
		return res.StatusCode
	}
	newKey := func(name string) map[string]any { return map[string]any{"name": name, "type": "general"} }
	viewerPW := ts.addUser(t, "gina", apikey.RoleGlobalViewer)
	adminPW := ts.addUser(t, "ada", apikey.RoleGlobalAdmin)
	scopedPW := ts.addUser(t, "cora", apikey.RoleAccountViewer, tr.customer)
	for _, c := range []struct {
		user, pw, method, path string
		body                   any
		want                   int
	}{
		{"gina", viewerPW, "GET", "/api/v1/keys", nil, 200},
		{"gina", viewerPW, "POST", "/api/v1/keys", newKey("by gina"), 403},
		{"gina", viewerPW, "POST", "/api/v1/accounts", map[string]any{"name": "by gina", "parent_id": tr.root}, 403},
		{"ada", adminPW, "POST", "/api/v1/keys", newKey("by ada"), 201},
		{"cora", scopedPW, "GET", "/api/v1/keys", nil, 403},
		{"cora", scopedPW, "GET", "/api/v1/keys?account_id=" + tr.customer, nil, 200},
	} {
		if got := call(c.user, c.pw, c.method, c.path, c.body); got != c.want {
			t.Errorf("%s %s %s: %d, want %d", c.user, c.method, c.path, got, c.want)
		}
	}
}

// TestSignInFieldsReadStrictly: sign-in, refresh and sign-out read a form as
// strictly as JSON (an unknown field or one given twice is named), a JSON
// field of the wrong type is named rather than taken as missing, and a body
// in neither form is refused as such.
func TestSignInFieldsReadStrictly(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "noor", apikey.RoleSupport)
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AutoEndpointTrust = true })
	form := func(path, body string) (*http.Response, map[string]any) {
		return ts.apiCall(t, "POST", path, key, rawBody(body), "Content-Type", "application/x-www-form-urlencoded")
	}
	good := "username=noor&password=" + url.QueryEscape(pw) + "&endpoint_id=dev-1&endpoint_name=Desk"
	cases := []struct {
		name   string
		res    func() (*http.Response, map[string]any)
		status int
		field  string
		says   string
	}{
		{"a form field the sign-in does not have", func() (*http.Response, map[string]any) { return form("/api/v1/login", good+"&remember=1") }, 422, "remember", "Unknown field."},
		{"a form field given twice", func() (*http.Response, map[string]any) { return form("/api/v1/login", good+"&username=other") }, 422, "username", "This field is given twice."},
		{"a refresh form with another field", func() (*http.Response, map[string]any) {
			return form("/api/v1/token/refresh", "refresh_token=x&token=y")
		}, 422, "token", "Unknown field."},
		{"a JSON field of the wrong type", func() (*http.Response, map[string]any) {
			return ts.apiCall(t, "POST", "/api/v1/login", key, map[string]any{"username": 7, "password": pw})
		}, 422, "username", "This field has the wrong type."},
		{"JSON sent as a form", func() (*http.Response, map[string]any) {
			return form("/api/v1/login", `{"username":"noor","password":"`+pw+`"}`)
		}, 415, "body", "This operation takes a JSON object: send it with Content-Type: application/json."},
		{"a form field named with a secret", func() (*http.Response, map[string]any) {
			return form("/api/v1/login", good+"&"+url.QueryEscape(pw)+"-and-more-than-31-characters")
		}, 422, "body", "Unknown field."},
		{"a JSON field named with a secret", func() (*http.Response, map[string]any) {
			return ts.apiCall(t, "POST", "/api/v1/login", key, map[string]any{"username": "noor", pw + "-and-more-than-31-characters": "x"})
		}, 422, "body", "Unknown field."},
		{"a body that is neither JSON nor a form", func() (*http.Response, map[string]any) {
			return ts.apiCall(t, "POST", "/api/v1/login", key, rawBody(good), "Content-Type", "text/plain")
		}, 415, "body", "Send the fields as JSON or as a URL-encoded form."},
	}
	for _, c := range cases {
		res, out := c.res()
		if res.StatusCode != c.status || errCode(out) != "VALIDATION" || errFields(out)[c.field] != c.says {
			t.Errorf("%s: %d %v; want %d naming %s: %q", c.name, res.StatusCode, out, c.status, c.field, c.says)
		}
	}
	if n := ts.responsesContaining(pw); n != 0 {
		t.Errorf("the password came back in %d answers", n)
	}
	// A JSON null stands for a field not given; the form as it should be signs in.
	res, out := ts.apiCall(t, "POST", "/api/v1/login", key, map[string]any{"username": "noor", "password": nil})
	if res.StatusCode != 422 || errFields(out)["password"] == nil {
		t.Errorf("a null password: %d %v", res.StatusCode, out)
	}
	if res, out := form("/api/v1/login", good); res.StatusCode != http.StatusOK || out["access_token"] == nil {
		t.Fatalf("sign-in with the form: %d %v", res.StatusCode, out)
	}
}
