package validate

import (
	"strings"

	"keyconsole/internal/apikey"
)

// UserInput is a console user as submitted by the users page or the CLI.
type UserInput struct {
	Username, Password, Role, AccountID string
	RoleAccounts                        []string
}

// User is a checked user: everything needed to store one but the hash.
type User struct {
	Username     string
	Password     string
	Role         apikey.Role
	AccountID    string // "" means the caller's default (the root account)
	RoleAccounts []string
}

// NewUser checks a user to be created. Errors are keyed by the contract's
// field names: username, password, role, account_id, role_accounts.
func NewUser(in UserInput) (User, Errors) {
	errs := Errors{}
	var u User
	var msg string
	u.Username, msg = Username(in.Username)
	errs.Add("username", msg)
	errs.Add("password", Password(in.Password))
	u.Password = in.Password
	u.Role, u.RoleAccounts = userRole(in.Role, in.RoleAccounts, errs)
	if id := strings.TrimSpace(in.AccountID); id != "" {
		if !validAccountID(id) {
			errs.Add("account_id", "Choose an account from the list.")
		}
		u.AccountID = id
	}
	if errs.Any() {
		return User{}, errs
	}
	return u, errs
}

// UserRole checks a role change: the role and, for account-viewer, its accounts.
func UserRole(role string, roleAccounts []string) (apikey.Role, []string, Errors) {
	errs := Errors{}
	r, accounts := userRole(role, roleAccounts, errs)
	return r, accounts, errs
}

// userRole takes exactly one role, unlike a key which may hold several.
func userRole(raw string, rawAccounts []string, errs Errors) (apikey.Role, []string) {
	if strings.TrimSpace(raw) == "" {
		errs.Add("role", "Choose a role.")
		return "", nil
	}
	// A user form keeps its accounts ticked when the role changes; they go with it.
	grants, field, msg := grantRoles([]string{raw}, rawAccounts)
	if field == "roles" {
		field = "role"
	}
	if msg != "" {
		errs.Add(field, msg)
		return "", nil
	}
	return grants[0].Role, grants[0].Accounts
}
