package validate

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"keyconsole/internal/apikey"
)

// checkIPEntries asserts what IPEntries promises, whatever the input.
func checkIPEntries(t *testing.T, entries []apikey.IPEntry, msg string) {
	t.Helper()
	if msg != "" {
		if entries != nil || !strings.Contains(msg, "Line ") {
			t.Fatalf("refusal %q with entries %v", msg, entries)
		}
		return
	}
	seen := map[string]bool{}
	for _, e := range entries {
		p := e.Prefix
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("prefix %v is not canonical", p)
		}
		if seen[p.String()] {
			t.Fatalf("prefix %v twice", p)
		}
		seen[p.String()] = true
		if e.Source == "" || e.Source != strings.TrimSpace(e.Source) || strings.ContainsAny(e.Source, "\r\n") {
			t.Fatalf("source %q", e.Source)
		}
		// The canonical spelling must read back as the same network.
		again, msg := IPEntries(p.String())
		if msg != "" || len(again) != 1 || again[0].Prefix != p {
			t.Fatalf("%v does not read back: %v %q", p, again, msg)
		}
	}
}

func FuzzIPEntries(f *testing.F) {
	for _, c := range ipCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		entries, msg := IPEntries(raw)
		checkIPEntries(t, entries, msg)
	})
}

// The fuzzer only makes strings, so lists travel joined by record and unit
// separators; no seed contains either.
const (
	listSep  = "\x1e"
	fieldSep = "\x1f"
)

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, listSep)
}

// addKey adds in as a seed of FuzzNewKey.
func addKey(f *testing.F, in KeyInput) {
	var flags uint8
	for i, b := range []bool{in.Active, in.AllowUnauthenticated, in.AllowUntrustedEndpoints, in.AutoEndpointTrust} {
		if b {
			flags |= 1 << i
		}
	}
	var hs []string
	for _, h := range in.Headers {
		excluded := ""
		if h.Excluded {
			excluded = "x"
		}
		hs = append(hs, h.Name+fieldSep+h.Value+fieldSep+excluded)
	}
	f.Add(in.Name, in.Type, in.AccessType, in.CustomValue, flags,
		strings.Join(in.AdvancedPermissions, listSep), strings.Join(in.Roles, listSep), strings.Join(in.RoleAccounts, listSep),
		in.ExpiresIn, in.ExpiresOn, in.CustomDays, in.AllowedIPs, strings.Join(hs, listSep))
}

// keySeeds turns every case of every table into a key input.
func keySeeds() []KeyInput {
	var seeds []KeyInput
	for _, c := range keyCases {
		seeds = append(seeds, c.in)
	}
	for _, c := range nameCases {
		seeds = append(seeds, goodKey(func(k *KeyInput) { k.Name = c.in }))
	}
	for _, c := range customCases {
		seeds = append(seeds, goodKey(func(k *KeyInput) { k.AccessType = "custom"; k.CustomValue = c.in }))
	}
	for _, c := range roleCases {
		seeds = append(seeds, goodKey(func(k *KeyInput) { k.Roles = c.roles; k.RoleAccounts = c.accounts }))
	}
	for _, c := range expiryCases {
		seeds = append(seeds, goodKey(func(k *KeyInput) { k.ExpiresIn = c.in; k.ExpiresOn = c.on; k.CustomDays = c.customDays }))
	}
	for _, c := range ipCases {
		seeds = append(seeds, goodKey(func(k *KeyInput) { k.AllowedIPs = c.in }))
	}
	for _, c := range headerCases {
		seeds = append(seeds, goodKey(func(k *KeyInput) { k.Headers = c.in }))
	}
	return seeds
}

var keyFields = map[string]bool{
	"name": true, "type": true, "access_type": true, "custom_value": true,
	"advanced_permissions": true, "roles": true, "role_accounts": true,
	"expires_in": true, "expires_on": true, "custom_days": true,
	"allowed_ips": true, "response_headers": true,
}

func FuzzNewKey(f *testing.F) {
	for _, in := range keySeeds() {
		addKey(f, in)
	}
	f.Fuzz(func(t *testing.T, name, typ, access, custom string, flags uint8,
		perms, roles, accounts, expiresIn, expiresOn, customDays, ips, hs string) {
		in := KeyInput{
			Name: name, Type: typ, AccessType: access, CustomValue: custom,
			Active: flags&1 != 0, AllowUnauthenticated: flags&2 != 0, AllowUntrustedEndpoints: flags&4 != 0, AutoEndpointTrust: flags&8 != 0,
			AdvancedPermissions: splitList(perms), Roles: splitList(roles), RoleAccounts: splitList(accounts),
			ExpiresIn: expiresIn, ExpiresOn: expiresOn, CustomDays: customDays, AllowedIPs: ips,
		}
		for _, h := range splitList(hs) {
			name, rest, _ := strings.Cut(h, fieldSep)
			value, excluded, _ := strings.Cut(rest, fieldSep)
			in.Headers = append(in.Headers, HeaderInput{Name: name, Value: value, Excluded: excluded != ""})
		}

		s, secret, errs := NewKey(in, now)
		for field, msg := range errs {
			if !keyFields[field] || msg == "" {
				t.Fatalf("error %q: %q", field, msg)
			}
		}
		edit, editErrs := KeyEdit(in, nil, now)
		for field := range keyFields {
			switch field {
			case "name", "access_type", "custom_value":
				if _, ok := editErrs[field]; ok {
					t.Fatalf("KeyEdit checked %s", field)
				}
			default:
				if editErrs[field] != errs[field] {
					t.Fatalf("%s: NewKey says %q, KeyEdit %q", field, errs[field], editErrs[field])
				}
			}
		}
		if errs.Any() {
			if !reflect.DeepEqual(s, apikey.Settings{}) || secret != "" {
				t.Fatalf("values with errors: %+v %q", s, secret)
			}
			return
		}
		if n := utf8.RuneCountInString(s.Name); s.Name != strings.TrimSpace(s.Name) || n < 1 || n > 100 ||
			strings.ContainsFunc(s.Name, func(r rune) bool { return unicode.Is(unicode.Cc, r) }) {
			t.Fatalf("name %q accepted", s.Name)
		}
		// Nothing typed is dropped for a choice that does not use it.
		if choice(expiresIn) != "custom" && strings.TrimSpace(customDays+expiresOn) != "" {
			t.Fatalf("custom expiry %q %q dropped for %q", customDays, expiresOn, expiresIn)
		}
		if s.AccessType != apikey.AccessCustom && strings.TrimSpace(custom) != "" {
			t.Fatalf("custom value dropped for %q", s.AccessType)
		}
		if (s.AccessType == apikey.AccessCustom) != (secret != "") || strings.HasPrefix(secret, "kc_") {
			t.Fatalf("access type %q with secret %q", s.AccessType, secret)
		}
		for _, g := range s.Roles {
			if !g.Role.Known() || (g.Role == apikey.RoleAccountViewer) != (len(g.Accounts) > 0) {
				t.Fatalf("grant %+v", g)
			}
		}
		if s.ExpiresAt != nil && !s.ExpiresAt.After(now) {
			t.Fatalf("expires at %v, before now", s.ExpiresAt)
		}
		if len(s.ResponseHeaders) > 20 {
			t.Fatalf("%d headers", len(s.ResponseHeaders))
		}
		checkIPEntries(t, s.AllowedIPs, "")
		edit.Name, edit.AccessType = s.Name, s.AccessType
		if !reflect.DeepEqual(edit, s) {
			t.Fatalf("KeyEdit %+v, NewKey %+v", edit, s)
		}
	})
}
