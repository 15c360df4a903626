// Package validate is the one validation package used by every entry point,
// HTML forms and the JSON API alike: raw input in, domain values or per-field
// messages out, worded for a person. Keeping the rules here means a form and
// an API call can never disagree about what is valid.
package validate

import (
	"maps"
	"slices"
)

// Errors maps a contract field name (e.g. "name", "allowed_ips",
// "expires_on", "custom_days", "roles", "role_accounts", "custom_value",
// "response_headers") to one message for a person.
type Errors map[string]string

// Add records msg for field unless the field already has a message; the first
// problem found is the one to fix first. An empty msg is ignored so that a
// check's result can be passed straight through.
func (e Errors) Add(field, msg string) {
	if msg == "" {
		return
	}
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// Any tells whether there is at least one message.
func (e Errors) Any() bool { return len(e) > 0 }

// Fields lists the fields with a message, sorted so JSON output is stable.
func (e Errors) Fields() []string { return slices.Sorted(maps.Keys(e)) }
