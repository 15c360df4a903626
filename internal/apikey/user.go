package apikey

import "time"

// User is a person who signs in to the console.
type User struct {
	ID           string
	AccountID    string
	Username     string
	PasswordHash string // argon2id, in PHC string form
	Role         Role
	// RoleAccounts limits account-viewer to these accounts; AllAccounts or
	// none means every account. Other roles ignore it.
	RoleAccounts []string
	Active       bool
	CreatedAt    time.Time
	CreatedBy    string
	UpdatedAt    time.Time
	LastSignInAt *time.Time
	Version      int
	// MustChangePassword holds the user at the password page until they
	// choose a password of their own (a reset, the printed first password).
	MustChangePassword bool
	// PasswordVersion counts password changes; user access tokens carry
	// it, so a change ends the tokens issued before.
	PasswordVersion int
}

// SignInCounts are what the sign-in throttle weighs a try by: recent
// failures of the username from the address (and when the last was), of
// the username from anywhere, and of the address for any username, and
// whether the username signed in from the address lately.
type SignInCounts struct {
	Pair, User, Address int
	LastPair            time.Time
	Known               bool
}

// Grant is the user's role as a RoleGrant.
func (u *User) Grant() RoleGrant {
	return RoleGrant{Role: u.Role, Accounts: u.RoleAccounts}
}
