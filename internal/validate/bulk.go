package validate

import (
	"strconv"
	"strings"
	"time"
)

// BulkExtension checks how a bulk action extends expiries: by a whole
// number of days (extend_days), or to the end of a date after today
// (extend_to), not both. It gives the days or the moment, or the field and
// message that refuse them.
func BulkExtension(days, date string, now time.Time) (int, *time.Time, string, string) {
	days, date = strings.TrimSpace(days), strings.TrimSpace(date)
	switch {
	case days != "" && date != "":
		return 0, nil, "extend_days", "Give either a number of days or a date, not both."
	case days != "":
		if _, _, msg := customDaysExpiry(days, now.UTC()); msg != "" {
			return 0, nil, "extend_days", msg
		}
		n, _ := strconv.Atoi(days)
		return n, nil, "", ""
	case date != "":
		t, _, msg := customDateExpiry(date, now.UTC())
		if msg != "" {
			return 0, nil, "extend_to", msg
		}
		return 0, t, "", ""
	}
	return 0, nil, "extend_days", "Enter a number of days, or pick a date."
}
