package validate

import (
	"strconv"
	"strings"
)

// Version reads the version an edit form was made from. A missing or odd
// value means the form did not come from the current page.
func Version(raw string) (int, string) {
	raw = strings.TrimSpace(raw)
	n, err := strconv.Atoi(raw)
	if !allDigits(raw) || err != nil || n < 1 {
		return 0, "This form is out of date; reload the page."
	}
	return n, ""
}
