package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEcho is how much of a person's input a message repeats: enough to
// recognise the entry, not enough to flood a page with pasted text.
const maxEcho = 60

// clip shortens s to maxEcho characters and replaces what cannot be shown
// safely (invalid UTF-8, control and invisible formatting characters), so a
// message never carries a line break or a bidi override.
func clip(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxEcho {
			b.WriteString("…")
			break
		}
		if r == utf8.RuneError || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// quote is clip inside typographic quotes, for text a person typed.
func quote(s string) string { return "“" + clip(s) + "”" }

// oneOf lists choices as "a, b or c".
func oneOf(choices []string) string { return join(choices, " or ") }

// allOf lists items as "a, b and c".
func allOf(items []string) string { return join(items, " and ") }

func join(items []string, last string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + last + items[len(items)-1]
}

// allDigits tells whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// oneRepeated tells whether s is a single character repeated (or just one).
func oneRepeated(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
