package validate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"keyconsole/internal/apikey"
)

// KeyInput is a key as submitted, before any checking: the same shape whether
// it came from a form or from JSON.
type KeyInput struct {
	Name, Type, AccessType, CustomValue                                      string
	Active, AllowUnauthenticated, AllowUntrustedEndpoints, AutoEndpointTrust bool
	AdvancedPermissions                                                      []string
	Roles                                                                    []string
	// RoleAccounts are the account ids account-viewer may see; each element
	// may hold several ids separated by commas, spaces or newlines; "*" or
	// "all" (any case) means all accounts.
	RoleAccounts                     []string
	ExpiresIn, ExpiresOn, CustomDays string
	AllowedIPs                       string // one entry per line
	Headers                          []HeaderInput
}

// NewKey validates a key to be created. customSecret is the trimmed custom
// value when the access type is custom, else "". On any error the settings
// are zero, so nothing half-checked can be stored by mistake.
func NewKey(in KeyInput, now time.Time) (s apikey.Settings, customSecret string, errs Errors) {
	errs = Errors{}
	s = editable(in, now, errs)
	var msg string
	s.Name, msg = Name(in.Name)
	errs.Add("name", msg)
	s.AccessType, msg = accessType(in.AccessType)
	errs.Add("access_type", msg)
	switch {
	case s.AccessType == apikey.AccessCustom:
		customSecret, msg = CustomValue(in.CustomValue)
		errs.Add("custom_value", msg)
	case s.AccessType != "" && strings.TrimSpace(in.CustomValue) != "":
		// A value typed under another choice would be dropped unseen.
		errs.Add("custom_value", CustomValueUnused)
	}
	if errs.Any() {
		return apikey.Settings{}, "", errs
	}
	return s, customSecret, errs
}

// CustomValueUnused refuses a custom value given with another kind of secret.
const CustomValueUnused = "A custom value is used only when the secret is a custom value: choose “Custom value”, or clear this field."

// ExpiryKeep, as expires_in of an edit, leaves the expiry as it is, to the
// second: re-entering it as a date would round it.
const ExpiryKeep = "keep"

// KeyEdit validates an edit: every field except name, access type and custom
// value, which cannot change after creation; s.Name and s.AccessType are left
// empty for the caller to keep from the stored key. current is the stored
// expiry, kept when expires_in is ExpiryKeep.
func KeyEdit(in KeyInput, current *time.Time, now time.Time) (apikey.Settings, Errors) {
	errs := Errors{}
	keep := choice(in.ExpiresIn) == ExpiryKeep
	if keep {
		in.ExpiresIn = "never"
	}
	s := editable(in, now, errs)
	if errs.Any() {
		return apikey.Settings{}, errs
	}
	if keep {
		s.ExpiresAt = current
	}
	return s, errs
}

// editable checks the fields that creation and edits share.
func editable(in KeyInput, now time.Time, errs Errors) apikey.Settings {
	s := apikey.Settings{
		Active:                  in.Active,
		AllowUnauthenticated:    in.AllowUnauthenticated,
		AllowUntrustedEndpoints: in.AllowUntrustedEndpoints,
		AutoEndpointTrust:       in.AutoEndpointTrust,
	}
	var field, msg string
	s.Type, msg = keyType(in.Type)
	errs.Add("type", msg)
	s.AdvancedPermissions, msg = advancedPermissions(in.AdvancedPermissions)
	errs.Add("advanced_permissions", msg)
	s.Roles, field, msg = roleGrants(in.Roles, in.RoleAccounts)
	errs.Add(field, msg)
	s.ExpiresAt, field, msg = Expiry(in.ExpiresIn, in.ExpiresOn, in.CustomDays, now)
	errs.Add(field, msg)
	s.AllowedIPs, msg = IPEntries(in.AllowedIPs)
	errs.Add("allowed_ips", msg)
	s.ResponseHeaders, msg = ResponseHeaders(in.Headers)
	errs.Add("response_headers", msg)
	return s
}

// choice normalises a value picked from a fixed list: forms send it as is,
// but API clients may add spaces or capitals.
func choice(raw string) string { return strings.ToLower(strings.TrimSpace(raw)) }

func keyType(raw string) (apikey.Type, string) {
	t := apikey.Type(choice(raw))
	if slices.Contains(apikey.Types, t) {
		return t, ""
	}
	labels := make([]string, len(apikey.Types))
	for i, t := range apikey.Types {
		labels[i] = t.Label()
	}
	return "", "Choose a type: " + oneOf(labels) + "."
}

func accessType(raw string) (apikey.AccessType, string) {
	a := apikey.AccessType(choice(raw))
	if a == "" {
		return apikey.AccessGenerated, ""
	}
	if slices.Contains(apikey.AccessTypes, a) {
		return a, ""
	}
	return "", "Choose how the secret is made: generated, jwt or custom."
}

// advancedPermissions skips blank entries: a form may send an empty hidden
// field so that unticking every box still submits the field.
func advancedPermissions(raw []string) ([]string, string) {
	var out []string
	for _, p := range raw {
		p = choice(p)
		if p == "" || slices.Contains(out, p) {
			continue
		}
		if !slices.Contains(apikey.AdvancedPermissions, p) {
			return nil, fmt.Sprintf("Unknown advanced permission %s; choose from: %s.", quote(p), oneOf(apikey.AdvancedPermissions))
		}
		out = append(out, p)
	}
	return out, ""
}
