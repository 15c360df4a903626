// Package apikey is the domain of keyconsole: API keys, their types, roles and
// permissions, the secret format and the errors every layer shares. It imports
// only the standard library.
package apikey

import (
	"net/netip"
	"time"
)

// Type says what kind of client a key is for.
type Type string

const (
	TypeGeneral  Type = "general"
	TypeEmbedded Type = "embedded"
	TypeChrome   Type = "chrome"
)

// Types lists every key type in display order.
var Types = []Type{TypeGeneral, TypeEmbedded, TypeChrome}

// Label is the name shown to people.
func (t Type) Label() string {
	switch t {
	case TypeGeneral:
		return "General"
	case TypeEmbedded:
		return "Embedded"
	case TypeChrome:
		return "Chrome"
	}
	return string(t)
}

// letter is the type's letter inside a generated secret (kc_g_..., kc_e_..., kc_c_...).
func (t Type) letter() byte {
	switch t {
	case TypeEmbedded:
		return 'e'
	case TypeChrome:
		return 'c'
	}
	return 'g'
}

// AccessType says where the secret comes from.
type AccessType string

const (
	AccessGenerated AccessType = "generated"
	AccessJWT       AccessType = "jwt"
	AccessCustom    AccessType = "custom"
)

// AccessTypes lists every access type in display order.
var AccessTypes = []AccessType{AccessGenerated, AccessJWT, AccessCustom}

// AdvancedVerify lets a key call POST /api/v1/keys/verify for other services.
const AdvancedVerify = "verify"

// AdvancedPermissions lists the advanced API permissions a key may carry.
var AdvancedPermissions = []string{AdvancedVerify}

// AllAccounts is the scope of a role grant that is not limited to named accounts.
const AllAccounts = "*"

// RoleGrant is one role on a key. Accounts limits account-viewer to the
// accounts it names; AllAccounts (or no accounts at all) means every account.
type RoleGrant struct {
	Role     Role
	Accounts []string
}

// AllowsAllAccounts tells whether the grant is unlimited in scope.
func (g RoleGrant) AllowsAllAccounts() bool {
	if len(g.Accounts) == 0 {
		return true
	}
	for _, a := range g.Accounts {
		if a == AllAccounts {
			return true
		}
	}
	return false
}

// IPEntry is one allowed-IP line: the network it admits and the text as typed.
type IPEntry struct {
	Prefix netip.Prefix
	Source string
}

// Header is a response header added to API answers made with the key.
type Header struct {
	Name     string
	Value    string
	Excluded bool
}

// Settings are the fields of a key an admin chooses; everything validated
// input can set, and nothing the server decides.
type Settings struct {
	Name                    string
	Type                    Type
	AccessType              AccessType
	Active                  bool
	AllowUnauthenticated    bool
	AllowUntrustedEndpoints bool
	AutoEndpointTrust       bool
	AdvancedPermissions     []string
	Roles                   []RoleGrant
	ExpiresAt               *time.Time // nil: never
	AllowedIPs              []IPEntry  // empty: any address
	ResponseHeaders         []Header
}

// Key is an API key as stored. The secret itself is never kept: only its
// SHA-256 hash and a short prefix to recognise it by.
type Key struct {
	ID        string
	AccountID string
	Settings

	SecretHash    string
	DisplayPrefix string
	// After a regenerate with a grace period, the previous secret's hash
	// and until when it is still accepted; empty otherwise.
	PreviousSecretHash string
	PreviousValidUntil *time.Time

	CreatedAt    time.Time
	CreatedBy    string
	UpdatedAt    time.Time
	UpdatedBy    string
	LastUsedAt   *time.Time
	LastUsedFrom string

	// Predefined keys come with a new account; their secrets are never shown.
	Predefined bool

	// Version increases with every save; an update names the version it read
	// so that a concurrent save is detected instead of overwritten.
	Version int

	// AccountPath is the key's account and every account above it, nearest
	// first, when the key was loaded for verification (it cannot change
	// while the key exists: accounts holding keys do not move).
	AccountPath []string

	// IssuedJWT is the JWT a create or regenerate of a JWT access key just
	// signed, for the store to record with the change; never read back.
	IssuedJWT *KeyJWT
}

// Status is how a key stands at a moment.
type Status string

const (
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
	StatusExpired  Status = "expired"
)

// Statuses lists the statuses the list page filters by.
var Statuses = []Status{StatusActive, StatusInactive, StatusExpired}

// StatusAt gives the key's status at now. An inactive key is inactive even
// when it has expired too: switching it on is the first thing to fix.
func (k *Key) StatusAt(now time.Time) Status {
	switch {
	case !k.Active:
		return StatusInactive
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Orders of the key list; a leading "-" reverses any of them.
const (
	SortByName     = "name"
	SortByCreated  = "created"
	SortByExpires  = "expires"
	SortByLastUsed = "last_used"
)

// SortOrders lists the orders the key list accepts.
var SortOrders = []string{SortByName, SortByCreated, SortByExpires, SortByLastUsed}
