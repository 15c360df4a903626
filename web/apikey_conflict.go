package web

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"io"
	"net/url"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// An edit form carries the key as it was filled from it (field base), so
// that when someone else saves first the form can come back with what they
// changed, field by field, and the user's own changes re-applied on top.

// editField is one field of the edit form as a conflict compares it: its
// identifier in apikey.Diff, its form field, and how to copy it between inputs.
type editField struct {
	field, name string
	copy        func(dst *validate.KeyInput, src validate.KeyInput)
}

var editFields = []editField{
	{apikey.FieldType, "type", func(d *validate.KeyInput, s validate.KeyInput) { d.Type = s.Type }},
	{apikey.FieldActive, "active", func(d *validate.KeyInput, s validate.KeyInput) { d.Active = s.Active }},
	{apikey.FieldAllowUnauthenticated, "allow_unauthenticated", func(d *validate.KeyInput, s validate.KeyInput) { d.AllowUnauthenticated = s.AllowUnauthenticated }},
	{apikey.FieldAllowUntrustedEndpoints, "allow_untrusted_endpoints", func(d *validate.KeyInput, s validate.KeyInput) { d.AllowUntrustedEndpoints = s.AllowUntrustedEndpoints }},
	{apikey.FieldAutoEndpointTrust, "auto_endpoint_trust", func(d *validate.KeyInput, s validate.KeyInput) { d.AutoEndpointTrust = s.AutoEndpointTrust }},
	{apikey.FieldAdvancedPermissions, "advanced_permissions", func(d *validate.KeyInput, s validate.KeyInput) { d.AdvancedPermissions = s.AdvancedPermissions }},
	{apikey.FieldRoles, "roles", func(d *validate.KeyInput, s validate.KeyInput) { d.Roles, d.RoleAccounts = s.Roles, s.RoleAccounts }},
	{apikey.FieldExpiresAt, "expires_in", func(d *validate.KeyInput, s validate.KeyInput) {
		d.ExpiresIn, d.ExpiresOn, d.CustomDays = s.ExpiresIn, s.ExpiresOn, s.CustomDays
	}},
	{apikey.FieldAllowedIPs, "allowed_ips", func(d *validate.KeyInput, s validate.KeyInput) { d.AllowedIPs = s.AllowedIPs }},
	{apikey.FieldResponseHeaders, "response_headers", func(d *validate.KeyInput, s validate.KeyInput) { d.Headers = s.Headers }},
}

// editBase is the base field of an edit form filled from k: its settings
// as the form posts them, and its expiry to the nanosecond, which "keep"
// stands for in the form. Compressed, and in characters a form posts as
// they are, so that it adds little to the body a save may send.
func editBase(k *apikey.Key) string {
	v := keyValues(keyInputFromKey(k))
	if k.ExpiresAt != nil {
		v.Set("expires_at", k.ExpiresAt.Format(time.RFC3339Nano))
	}
	var packed bytes.Buffer
	w, _ := flate.NewWriter(&packed, flate.BestCompression) // the level is valid
	io.WriteString(w, v.Encode())
	w.Close()
	return base64.RawURLEncoding.EncodeToString(packed.Bytes())
}

// maxBase bounds what a base field unpacks to: a form's body is far smaller.
const maxBase = 1 << 20

// baseSettings reads a base field back into settings; false when there is
// none or it cannot be read (a form from elsewhere), so nothing is known of
// what the user saw.
func baseSettings(raw string, now time.Time) (apikey.Settings, bool) {
	packed, err := base64.RawURLEncoding.DecodeString(raw)
	if raw == "" || err != nil {
		return apikey.Settings{}, false
	}
	plain, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(packed)), maxBase))
	if err != nil {
		return apikey.Settings{}, false
	}
	v, err := url.ParseQuery(string(plain))
	if err != nil {
		return apikey.Settings{}, false
	}
	var expires *time.Time
	if at := v.Get("expires_at"); at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return apikey.Settings{}, false
		}
		expires = &t
	}
	in := keyInputFromValues(v)
	in.ExpiresIn = validate.ExpiryKeep
	s, errs := validate.KeyEdit(in, expires, now)
	return s, !errs.Any()
}

// conflictForm is the edit form after someone else saved key cur first:
// cur's values with the fields the user changed (typed, read from the form
// whose base is raw) on top, the list of what the other admin changed, and
// a flag on each field both changed, where the user's value is kept.
func conflictForm(cur *apikey.Key, rawBase string, typed validate.KeyInput, now time.Time) view.KeyForm {
	theirs, yours := conflictChanges(cur, rawBase, typed, now)
	merged := keyInputFromKey(cur)
	var changes []view.FieldChange
	flags := map[string]string{}
	for _, f := range editFields {
		t, theyChanged := theirs[f.field]
		y, youChanged := yours[f.field]
		if youChanged {
			f.copy(&merged, typed)
		}
		if !theyChanged {
			continue
		}
		ch := view.FieldChange{Label: t.Label, From: t.From, To: t.To}
		if youChanged && y.To != t.To {
			ch.Yours = y.To
			flags[f.name] = "Saved meanwhile by " + cur.UpdatedBy + " as “" + t.To + "”. Your value is kept here: check it before saving."
		}
		changes = append(changes, ch)
	}
	f := keyFormFromInput(merged)
	f.Edit, f.KeyName, f.CurrentExpiry = true, cur.Name, apikey.ExpiryText(cur.ExpiresAt)
	f.Changes, f.Flags = changes, flags
	return f
}

// conflictChanges are, by field, what the other admin changed since the
// form's base and what the user changed, in words. Without a base, every
// field where the user's value differs from the stored one counts as
// changed by both.
func conflictChanges(cur *apikey.Key, rawBase string, typed validate.KeyInput, now time.Time) (theirs, yours map[string]apikey.ChangeText) {
	base, known := baseSettings(rawBase, now)
	baseExpiry := cur.ExpiresAt
	if known {
		baseExpiry = base.ExpiresAt
	}
	mine, _ := validate.KeyEdit(typed, baseExpiry, now) // checked already
	mine.Name, mine.AccessType = cur.Name, cur.AccessType
	if !known {
		theirs, yours = map[string]apikey.ChangeText{}, map[string]apikey.ChangeText{}
		for _, ch := range apikey.Diff(mine, cur.Settings) {
			t := ch.Text(sameAccountID)
			theirs[ch.Field] = apikey.ChangeText{Label: t.Label, To: t.To}
			yours[ch.Field] = apikey.ChangeText{Label: t.Label, To: t.From}
		}
		return theirs, yours
	}
	base.Name, base.AccessType = cur.Name, cur.AccessType
	return byField(apikey.Diff(base, cur.Settings)), byField(apikey.Diff(base, mine))
}

func byField(changes []apikey.Change) map[string]apikey.ChangeText {
	out := map[string]apikey.ChangeText{}
	for _, ch := range changes {
		out[ch.Field] = ch.Text(sameAccountID)
	}
	return out
}

// sameAccountID shows an account by its id, as the edit form's roles name it.
func sameAccountID(id string) string { return id }
