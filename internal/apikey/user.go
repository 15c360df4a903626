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
}

// Grant is the user's role as a RoleGrant.
func (u *User) Grant() RoleGrant {
	return RoleGrant{Role: u.Role, Accounts: u.RoleAccounts}
}
