package validate

import "strings"

// SignIn checks that an API sign-in names a user and a password; whether
// they are right is for the sign-in itself, which answers every wrong pair alike.
func SignIn(username, password string) Errors {
	errs := Errors{}
	if strings.TrimSpace(username) == "" {
		errs.Add("username", "Enter the username.")
	}
	if password == "" {
		errs.Add("password", "Enter the password.")
	}
	return errs
}

// RefreshToken checks that a refresh was given its token.
func RefreshToken(token string) Errors {
	errs := Errors{}
	if strings.TrimSpace(token) == "" {
		errs.Add("refresh_token", "Give the refresh token from the sign-in or the last refresh.")
	}
	return errs
}
