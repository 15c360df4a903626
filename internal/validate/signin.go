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

// PasswordChange checks the change-password form: the current password
// given, the new one acceptable (as for a new user), typed the same twice
// and not the current one again.
func PasswordChange(current, password, confirm string) Errors {
	errs := Errors{}
	if current == "" {
		errs.Add("current_password", "Enter your current password.")
	}
	errs.Add("password", Password(password))
	switch {
	case errs["password"] != "":
	case confirm != password:
		errs.Add("password_confirm", "The two new passwords differ; type the same one twice.")
	case password == current:
		errs.Add("password", "Choose a password other than the current one.")
	}
	return errs
}
