package validate

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"keyconsole/internal/apikey"
)

// Reason checks the optional reason given for a change (it goes into the
// audit trail): one line, at most apikey.MaxReasonLen characters.
func Reason(raw string) (string, string) {
	r := strings.TrimSpace(raw)
	if n := utf8.RuneCountInString(r); n > apikey.MaxReasonLen {
		return "", fmt.Sprintf("Keep the reason to %d characters; this one has %d.", apikey.MaxReasonLen, n)
	}
	if strings.ContainsFunc(r, unicode.IsControl) {
		return "", "Write the reason on one line."
	}
	return r, ""
}
