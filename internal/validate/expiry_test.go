package validate

import (
	"testing"
	"time"
)

var expiryCases = []struct {
	name               string
	in, on, customDays string
	want               *time.Time
	field, wantErr     string
}{
	{name: "default is 180 days", want: at(now.Add(days(180)))},
	{name: "blank is the default", in: "  ", want: at(now.Add(days(180)))},
	{name: "never", in: "never"},
	{name: "30d", in: "30d", want: at(now.Add(days(30)))},
	{name: "60d", in: "60d", want: at(now.Add(days(60)))},
	{name: "90d", in: "90d", want: at(now.Add(days(90)))},
	{name: "180d", in: "180d", want: at(now.Add(days(180)))},
	{name: "365d", in: "365d", want: at(now.Add(days(365)))},
	{name: "preset refuses custom days", in: "30d", customDays: "45", field: "custom_days", wantErr: "only for a custom expiry"},
	{name: "preset refuses a date", in: "30d", on: "2030-01-01", field: "expires_on", wantErr: "only for a custom expiry"},
	{name: "default refuses custom days", customDays: "45", field: "custom_days", wantErr: "choose Custom under Expires"},
	{name: "never refuses a date", in: "never", on: "2030-01-01", field: "expires_on", wantErr: "clear the date"},
	{name: "preset with blank custom fields", in: "30d", on: " ", customDays: "", want: at(now.Add(days(30)))},
	{name: "unknown preset", in: "45d", field: "expires_in", wantErr: "Choose when the key expires"},
	{name: "custom days 1", in: "custom", customDays: "1", want: at(now.Add(days(1)))},
	{name: "custom days 3650", in: "custom", customDays: "3650", want: at(now.Add(days(3650)))},
	{name: "custom days 0", in: "custom", customDays: "0", field: "custom_days", wantErr: "from 1 to 3650"},
	{name: "custom days 3651", in: "custom", customDays: "3651", field: "custom_days", wantErr: "from 1 to 3650"},
	{name: "custom days huge", in: "custom", customDays: "99999999999999999999999", field: "custom_days", wantErr: "from 1 to 3650"},
	{name: "custom days negative", in: "custom", customDays: "-5", field: "custom_days", wantErr: "whole number"},
	{name: "custom days fraction", in: "custom", customDays: "1.5", field: "custom_days", wantErr: "whole number"},
	{name: "custom days word", in: "custom", customDays: "ten", field: "custom_days", wantErr: "whole number"},
	{name: "custom date tomorrow", in: "custom", on: "2025-06-16", want: at(time.Date(2025, 6, 17, 0, 0, 0, 0, time.UTC))},
	{name: "custom date 10 years", in: "custom", on: "2035-06-15", want: at(time.Date(2035, 6, 16, 0, 0, 0, 0, time.UTC))},
	{name: "custom date today", in: "custom", on: "2025-06-15", field: "expires_on", wantErr: "Pick a date after today (2025-06-15, UTC)."},
	{name: "custom date yesterday", in: "custom", on: "2025-06-14", field: "expires_on", wantErr: "Pick a date after today"},
	{name: "custom date a day over 10 years", in: "custom", on: "2035-06-16", field: "expires_on", wantErr: "at most 10 years ahead, on or before 2035-06-15"},
	{name: "custom date 11 years", in: "custom", on: "2036-06-15", field: "expires_on", wantErr: "at most 10 years ahead"},
	{name: "custom date bad format", in: "custom", on: "15/06/2026", field: "expires_on", wantErr: "YYYY-MM-DD"},
	{name: "custom date no such day", in: "custom", on: "2026-02-30", field: "expires_on", wantErr: "YYYY-MM-DD"},
	{name: "custom date short month", in: "custom", on: "2026-1-05", field: "expires_on", wantErr: "YYYY-MM-DD"},
	{name: "custom with both", in: "custom", on: "2026-01-01", customDays: "30", field: "expires_in", wantErr: "not both"},
	{name: "custom with neither", in: "custom", field: "expires_in", wantErr: "enter a number of days or pick a date"},
}

func TestExpiry(t *testing.T) {
	for _, c := range expiryCases {
		t.Run(c.name, func(t *testing.T) {
			got, field, msg := Expiry(c.in, c.on, c.customDays, now)
			checkMsg(t, msg, c.wantErr)
			if field != c.field {
				t.Errorf("field %q, want %q", field, c.field)
			}
			switch {
			case (got == nil) != (c.want == nil):
				t.Errorf("got %v, want %v", got, c.want)
			case got != nil && (!got.Equal(*c.want) || got.Location() != time.UTC):
				t.Errorf("got %v, want %v in UTC", got, c.want)
			}
		})
	}
}

// The date that counts is today's in UTC, whatever zone now is in.
func TestExpiryUsesUTCDate(t *testing.T) {
	kiribati := now.In(time.FixedZone("LINT", 14*3600)) // already 2025-06-16 there
	got, _, msg := Expiry("custom", "2025-06-16", "", kiribati)
	if msg != "" || !got.Equal(time.Date(2025, 6, 17, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %v, %q", got, msg)
	}
	got, _, _ = Expiry("30d", "", "", kiribati)
	if got.Location() != time.UTC {
		t.Fatalf("preset not in UTC: %v", got)
	}
}
