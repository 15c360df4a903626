package validate

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxNameLen = 100

// Name checks the name of a key (also of an account): 1-100 characters of
// visible text. Invisible formatting characters are refused because they make
// a name display differently from what it is (U+202E reverses text).
func Name(raw string) (string, string) {
	if !utf8.ValidString(raw) {
		return "", "The name contains bytes that are not valid text (UTF-8); retype it."
	}
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", "Enter a name."
	}
	if n := utf8.RuneCountInString(name); n > maxNameLen {
		return "", fmt.Sprintf("Use at most %d characters for the name; this one has %d.", maxNameLen, n)
	}
	for _, r := range name {
		if unicode.Is(unicode.Cc, r) {
			return "", "Remove line breaks, tabs and other control characters from the name."
		}
		if unicode.Is(unicode.Cf, r) {
			return "", fmt.Sprintf("Remove the invisible character U+%04X from the name; it can make the name look different from what it is.", r)
		}
	}
	return name, ""
}
