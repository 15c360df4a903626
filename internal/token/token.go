// Package token signs and checks the console's JWTs with Ed25519: JWT access
// keys (an API key whose secret is a signed token other services can check
// offline against /.well-known/jwks.json and /.well-known/revoked-jwts.json)
// and short-lived user access tokens issued by POST /api/v1/login.
//
// An offline checker tells the two apart by the typ header (TypKey, TypUser)
// and by the audience, each without reading a private claim; every token
// carries iss, sub, aud, roles, acct, exp, iat and jti.
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

// Token kinds, in the kc_typ claim and told apart by the typ header and the
// audience too, so one kind is never taken for another.
const (
	KindKey  = "key"
	KindUser = "user"
	issuer   = "keyconsole"
)

// The typ headers: RFC 9068's for user access tokens, and one of our own
// for the secrets of JWT access keys.
const (
	TypUser = "at+jwt"
	TypKey  = "kc-apikey+jwt"
)

// The audiences: user tokens are for this console's JSON API; JWT access
// keys for the services that check them offline.
const (
	AudienceUser = "keyconsole-api"
	AudienceKey  = "keyconsole-api-key"
)

// MaxKeyLifetime caps a JWT access key's exp: an offline checker that never
// fetches the revocation list stops accepting it then at the latest. A
// retired signing key stays published this long, since a token it signed
// may be valid so long.
const MaxKeyLifetime = 365 * 24 * time.Hour

// Claims are the console's JWT claims.
type Claims struct {
	jwt.RegisteredClaims
	Kind    string   `json:"kc_typ"`
	KeyID   string   `json:"kc_key,omitempty"` // user tokens: the key they go with
	Account string   `json:"acct,omitempty"`
	Roles   []string `json:"roles,omitempty"`
	Chain   string   `json:"sid,omitempty"` // user tokens: the sign-in they descend from
	// PasswordVersion is the user's password version when a user access
	// token was issued: a password change ends the tokens before it.
	PasswordVersion int `json:"kc_pwv,omitempty"`
}

// Store keeps the signing keys.
type Store interface {
	SigningKeys(ctx context.Context) ([]apikey.SigningKey, error)
	EnsureSigningKey(ctx context.Context, k apikey.SigningKey) ([]apikey.SigningKey, error)
	RotateSigningKey(ctx context.Context, k apikey.SigningKey) error
	RevokedJWTs(ctx context.Context) ([]apikey.KeyJWT, error)
}

// Revoked lists the JWT access keys' JWTs revoked before their exp, until
// their exp: the revocation list offline checkers fetch.
func (s *Signer) Revoked(ctx context.Context) ([]apikey.KeyJWT, error) {
	return s.store.RevokedJWTs(ctx)
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
		candidate, err := s.newSigningKey()
		if err != nil {
			return nil, "", err
		}
		if stored, err = s.store.EnsureSigningKey(ctx, candidate); err != nil {
			return nil, "", err
		}
	}
	keys := map[string]ed25519.PrivateKey{}
	signing := ""
	for _, k := range stored {
		if k.RetiredAt != nil && !s.now().Before(k.RetiredAt.Add(MaxKeyLifetime)) {
			continue // every token it signed has expired
		}
		seed, err := base64.StdEncoding.DecodeString(k.PrivateKey)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, "", fmt.Errorf("signing key %s is unreadable", k.KID)
		}
		keys[k.KID] = ed25519.NewKeyFromSeed(seed)
		if signing == "" && k.RetiredAt == nil {
			signing = k.KID // the newest still signing
		}
	}
	if signing == "" {
		return nil, "", errors.New("no signing key is in use: run keyconsole jwks rotate")
	}
	return keys, signing, nil
}

// newSigningKey makes a signing key, not yet stored.
func (s *Signer) newSigningKey() (apikey.SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return apikey.SigningKey{}, err
	}
	kid, err := apikey.RandomBase62(16)
	if err != nil {
		return apikey.SigningKey{}, err
	}
	return apikey.SigningKey{KID: kid, PrivateKey: base64.StdEncoding.EncodeToString(priv.Seed()), CreatedAt: s.now()}, nil
}

// Rotate makes a new signing key, which signs from now on (on other
// instances within republishAfter); the old ones stay published, and check
// the tokens they signed, until those have expired. It returns the new kid.
func (s *Signer) Rotate(ctx context.Context) (string, error) {
	k, err := s.newSigningKey()
	if err != nil {
		return "", err
	}
	if err := s.store.RotateSigningKey(ctx, k); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.readAt = time.Time{} // read again at the next use
	s.mu.Unlock()
	return k.KID, s.reread(ctx, 0)
}

func (s *Signer) sign(ctx context.Context, typ string, c Claims) (string, error) {
	if err := s.load(ctx); err != nil {
		return "", err
	}
	// A rotation on another instance is taken up within republishAfter.
	if err := s.reread(ctx, republishAfter); err != nil {
		return "", err
	}
	jti, err := apikey.RandomBase62(16)
	if err != nil {
		return "", err
	}
	c.Issuer, c.ID, c.IssuedAt = issuer, jti, jwt.NewNumericDate(s.now())
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	s.mu.Lock()
	kid, key := s.kid, s.keys[s.kid]
	s.mu.Unlock()
	t.Header["kid"], t.Header["typ"] = kid, typ
	return t.SignedString(key)
}

// SignKey makes the secret of JWT access key keyID, of account accountID
// holding roles, and tells its jti and exp: it expires with the key
// (expires; nil: never), and within MaxKeyLifetime whatever the key's
// expiry (an offline checker must stop accepting it some day).
func (s *Signer) SignKey(ctx context.Context, keyID, accountID string, roles []string, expires *time.Time) (string, apikey.KeyJWT, error) {
	exp := s.now().Add(MaxKeyLifetime).Truncate(time.Second)
	if expires != nil && expires.Before(exp) {
		exp = *expires
	}
	c := Claims{Kind: KindKey, Account: accountID, Roles: roles}
	c.Subject, c.Audience, c.ExpiresAt = keyID, jwt.ClaimStrings{AudienceKey}, jwt.NewNumericDate(exp)
	raw, err := s.sign(ctx, TypKey, c)
	if err != nil {
		return "", apikey.KeyJWT{}, err
	}
	claims, err := s.parse(ctx, raw, KindKey, jwt.WithoutClaimsValidation())
	if err != nil {
		return "", apikey.KeyJWT{}, err
	}
	return raw, apikey.KeyJWT{ID: claims.ID, KeyID: keyID, SecretHash: apikey.HashSecret(raw), ExpiresAt: claims.ExpiresAt.Time.UTC()}, nil
}

// UserGrant is what a user access token says of its user.
type UserGrant struct {
	UserID          string
	AccountID       string
	Role            string
	KeyID           string // the key the token goes with
	Chain           string // the sign-in it descends from
	PasswordVersion int    // the user's password then: a change ends the token
}

// SignUser makes a user access token, valid for ttl.
func (s *Signer) SignUser(ctx context.Context, g UserGrant, ttl time.Duration) (string, error) {
	c := Claims{Kind: KindUser, KeyID: g.KeyID, Account: g.AccountID, Roles: []string{g.Role}, Chain: g.Chain, PasswordVersion: g.PasswordVersion}
	c.Subject, c.Audience = g.UserID, jwt.ClaimStrings{AudienceUser}
	c.ExpiresAt = jwt.NewNumericDate(s.now().Add(ttl))
	return s.sign(ctx, TypUser, c)
}

// ErrInvalid is any token that is not one of ours, of the wanted kind, in date.
var ErrInvalid = errors.New("token: not valid")

// Parse checks a token's signature, typ, issuer, audience, kind and expiry.
func (s *Signer) Parse(ctx context.Context, raw, kind string) (*Claims, error) {
	return s.parse(ctx, raw, kind, jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
}

// Genuine returns the claims of raw when it was signed by us as a token of
// the kind, whatever its dates: the verifier judges expiry itself.
func (s *Signer) Genuine(ctx context.Context, raw, kind string) (*Claims, error) {
	c, err := s.parse(ctx, raw, kind, jwt.WithoutClaimsValidation())
	if errors.Is(err, ErrInvalid) {
		return nil, nil
	}
	return c, err
}

func (s *Signer) parse(ctx context.Context, raw, kind string, opts ...jwt.ParserOption) (*Claims, error) {
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	var c Claims
	opts = append(opts, jwt.WithValidMethods([]string{"EdDSA"}))
	t, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
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
	legacyKey := false
	if kind == KindKey && c.Kind == KindKey && t != nil && t.Header["typ"] == "JWT" && len(c.Audience) == 0 {
		// A JWT access key signed before keys had exp, typ and aud: the
		// verifier still knows it by its hash, and may revoke it there.
		legacyKey = true
		if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
			err = nil
		}
	}
	if err != nil || c.Kind != kind || c.Issuer != issuer {
		return nil, ErrInvalid
	}
	typ, aud := TypUser, AudienceUser
	if kind == KindKey {
		typ, aud = TypKey, AudienceKey
	}
	if !legacyKey && (t.Header["typ"] != typ || len(c.Audience) != 1 || c.Audience[0] != aud) {
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
