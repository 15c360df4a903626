package validate

import (
	"fmt"
	"strings"

	"keyconsole/internal/apikey"
)

const maxCustomLen = 256

// CustomValue checks a secret chosen by an admin. Messages never repeat the
// value: it is a secret.
func CustomValue(raw string) (string, string) {
	v := strings.TrimSpace(raw)
	switch {
	case v == "":
		return "", "Enter the custom value, or choose a generated secret instead."
	case !printableASCII(v):
		return "", "Use only printable ASCII characters, without spaces, in the custom value."
	case len(v) < apikey.MinCustomLen:
		return "", fmt.Sprintf("Use at least %d characters for the custom value; this one has %d.", apikey.MinCustomLen, len(v))
	case len(v) > maxCustomLen:
		return "", fmt.Sprintf("Use at most %d characters for the custom value; this one has %d.", maxCustomLen, len(v))
	case apikey.StartsGenerated(v): // it would be taken for one, and its checksum fail
		return "", fmt.Sprintf("A custom value must not start with %q; that prefix is reserved for generated secrets.", apikey.GeneratedPrefix)
	case apikey.LooksLikeJWT(v):
		return "", "A custom value must not have the shape of a JWT (eyJ… with two dots): those are checked as signed JWT keys, so it would never work. Choose “Signed JWT” as the access type instead."
	case oneRepeated(v):
		return "", "The custom value must not be one character repeated."
	case charClasses(v) < 2:
		return "", "Mix at least two kinds of characters in the custom value: lowercase letters, uppercase letters, digits, symbols."
	}
	return v, ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// charClasses counts the kinds of printable ASCII characters in s.
func charClasses(s string) int {
	var lower, upper, digit, symbol int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			lower = 1
		case 'A' <= c && c <= 'Z':
			upper = 1
		case '0' <= c && c <= '9':
			digit = 1
		default:
			symbol = 1
		}
	}
	return lower + upper + digit + symbol
}
