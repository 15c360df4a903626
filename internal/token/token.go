// Package token signs and checks the console's JWTs with Ed25519: JWT access
// keys (an API key whose secret is a signed token other services can check
// offline against /.well-known/jwks.json) and short-lived user access tokens
// issued by POST /api/v1/login.
package token

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"keyconsole/internal/apikey"
)

// Token kinds, in the kc_typ claim, so one kind is never taken for another.
const (
	KindKey  = "key"
	KindUser = "user"
	issuer   = "keyconsole"
)

// Claims are the console's JWT claims.
type Claims struct {
	jwt.RegisteredClaims
	Kind    string `json:"kc_typ"`
	KeyID   string `json:"kc_key,omitempty"`
	Account string `json:"kc_acc,omitempty"`
	// PasswordVersion is the user's password version when a user access
	// token was issued: a password change ends the tokens before it.
	PasswordVersion int `json:"kc_pwv,omitempty"`
}

// Store keeps the signing keys.
type Store interface {
	SigningKeys(ctx context.Context) ([]apikey.SigningKey, error)
	EnsureSigningKey(ctx context.Context, k apikey.SigningKey) ([]apikey.SigningKey, error)
}

// Signer signs with the newest stored key and checks against all of them.
type Signer struct {
	store  Store
	now    func() time.Time
	mu     sync.Mutex
	keys   map[string]ed25519.PrivateKey
	kid    string    // the newest
	readAt time.Time // when keys were read (wall clock), to bound re-reads
}

// Keys made by another instance (after a rotation there) are read again
// when a token names an unknown kid, at most once per rereadEvery, and
// for the JWKS when older than republishAfter.
const (
	rereadEvery    = time.Second
	republishAfter = 30 * time.Second
)

// New returns a Signer on db; now is the clock (nil: the wall clock).
func New(db Store, now func() time.Time) *Signer {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Signer{store: db, now: now}
}

// load reads the signing keys once, making the first when there is none.
func (s *Signer) load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys != nil {
		return nil
	}
	keys, kid, err := s.read(ctx)
	if err != nil {
		return err
	}
	s.keys, s.kid, s.readAt = keys, kid, time.Now()
	return nil
}

// reread reads the stored keys again unless they were read within every;
// the query runs outside the lock, so token checks never wait for it.
func (s *Signer) reread(ctx context.Context, every time.Duration) error {
	s.mu.Lock()
	if s.keys != nil && time.Since(s.readAt) < every {
		s.mu.Unlock()
		return nil
	}
	s.readAt = time.Now() // the others in this window do not read too
	s.mu.Unlock()
	keys, kid, err := s.read(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.keys, s.kid = keys, kid
	s.mu.Unlock()
	return nil
}

// read loads the stored signing keys, making the first when there is none.
func (s *Signer) read(ctx context.Context) (map[string]ed25519.PrivateKey, string, error) {
	stored, err := s.store.SigningKeys(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(stored) == 0 {
		// A candidate key, stored only when the database still has none:
		// of several instances starting at once, one key wins for all.
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, "", err
		}
		kid, err := apikey.RandomBase62(16)
		if err != nil {
			return nil, "", err
		}
		candidate := apikey.SigningKey{KID: kid, PrivateKey: base64.StdEncoding.EncodeToString(priv.Seed()), CreatedAt: s.now()}
		if stored, err = s.store.EnsureSigningKey(ctx, candidate); err != nil {
			return nil, "", err
		}
	}
	keys := map[string]ed25519.PrivateKey{}
	for _, k := range stored {
		seed, err := base64.StdEncoding.DecodeString(k.PrivateKey)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, "", fmt.Errorf("signing key %s is unreadable", k.KID)
		}
		keys[k.KID] = ed25519.NewKeyFromSeed(seed)
	}
	return keys, stored[0].KID, nil
}

func (s *Signer) sign(ctx context.Context, c Claims) (string, error) {
	if err := s.load(ctx); err != nil {
		return "", err
	}
	jti, err := apikey.RandomBase62(16)
	if err != nil {
		return "", err
	}
	c.Issuer, c.ID, c.IssuedAt = issuer, jti, jwt.NewNumericDate(s.now())
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = s.kid
	return t.SignedString(s.keys[s.kid])
}

// SignKey makes the secret of a JWT access key; it expires with the key.
func (s *Signer) SignKey(ctx context.Context, keyID, accountID string, expires *time.Time) (string, error) {
	c := Claims{Kind: KindKey, Account: accountID}
	c.Subject = keyID
	if expires != nil {
		c.ExpiresAt = jwt.NewNumericDate(*expires)
	}
	return s.sign(ctx, c)
}

// SignUser makes a user access token for use beside key keyID, valid for
// ttl or until the user's password changes from passwordVersion.
func (s *Signer) SignUser(ctx context.Context, userID, keyID string, passwordVersion int, ttl time.Duration) (string, error) {
	c := Claims{Kind: KindUser, KeyID: keyID, PasswordVersion: passwordVersion}
	c.Subject = userID
	c.ExpiresAt = jwt.NewNumericDate(s.now().Add(ttl))
	return s.sign(ctx, c)
}

// ErrInvalid is any token that is not one of ours, of the wanted kind, in date.
var ErrInvalid = errors.New("token: not valid")

// Parse checks a token's signature, issuer, kind and expiry.
func (s *Signer) Parse(ctx context.Context, raw, kind string) (*Claims, error) {
	return s.parse(ctx, raw, kind, jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
}

// Genuine tells whether raw was signed by us as a token of the kind,
// whatever its dates: the verifier judges expiry from the key itself.
func (s *Signer) Genuine(ctx context.Context, raw, kind string) (bool, error) {
	_, err := s.parse(ctx, raw, kind, jwt.WithoutClaimsValidation())
	if errors.Is(err, ErrInvalid) {
		return false, nil
	}
	return err == nil, err
}

func (s *Signer) parse(ctx context.Context, raw, kind string, opts ...jwt.ParserOption) (*Claims, error) {
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	var c Claims
	opts = append(opts, jwt.WithValidMethods([]string{"EdDSA"}))
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := s.key(kid)
		if !ok {
			// Perhaps another instance's new key: read them again, boundedly.
			if err := s.reread(ctx, rereadEvery); err != nil {
				return nil, err
			}
			if k, ok = s.key(kid); !ok {
				return nil, ErrInvalid
			}
		}
		return k.Public(), nil
	}, opts...)
	if kind == KindKey && errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && c.Kind == KindKey {
		err = nil // a key that never expires has no exp
	}
	if err != nil || c.Kind != kind || c.Issuer != issuer {
		return nil, ErrInvalid
	}
	return &c, nil
}

// JWK is one public key as JSON Web Key Sets list them.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

func (s *Signer) key(kid string) (ed25519.PrivateKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[kid]
	return k, ok
}

// JWKS lists the public keys that check the console's tokens.
func (s *Signer) JWKS(ctx context.Context) ([]JWK, error) {
	if err := s.reread(ctx, republishAfter); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JWK, 0, len(s.keys))
	for kid, k := range s.keys {
		pub := k.Public().(ed25519.PublicKey)
		out = append(out, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid, Use: "sig", Alg: "EdDSA"})
	}
	return out, nil
}
