package validate

import (
	"strings"
	"unicode/utf8"
)

const (
	minUsernameLen = 3
	maxUsernameLen = 64
	minPasswordLen = 12
	maxPasswordLen = 256
)

// Username checks a console user's login name. It is lowercased so that
// "Admin" and "admin" cannot be two users.
func Username(raw string) (string, string) {
	// Checked before lowercasing: ToLower maps some non-ASCII letters (the
	// Kelvin sign) to ASCII ones, which would let look-alikes through.
	u := strings.TrimSpace(raw)
	switch {
	case u == "":
		return "", "Enter a username."
	case strings.IndexFunc(u, notUsernameChar) >= 0:
		return "", "A username may only use letters, digits and . _ - @ (no spaces)."
	case len(u) < minUsernameLen || len(u) > maxUsernameLen:
		return "", "A username has 3 to 64 characters."
	}
	return strings.ToLower(u), ""
}

func notUsernameChar(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("._-@", r))
}

// Password checks a new password. It is never trimmed (spaces may be
// intended) and never repeated in a message.
func Password(raw string) string {
	n := utf8.RuneCountInString(raw)
	switch {
	case raw == "":
		return "Enter a password."
	case !utf8.ValidString(raw):
		return "The password contains bytes that are not valid text (UTF-8); retype it."
	case n < minPasswordLen:
		return "Use at least 12 characters for the password."
	case n > maxPasswordLen:
		return "Use at most 256 characters for the password."
	case oneRepeated(raw):
		return "The password must not be one character repeated."
	}
	return ""
}
