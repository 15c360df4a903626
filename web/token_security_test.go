package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/token"
)

// jwtParts decodes a JWT's header and claims as an offline checker does.
func jwtParts(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// revokedJTIs fetches the published revocation list: jti → exp.
func revokedJTIs(t *testing.T, ts *testServer) map[string]float64 {
	t.Helper()
	res, body := ts.apiCall(t, "GET", "/.well-known/revoked-jwts.json", "", nil)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=60") {
		t.Fatalf("revocation list: %d %v", res.StatusCode, res.Header)
	}
	out := map[string]float64{}
	for _, e := range body["revoked"].([]any) {
		m := e.(map[string]any)
		out[m["jti"].(string)] = m["exp"].(float64)
	}
	return out
}

// newJWTKey has an admin script's key create a JWT access key that never
// expires, through the API: the admin key, the new key's id and its JWT.
func newJWTKey(t *testing.T, ts *testServer) (admin, id, secret string) {
	t.Helper()
	_, admin = ts.addKey(t, "admin script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	res, body := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{
		"name": "offline service", "type": "general", "access_type": "jwt", "allow_unauthenticated": true,
		"roles": []string{"global-viewer"}, "expires_in": "never",
	})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %v", res.StatusCode, body)
	}
	return admin, body["id"].(string), body["secret"].(string)
}

// A deactivated, regenerated or deleted JWT access key's jti is published
// until its exp, so an offline checker refuses it; every JWT has exp and
// a typ that tells access keys from user tokens.
func TestRevokedJWTKeysArePublished(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	admin, id, first := newJWTKey(t, ts)
	h, c := jwtParts(t, first)
	if h["typ"] != token.TypKey || c["exp"] == nil || c["jti"] == nil || c["acct"] == nil || c["iss"] != "keyconsole" ||
		fmt.Sprint(c["roles"]) != "[global-viewer]" || c["sub"] != id || c["aud"] == nil {
		t.Fatalf("JWT key header %v claims %v", h, c)
	}
	firstJTI, firstExp := c["jti"].(string), c["exp"].(float64)
	if len(revokedJTIs(t, ts)) != 0 {
		t.Fatal("listed before any revocation")
	}
	// The details page tells how long an offline checker may accept it.
	_, page := ts.admin.get(t, keyURL(id))
	if text := parseHTML(t, page).Find(`[data-testid="jwt-offline"]`).Text(); !strings.Contains(text, firstJTI) || !strings.Contains(text, "revoked-jwts.json") {
		t.Fatalf("details page on offline checks: %q", text)
	}

	// Deactivated: listed with its exp; reactivated: valid again.
	ts.admin.post(t, keyURL(id)+"/deactivate", yes())
	if got := revokedJTIs(t, ts); got[firstJTI] != firstExp {
		t.Fatalf("deactivated key's jti not listed: %v", got)
	}
	_, page = ts.admin.get(t, keyURL(id))
	if text := parseHTML(t, page).Find(`[data-testid="jwt-offline"]`).Text(); !strings.Contains(text, "revoked") {
		t.Fatalf("details page after deactivate: %q", text)
	}
	ts.admin.post(t, keyURL(id)+"/activate", yes())
	if _, listed := revokedJTIs(t, ts)[firstJTI]; listed {
		t.Fatal("reactivated key's jti still listed")
	}

	// Regenerated: the old jti is listed, the new one is not.
	res, body := ts.apiCall(t, "POST", "/api/v1/keys/"+id+"/regenerate", admin, map[string]any{"grace": "immediately"})
	if res.StatusCode != 200 {
		t.Fatalf("regenerate: %d %v", res.StatusCode, body)
	}
	_, c2 := jwtParts(t, body["secret"].(string))
	second := c2["jti"].(string)
	got := revokedJTIs(t, ts)
	if _, listed := got[firstJTI]; !listed {
		t.Fatalf("regenerated key's old jti not listed: %v", got)
	}
	if _, listed := got[second]; listed {
		t.Fatal("the new secret is listed")
	}

	// Deleted: the current jti is listed too, though the key is gone.
	if res, _ := ts.apiCall(t, "DELETE", "/api/v1/keys/"+id, admin, nil); res.StatusCode != 204 && res.StatusCode != 200 {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	got = revokedJTIs(t, ts)
	if _, listed := got[second]; !listed {
		t.Fatalf("deleted key's jti not listed: %v", got)
	}
	if _, listed := got[firstJTI]; !listed {
		t.Fatal("an earlier revocation dropped")
	}
}

// A key whose expiry is brought forward has its JWT listed from the new
// expiry on; the JWT's own exp is capped for a key that never expires.
func TestJWTKeyExpiryCapped(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, _, secret := newJWTKey(t, ts)
	_, c := jwtParts(t, secret)
	if exp := int64(c["exp"].(float64)); exp > ts.now.Add(token.MaxKeyLifetime).Unix()+5 {
		t.Fatalf("exp %d beyond the cap", exp)
	}
	if !strings.Contains(parseHTML(t, func() string { _, p := ts.admin.get(t, "/security/api-keys/new"); return p }()).Text(), "365 days") {
		t.Error("the key form does not tell of the cap")
	}
}

// A sign-in naming another device's endpoint id, without that device's
// credential, gets no token and renames nothing; the device itself, with
// its credential, still signs in.
func TestStolenEndpointIDGetsNoToken(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ownerPW := ts.addUser(t, "olga", apikey.RoleGlobalViewer)
	thiefPW := ts.addUser(t, "theo", apikey.RoleGlobalViewer)
	k, key := appKey(t, ts, func(k *apikey.Key) { k.AutoEndpointTrust = true })
	code, body := login(t, ts, key, map[string]any{"username": "olga", "password": ownerPW, "endpoint_id": "till-7", "endpoint_name": "Front till"})
	if code != 200 {
		t.Fatalf("owner registers: %d %v", code, body)
	}
	secret, _ := body["endpoint_secret"].(string)
	if !strings.HasPrefix(secret, "kce_") {
		t.Fatalf("no endpoint secret: %v", body)
	}
	for _, presented := range []string{"", "kce_" + strings.Repeat("x", 43)} {
		code, body = login(t, ts, key, map[string]any{"username": "theo", "password": thiefPW, "endpoint_id": "till-7", "endpoint_name": "Evil", "endpoint_secret": presented})
		if code != 401 || errCode(body) != "UNAUTHORIZED" || body["access_token"] != nil || body["endpoint_secret"] != nil {
			t.Fatalf("stolen endpoint id with secret %q: %d %v", presented, code, body)
		}
	}
	e, err := ts.db.Endpoint(context.Background(), k.ID, "till-7")
	if err != nil || e.Name != "Front till" || !e.Trusted {
		t.Fatalf("endpoint after the attempts: %+v %v", e, err)
	}
	// The device, with its credential, signs in; a new name does not rename it.
	code, body = login(t, ts, key, map[string]any{"username": "olga", "password": ownerPW, "endpoint_id": "till-7", "endpoint_name": "Renamed", "endpoint_secret": secret})
	if code != 200 || body["access_token"] == nil || body["endpoint_secret"] != nil {
		t.Fatalf("owner with its credential: %d %v", code, body)
	}
	if e, _ := ts.db.Endpoint(context.Background(), k.ID, "till-7"); e.Name != "Front till" {
		t.Fatalf("renamed by a sign-in: %q", e.Name)
	}
	if strings.Contains(ts.logs.String(), secret) {
		t.Fatal("endpoint secret in the log")
	}
}

// An endpoint registered before endpoints had credentials is claimed as a
// new one: trusted only as a new endpoint would be, so a stolen id of a
// trusted legacy endpoint gains nothing.
func TestLegacyEndpointClaimedAsNew(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "theo", apikey.RoleGlobalViewer)
	k, key := appKey(t, ts)
	ctx := context.Background()
	if _, err := ts.db.RegisterEndpoint(ctx, k.ID, "old-1", "Old device", "", true, ts.now); err != nil {
		t.Fatal(err)
	}
	code, body := login(t, ts, key, map[string]any{"username": "theo", "password": pw, "endpoint_id": "old-1", "endpoint_name": "Evil"})
	if code != 403 || body["access_token"] != nil {
		t.Fatalf("claiming a trusted legacy endpoint: %d %v", code, body)
	}
	if e, _ := ts.db.Endpoint(ctx, k.ID, "old-1"); e.Trusted || e.Name != "Old device" {
		t.Fatalf("legacy endpoint after the claim: %+v", e)
	}
}

// listWithToken lists keys with key and the sign-in's access token, and
// tells the status.
func listWithToken(t *testing.T, ts *testServer, key string, tok map[string]any) int {
	t.Helper()
	res, _ := ts.apiCall(t, "GET", "/api/v1/keys", key, nil, "Authorization", "Bearer "+tok["access_token"].(string))
	return res.StatusCode
}

// A refresh token used twice ends its whole sign-in: the refresh token it
// was replaced by and the access tokens of the chain stop working, for
// thief and owner alike; other sign-ins of the user stand.
func TestRefreshTokenReuseEndsTheChain(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "mia", apikey.RoleGlobalViewer)
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	creds := map[string]any{"username": "mia", "password": pw}
	_, first := login(t, ts, key, creds)
	_, other := login(t, ts, key, creds)
	res, second := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": first["refresh_token"]})
	if res.StatusCode != 200 {
		t.Fatalf("refresh: %d %v", res.StatusCode, second)
	}
	useToken := func(tok map[string]any) int { return listWithToken(t, ts, key, tok) }
	if useToken(second) != 200 || useToken(first) != 200 {
		t.Fatal("chain not working before the reuse")
	}
	// The stolen copy of the first refresh token is used.
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": first["refresh_token"]}); res.StatusCode != 401 {
		t.Fatalf("reused refresh token: %d", res.StatusCode)
	}
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": second["refresh_token"]}); res.StatusCode != 401 {
		t.Fatalf("the chain's newer refresh token after a reuse: %d", res.StatusCode)
	}
	for name, tok := range map[string]map[string]any{"first": first, "second": second} {
		if code := useToken(tok); code != 401 {
			t.Errorf("%s access token of the ended chain: %d", name, code)
		}
	}
	if useToken(other) != 200 {
		t.Error("another sign-in ended too")
	}
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": other["refresh_token"]}); res.StatusCode != 200 {
		t.Errorf("another sign-in's refresh: %d", res.StatusCode)
	}
}

// Access tokens issued before a user was deactivated stay dead when the
// user is reactivated; a new sign-in works.
func TestReactivatedUserDoesNotReviveTokens(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pw := ts.addUser(t, "mia", apikey.RoleGlobalViewer)
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	creds := map[string]any{"username": "mia", "password": pw}
	_, tok := login(t, ts, key, creds)
	use := func(tok map[string]any) int { return listWithToken(t, ts, key, tok) }
	if use(tok) != 200 {
		t.Fatal("token not working")
	}
	mia, _ := ts.db.UserByName(context.Background(), "mia")
	ts.admin.post(t, "/users/"+mia.ID+"/deactivate", yes())
	ts.admin.post(t, "/users/"+mia.ID+"/activate", yes())
	if u, _ := ts.db.UserByName(context.Background(), "mia"); !u.Active {
		t.Fatal("not reactivated")
	}
	if code := use(tok); code != 401 {
		t.Fatalf("access token from before the deactivation: %d", code)
	}
	if res, _ := ts.apiCall(t, "POST", "/api/v1/token/refresh", key, map[string]any{"refresh_token": tok["refresh_token"]}); res.StatusCode != 401 {
		t.Fatalf("refresh token from before the deactivation: %d", res.StatusCode)
	}
	_, fresh := login(t, ts, key, creds)
	if use(fresh) != 200 {
		t.Fatal("a new sign-in does not work")
	}
}
