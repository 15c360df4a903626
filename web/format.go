package web

import (
	"fmt"
	"time"

	"keyconsole/internal/apikey"
)

// expiryWarning is how close to its expiry a key is flagged in the list.
const expiryWarning = 14 * 24 * time.Hour

func formatDate(t time.Time) string     { return t.UTC().Format("2006-01-02") }
func formatDateTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func statusLabel(s apikey.Status) string {
	switch s {
	case apikey.StatusActive:
		return "Active"
	case apikey.StatusInactive:
		return "Inactive"
	case apikey.StatusExpired:
		return "Expired"
	}
	return string(s)
}

// keyStatus is the status badge of k: its label and tone. An active key that
// expires within two weeks says in how many days, so nobody is surprised.
func keyStatus(k *apikey.Key, now time.Time) (label, tone string) {
	switch st := k.StatusAt(now); st {
	case apikey.StatusInactive:
		return statusLabel(st), "off"
	case apikey.StatusExpired:
		return statusLabel(st), "bad"
	}
	if k.ExpiresAt != nil {
		if left := k.ExpiresAt.Sub(now); left < expiryWarning {
			days := int(left.Hours() / 24)
			switch days {
			case 0:
				return "Expires within a day", "warn"
			case 1:
				return "Expires in 1 day", "warn"
			}
			return fmt.Sprintf("Expires in %d days", days), "warn"
		}
	}
	return statusLabel(apikey.StatusActive), "ok"
}
