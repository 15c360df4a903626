package auth

import (
	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
)

// NewUser turns a checked user into one to store: active, its password
// hashed with p, made by the named person or command. An empty account is
// left for the store to fill with the root.
func NewUser(in validate.User, p Params, by string) (*apikey.User, error) {
	hash, err := HashPassword(in.Password, p)
	if err != nil {
		return nil, err
	}
	return &apikey.User{AccountID: in.AccountID, Username: in.Username, PasswordHash: hash, Role: in.Role,
		RoleAccounts: in.RoleAccounts, Active: true, CreatedBy: by}, nil
}
