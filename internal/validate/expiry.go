package validate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	defaultExpiry = "180d"
	maxCustomDays = 3650
	maxYearsAhead = 10
	day           = 24 * time.Hour
)

var presetDays = map[string]int{"30d": 30, "60d": 60, "90d": 90, "180d": 180, "365d": 365}

// Expiry turns the expiry fields into the moment the key stops working (nil:
// never). field names the field a message belongs to.
func Expiry(expiresIn, expiresOn, customDays string, now time.Time) (*time.Time, string, string) {
	now = now.UTC()
	in := choice(expiresIn)
	if in == "" {
		in = defaultExpiry
	}
	if in != "custom" {
		// Typed but not chosen: refused rather than dropped, so nobody
		// believes a key expires on a day it does not.
		if field, msg := customWithoutChoice(expiresOn, customDays); msg != "" {
			return nil, field, msg
		}
	}
	switch in {
	case "never":
		return nil, "", ""
	case "custom":
		return customExpiry(strings.TrimSpace(expiresOn), strings.TrimSpace(customDays), now)
	}
	days, ok := presetDays[in]
	if !ok {
		return nil, "expires_in", "Choose when the key expires: never, after 30, 60, 90, 180 or 365 days, or custom."
	}
	t := now.Add(time.Duration(days) * day)
	return &t, "", ""
}

// customWithoutChoice refuses custom days or a date given while the expiry
// chosen is not custom.
func customWithoutChoice(on, days string) (string, string) {
	switch {
	case strings.TrimSpace(days) != "":
		return "custom_days", "Days from now count only for a custom expiry: choose Custom under Expires, or clear the days."
	case strings.TrimSpace(on) != "":
		return "expires_on", "A date counts only for a custom expiry: choose Custom under Expires, or clear the date."
	}
	return "", ""
}

func customExpiry(on, days string, now time.Time) (*time.Time, string, string) {
	switch {
	case on != "" && days != "":
		return nil, "expires_in", "Give either a number of days or a date for the custom expiry, not both."
	case days != "":
		return customDaysExpiry(days, now)
	case on != "":
		return customDateExpiry(on, now)
	}
	return nil, "expires_in", "For a custom expiry, enter a number of days or pick a date."
}

func customDaysExpiry(raw string, now time.Time) (*time.Time, string, string) {
	if !allDigits(raw) {
		return nil, "custom_days", "Enter the number of days as a whole number, such as 45."
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxCustomDays {
		return nil, "custom_days", fmt.Sprintf("Enter a number of days from 1 to %d (%d years).", maxCustomDays, maxYearsAhead)
	}
	t := now.Add(time.Duration(n) * day)
	return &t, "", ""
}

// customDateExpiry makes the key work through the whole date chosen: it
// expires at 00:00 UTC the day after.
func customDateExpiry(raw string, now time.Time) (*time.Time, string, string) {
	d, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		return nil, "expires_on", "Enter the date as YYYY-MM-DD, such as 2030-12-31."
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if !d.After(today) {
		return nil, "expires_on", fmt.Sprintf("Pick a date after today (%s, UTC).", today.Format(time.DateOnly))
	}
	if last := today.AddDate(maxYearsAhead, 0, 0); d.After(last) {
		return nil, "expires_on", fmt.Sprintf("Pick a date at most %d years ahead, on or before %s.", maxYearsAhead, last.Format(time.DateOnly))
	}
	t := d.AddDate(0, 0, 1)
	return &t, "", ""
}
