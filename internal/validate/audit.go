package validate

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuditInput is the audit log's query as received.
type AuditInput struct {
	Actor, Key, Action, From, To, Page string
}

// AuditQuery is a checked audit query; To is the day after the "to" date,
// so that the whole day is included.
type AuditQuery struct {
	Actor, Key, Action string
	From, To           *time.Time
	Page               int
}

// AuditFilter checks the audit log's filters. Dates are YYYY-MM-DD (UTC);
// a date range that ends before it starts is refused.
func AuditFilter(in AuditInput, actions []string) (AuditQuery, Errors) {
	errs := Errors{}
	q := AuditQuery{Actor: strings.TrimSpace(in.Actor), Key: strings.TrimSpace(in.Key), Page: 1}
	if r := []rune(q.Actor); len(r) > maxSearchLen {
		q.Actor = string(r[:maxSearchLen])
	}
	if r := []rune(q.Key); len(r) > maxSearchLen {
		q.Key = string(r[:maxSearchLen])
	}
	if a := strings.TrimSpace(in.Action); a != "" {
		if slices.Contains(actions, a) {
			q.Action = a
		} else {
			errs.Add("action", "Choose an action from the list.")
		}
	}
	day := func(field, raw string, next bool) *time.Time {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil
		}
		t, err := time.Parse("2006-01-02", raw)
		if err != nil {
			errs.Add(field, "Enter a date as YYYY-MM-DD, such as 2026-03-31.")
			return nil
		}
		if next {
			t = t.AddDate(0, 0, 1)
		}
		return &t
	}
	q.From, q.To = day("from", in.From, false), day("to", in.To, true)
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		errs.Add("to", "The end date is before the start date.")
	}
	if n, err := strconv.Atoi(in.Page); err == nil && n >= 1 && n <= 1_000_000 {
		q.Page = n
	}
	return q, errs
}
