package token

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

func newSigner(t *testing.T) (*Signer, *store.DB, *time.Time) {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	return New(db, func() time.Time { return now }), db, &now
}

func TestUserTokens(t *testing.T) {
	s, db, now := newSigner(t)
	ctx := context.Background()
	tok, err := s.SignUser(ctx, UserGrant{UserID: "usr_1", KeyID: "key_1", AccountID: "acc_1", Role: "global-viewer", Chain: "ch1", PasswordVersion: 3}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Parse(ctx, tok, KindUser)
	if err != nil || c.Subject != "usr_1" || c.KeyID != "key_1" {
		t.Fatalf("parse: %+v %v", c, err)
	}
	if _, err := s.Parse(ctx, tok, KindKey); err == nil {
		t.Error("user token taken for a key")
	}
	*now = now.Add(16 * time.Minute)
	if _, err := s.Parse(ctx, tok, KindUser); err == nil {
		t.Error("expired token accepted")
	}
	*now = now.Add(-16 * time.Minute)
	// Tampered: another payload under the same signature.
	parts := strings.Split(tok, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"keyconsole","sub":"usr_admin","kc_typ":"user","kc_key":"key_1","exp":9999999999}`))
	if _, err := s.Parse(ctx, strings.Join(parts, "."), KindUser); err == nil {
		t.Error("tampered token accepted")
	}
	// "none" and HMAC algorithms are refused.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{Kind: KindUser}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if _, err := s.Parse(ctx, none, KindUser); err == nil {
		t.Error("alg none accepted")
	}
	// A second signer on the same database reads the same key.
	again := New(db, func() time.Time { return *now })
	if _, err := again.Parse(ctx, tok, KindUser); err != nil {
		t.Errorf("other signer: %v", err)
	}
}

func TestKeyTokensAndJWKS(t *testing.T) {
	s, _, _ := newSigner(t)
	ctx := context.Background()
	never, _, err := s.SignKey(ctx, "key_9", "acc_1", []string{"global-viewer"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Parse(ctx, never, KindKey); err != nil || c.Subject != "key_9" || c.Account != "acc_1" {
		t.Fatalf("key token: %+v %v", c, err)
	}
	// Expired, it is still genuine (the verifier then says KEY_EXPIRED).
	exp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old, _, _ := s.SignKey(ctx, "key_8", "acc_1", nil, &exp)
	if c, err := s.Genuine(ctx, old, KindKey); c == nil || err != nil {
		t.Errorf("expired key token not genuine: %v", err)
	}
	if c, _ := s.Genuine(ctx, old[:len(old)-2]+"xx", KindKey); c != nil {
		t.Error("forged signature genuine")
	}
	// Anyone can check it with the published key alone.
	set, err := s.JWKS(ctx)
	if err != nil || len(set) != 1 || set[0].Kty != "OKP" || set[0].Crv != "Ed25519" {
		t.Fatalf("jwks %+v %v", set, err)
	}
	x, _ := base64.RawURLEncoding.DecodeString(set[0].X)
	parsed, err := jwt.Parse(never, func(*jwt.Token) (any, error) { return ed25519.PublicKey(x), nil }, jwt.WithValidMethods([]string{"EdDSA"}))
	if err != nil || !parsed.Valid || parsed.Header["kid"] != set[0].Kid {
		t.Fatalf("offline check: %v", err)
	}
}

// payload decodes a JWT's header and claims as an offline checker reads
// them, without this package's types.
func payload(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
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

// Every JWT carries exp and the claims an offline checker needs, and the
// two kinds differ in typ and aud, so a checker that reads neither private
// claim still cannot take a user token for an access key.
func TestEveryTokenHasExpAndItsOwnTyp(t *testing.T) {
	t.Parallel()
	s, _, now := newSigner(t)
	ctx := context.Background()
	key, issued, err := s.SignKey(ctx, "key_1", "acc_1", []string{"global-admin"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	user, err := s.SignUser(ctx, UserGrant{UserID: "usr_1", AccountID: "acc_1", Role: "global-admin", KeyID: "key_1", Chain: "c"}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	kh, kc := payload(t, key)
	uh, uc := payload(t, user)
	if kh["typ"] != TypKey || uh["typ"] != TypUser || TypUser != "at+jwt" || TypKey == TypUser {
		t.Errorf("typ headers: key %v, user %v", kh["typ"], uh["typ"])
	}
	for name, c := range map[string]map[string]any{"key": kc, "user": uc} {
		for _, claim := range []string{"iss", "sub", "aud", "roles", "acct", "exp", "jti", "iat"} {
			if _, ok := c[claim]; !ok {
				t.Errorf("%s token lacks %s: %v", name, claim, c)
			}
		}
	}
	if fmt.Sprint(kc["aud"]) == fmt.Sprint(uc["aud"]) {
		t.Errorf("same audience %v", kc["aud"])
	}
	// A never-expiring key's JWT expires within MaxKeyLifetime.
	if exp := int64(kc["exp"].(float64)); exp > now.Add(MaxKeyLifetime).Unix() || exp != issued.ExpiresAt.Unix() {
		t.Errorf("key exp %d, issued %v", exp, issued.ExpiresAt)
	}
	if kc["jti"] != issued.ID || issued.SecretHash == "" {
		t.Errorf("issued %+v, jti %v", issued, kc["jti"])
	}
	if _, err := s.Parse(ctx, user, KindKey); err == nil {
		t.Error("user token taken for a key")
	}
	if c, _ := s.Genuine(ctx, user, KindKey); c != nil {
		t.Error("user token genuine as a key")
	}
	if _, err := s.Parse(ctx, key, KindUser); err == nil {
		t.Error("key taken for a user token")
	}
	// A token of ours with the user's typ but a key's claims is refused too.
	c := Claims{Kind: KindKey, Account: "acc_1"}
	c.Issuer, c.Subject, c.Audience, c.ExpiresAt = issuer, "key_2", jwt.ClaimStrings{AudienceKey}, jwt.NewNumericDate(now.Add(time.Hour))
	forged := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	forged.Header["kid"], forged.Header["typ"] = s.kid, TypUser
	raw, err := forged.SignedString(s.keys[s.kid])
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Genuine(ctx, raw, KindKey); c != nil {
		t.Error("key claims under the user typ accepted")
	}
}

// A rotation signs with the new key at once, on this instance and (within
// republishAfter) on others, and publishes old and new keys; the old key
// still checks what it signed, and is dropped once that has expired.
func TestRotate(t *testing.T) {
	t.Parallel()
	s, db, now := newSigner(t)
	ctx := context.Background()
	before, _, err := s.SignKey(ctx, "key_1", "acc_1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := New(db, func() time.Time { return *now })
	if _, err := other.JWKS(ctx); err != nil {
		t.Fatal(err)
	}
	oldKid, _ := payload(t, before)
	newKid, err := s.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := s.SignKey(ctx, "key_2", "acc_1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := payload(t, after); h["kid"] != newKid || newKid == oldKid["kid"] {
		t.Fatalf("signed with %v, rotated to %s from %v", h["kid"], newKid, oldKid["kid"])
	}
	set, err := s.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kids := map[string]bool{}
	for _, k := range set {
		kids[k.Kid] = true
	}
	if len(set) != 2 || !kids[newKid] || !kids[oldKid["kid"].(string)] {
		t.Fatalf("jwks after rotate: %+v", set)
	}
	other.mu.Lock()
	other.readAt = time.Time{} // its bound on re-reads (a second) has passed
	other.mu.Unlock()
	for _, raw := range []string{before, after} {
		if _, err := other.Parse(ctx, raw, KindKey); err != nil {
			t.Errorf("other instance refuses %s: %v", raw[:20], err)
		}
	}
	// The other instance signs with the new key once it reads again.
	*now = now.Add(republishAfter + time.Second)
	time.Sleep(10 * time.Millisecond)
	other.mu.Lock()
	other.readAt = time.Time{}
	other.mu.Unlock()
	fromOther, _, err := other.SignKey(ctx, "key_3", "acc_1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := payload(t, fromOther); h["kid"] != newKid {
		t.Errorf("other instance signs with %v", h["kid"])
	}
	// Once every token the old key signed has expired, it is not published.
	*now = now.Add(MaxKeyLifetime)
	later := New(db, func() time.Time { return *now })
	if set, err := later.JWKS(ctx); err != nil || len(set) != 1 || set[0].Kid != newKid {
		t.Errorf("jwks a year on: %+v %v", set, err)
	}
}
