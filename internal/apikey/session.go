package apikey

import "time"

// Session is a signed-in console session. The id itself lives only in the
// visitor's (encrypted) cookie; the store keeps its SHA-256.
type Session struct {
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// SigningKey is one stored Ed25519 key (the seed, base64).
type SigningKey struct {
	KID        string
	PrivateKey string
	CreatedAt  time.Time
	RetiredAt  *time.Time // set by a rotation: no longer signs, still checks
}

// KeyJWT is one JWT a JWT access key was given. An offline checker is told
// of it (the revocation list) from RevokedAt until ExpiresAt.
type KeyJWT struct {
	ID         string // the jti claim
	KeyID      string
	SecretHash string
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

// Endpoint is a device or app that signed a user in with a key.
type Endpoint struct {
	KeyID       string
	EndpointID  string
	Name        string
	Trusted     bool
	SecretHash  string // of the endpoint's credential; "" when registered before there were any
	FirstSeenAt time.Time
	LastSeenAt  time.Time
}

// RefreshToken is a stored refresh token (by hash).
type RefreshToken struct {
	Hash       string
	UserID     string
	KeyID      string
	EndpointID string
	ChainID    string // the sign-in it descends from, through refreshes
	ExpiresAt  time.Time
	UsedAt     *time.Time // refreshed already: a second use is a theft
}
