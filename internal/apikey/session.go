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
}

// Endpoint is a device or app that signed a user in with a key.
type Endpoint struct {
	KeyID       string
	EndpointID  string
	Name        string
	Trusted     bool
	FirstSeenAt time.Time
	LastSeenAt  time.Time
}

// RefreshToken is a stored refresh token (by hash).
type RefreshToken struct {
	Hash       string
	UserID     string
	KeyID      string
	EndpointID string
	ExpiresAt  time.Time
}
