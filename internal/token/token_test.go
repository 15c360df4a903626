package token

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
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
	tok, err := s.SignUser(ctx, "usr_1", "key_1", 0, 15*time.Minute)
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
	never, err := s.SignKey(ctx, "key_9", "acc_1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Parse(ctx, never, KindKey); err != nil || c.Subject != "key_9" || c.Account != "acc_1" {
		t.Fatalf("key token: %+v %v", c, err)
	}
	// Expired, it is still genuine (the verifier then says KEY_EXPIRED).
	exp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old, _ := s.SignKey(ctx, "key_8", "acc_1", &exp)
	if ok, err := s.Genuine(ctx, old, KindKey); !ok || err != nil {
		t.Errorf("expired key token not genuine: %v", err)
	}
	if ok, _ := s.Genuine(ctx, old[:len(old)-2]+"xx", KindKey); ok {
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
