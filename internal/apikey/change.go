package apikey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Change is one field before and after a change, as data: Field is one
// of the Field* identifiers, From and To its values as JSON (absent: no
// value on that side). Text renders it when it is shown, so names are
// those of the day it is read.
//
// Entries written before changes were data hold a label in Field ("Allowed
// IPs") and words in From and To ("Yes"); the audit trail's hash covers
// them as stored, so they stay, and Text shows them as they were shown.
type Change struct {
	Field string          `json:"field"`
	From  json.RawMessage `json:"from,omitempty"`
	To    json.RawMessage `json:"to,omitempty"`
}

// Field identifiers of structured changes. Labels of old entries all start
// with a capital letter, so none of them is taken for one of these.
const (
	FieldName                    = "name"                      // string
	FieldType                    = "type"                      // Type
	FieldActive                  = "active"                    // bool
	FieldAllowUnauthenticated    = "allow_unauthenticated"     // bool
	FieldAllowUntrustedEndpoints = "allow_untrusted_endpoints" // bool
	FieldAutoEndpointTrust       = "auto_endpoint_trust"       // bool
	FieldAdvancedPermissions     = "advanced_permissions"      // []string, sorted
	FieldRoles                   = "roles"                     // []GrantData
	FieldExpiresAt               = "expires_at"                // RFC 3339 time, null: never
	FieldAllowedIPs              = "allowed_ips"               // []string prefixes
	FieldResponseHeaders         = "response_headers"          // []HeaderData
	FieldRole                    = "role"                      // GrantData (a user's role)
	FieldAccountID               = "account_id"                // account id (a key's account)
	FieldParentID                = "parent_id"                 // account id (an account's parent)
	FieldDeletedKeys             = "deleted_keys"              // []string key names
	FieldPreviousSecretUntil     = "previous_secret_until"     // RFC 3339 time, null: stopped at once
	FieldEndpointTrust           = "endpoint_trust"            // EndpointTrustData
	FieldLocked                  = "locked"                    // LockData
	FieldMustChangePassword      = "must_change_password"      // bool
	FieldAPIKey                  = "api_key"                   // KeyRef: the key an app signed a user in through
)

// GrantData is a role grant as a change records it: the role's id and the
// ids of the accounts it is limited to.
type GrantData struct {
	Role     Role     `json:"role"`
	Accounts []string `json:"accounts,omitempty"`
}

// HeaderData is a response header as a change records it.
type HeaderData struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Excluded bool   `json:"excluded,omitempty"`
}

// EndpointTrustData is an endpoint of a key and whether it is trusted.
type EndpointTrustData struct {
	EndpointID string `json:"endpoint_id"`
	Trusted    bool   `json:"trusted"`
}

// KeyRef names a key as a change records it: by id, and by the name it
// had then, which stays readable after the key is gone.
type KeyRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Lock-out scopes: what repeated sign-in failures locked.
const (
	LockUsername = "username"
	LockAddress  = "address"
)

// LockData is a sign-in lock-out: what it locks, after how many failures
// within how many seconds.
type LockData struct {
	Scope         string `json:"scope"`             // LockUsername or LockAddress
	Address       string `json:"address,omitempty"` // the address locked, for LockAddress
	Failures      int    `json:"failures"`
	WindowSeconds int64  `json:"window_seconds"`
}

// NewChange is a change of field from one value to another; a nil value
// leaves that side out (a nil *time.Time is a time that is null). Times
// are kept to the second, in UTC.
func NewChange(field string, from, to any) Change {
	return Change{Field: field, From: changeValue(from), To: changeValue(to)}
}

func changeValue(v any) json.RawMessage {
	switch t := v.(type) {
	case nil:
		return nil
	case *time.Time:
		v = timeOf(t)
	case time.Time:
		v = timeOf(&t)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("audit change value %T: %v", v, err)) // only plain data is passed
	}
	return b
}

// GrantOf is a role grant as a change records it: accounts only where the
// role is limited to some, all of them as AllAccounts, so that grants that
// mean the same record the same.
func GrantOf(g RoleGrant) GrantData {
	switch {
	case g.Role != RoleAccountViewer:
		return GrantData{Role: g.Role}
	case g.AllowsAllAccounts():
		return GrantData{Role: g.Role, Accounts: []string{AllAccounts}}
	}
	return GrantData{Role: g.Role, Accounts: g.Accounts}
}

// grantsOf is a key's roles as a change records them, in one order
// whatever the order they were given in.
func grantsOf(grants []RoleGrant) []GrantData {
	out := make([]GrantData, len(grants))
	for i, g := range grants {
		out[i] = GrantOf(g)
	}
	slices.SortFunc(out, func(a, b GrantData) int {
		if c := strings.Compare(string(a.Role), string(b.Role)); c != 0 {
			return c
		}
		return slices.Compare(a.Accounts, b.Accounts)
	})
	return out
}

func sortedList(items []string) []string {
	s := append([]string{}, items...)
	slices.Sort(s)
	return s
}

func prefixesOf(entries []IPEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Prefix.String()
	}
	return out
}

func headersOf(hs []Header) []HeaderData {
	out := make([]HeaderData, len(hs))
	for i, h := range hs {
		out[i] = HeaderData{Name: h.Name, Value: h.Value, Excluded: h.Excluded}
	}
	return out
}

// timeOf is a time as a change records it: to the second, in UTC; nil
// stays nil (JSON null).
func timeOf(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// Diff lists what differs between two settings, field by field, in the
// form's order.
func Diff(old, new Settings) []Change {
	var out []Change
	add := func(field string, from, to any) {
		if ch := NewChange(field, from, to); !bytes.Equal(ch.From, ch.To) {
			out = append(out, ch)
		}
	}
	add(FieldName, old.Name, new.Name)
	add(FieldType, old.Type, new.Type)
	add(FieldActive, old.Active, new.Active)
	add(FieldAllowUnauthenticated, old.AllowUnauthenticated, new.AllowUnauthenticated)
	add(FieldAllowUntrustedEndpoints, old.AllowUntrustedEndpoints, new.AllowUntrustedEndpoints)
	add(FieldAutoEndpointTrust, old.AutoEndpointTrust, new.AutoEndpointTrust)
	add(FieldAdvancedPermissions, sortedList(old.AdvancedPermissions), sortedList(new.AdvancedPermissions))
	add(FieldRoles, grantsOf(old.Roles), grantsOf(new.Roles))
	if !sameMinute(old.ExpiresAt, new.ExpiresAt) {
		out = append(out, NewChange(FieldExpiresAt, old.ExpiresAt, new.ExpiresAt))
	}
	add(FieldAllowedIPs, prefixesOf(old.AllowedIPs), prefixesOf(new.AllowedIPs))
	add(FieldResponseHeaders, headersOf(old.ResponseHeaders), headersOf(new.ResponseHeaders))
	return out
}

// sameMinute tells whether two expiries (nil: never) read the same: shown
// to the minute, one moved by seconds has not changed.
func sameMinute(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Truncate(time.Minute).Equal(b.Truncate(time.Minute))
}

// ChangeText is a change as people read it.
type ChangeText struct {
	Label, From, To string
}

// changeKind is how a structured field reads: its label, how each value
// reads, and the accounts the value names by id.
type changeKind struct {
	label    func(ch Change) string
	text     func(raw json.RawMessage, accountName func(id string) string) string
	accounts func(raw json.RawMessage) []string
}

func fixed(label string) func(Change) string { return func(Change) string { return label } }

var changeKinds = map[string]changeKind{
	FieldName:                    {label: fixed("Name"), text: asText(func(s string) string { return s })},
	FieldType:                    {label: fixed("Type"), text: asText(func(t Type) string { return t.Label() })},
	FieldActive:                  {label: fixed("Active"), text: asText(yesNo)},
	FieldAllowUnauthenticated:    {label: fixed("Allow unauthenticated requests"), text: asText(yesNo)},
	FieldAllowUntrustedEndpoints: {label: fixed("Allow untrusted endpoints"), text: asText(yesNo)},
	FieldAutoEndpointTrust:       {label: fixed("Automatic endpoint trust"), text: asText(yesNo)},
	FieldAdvancedPermissions:     {label: fixed("Advanced permissions"), text: asText(listOrNone)},
	FieldRoles:                   {label: fixed("Roles"), text: grantsText, accounts: grantsAccounts},
	FieldExpiresAt:               {label: fixed("Expires"), text: asText(ExpiryText)},
	FieldAllowedIPs:              {label: fixed("Allowed IPs"), text: asText(ipsText)},
	FieldResponseHeaders: {label: fixed("Response headers"), text: asText(func(hs []HeaderData) string {
		out := make([]Header, len(hs))
		for i, h := range hs {
			out[i] = Header(h)
		}
		return HeadersText(out)
	})},
	FieldRole:        {label: fixed("Role"), text: grantText, accounts: grantAccounts},
	FieldAccountID:   {label: fixed("Account"), text: accountText, accounts: accountIDOf},
	FieldParentID:    {label: fixed("Parent account"), text: accountText, accounts: accountIDOf},
	FieldDeletedKeys: {label: fixed("Keys deleted with it"), text: asText(func(names []string) string { return strings.Join(names, ", ") })},
	FieldPreviousSecretUntil: {label: fixed("Old secret accepted until"), text: asText(func(t *time.Time) string {
		if t == nil {
			return "No longer (stopped at once)"
		}
		return ExpiryText(t)
	})},
	FieldEndpointTrust: {label: func(ch Change) string {
		var e EndpointTrustData
		decode(ch.To, &e)
		return "Endpoint " + e.EndpointID + " trusted"
	}, text: asText(func(e EndpointTrustData) string { return yesNo(e.Trusted) })},
	FieldLocked:             {label: fixed("Locked"), text: asText(lockText)},
	FieldMustChangePassword: {label: fixed("Must choose a new password at sign-in"), text: asText(yesNo)},
	FieldAPIKey:             {label: fixed("Through API key"), text: asText(func(k KeyRef) string { return k.Name })},
}

// Structured tells a change recorded as data from one recorded in words
// (before changes were data).
func (ch Change) Structured() bool {
	_, ok := changeKinds[ch.Field]
	return ok
}

// Text is the change in words, the accounts it names by id shown by
// accountName; a side without a value reads "".
func (ch Change) Text(accountName func(id string) string) ChangeText {
	kind, ok := changeKinds[ch.Field]
	if !ok {
		return legacyText(ch, accountName)
	}
	side := func(raw json.RawMessage) string {
		if len(raw) == 0 {
			return ""
		}
		return kind.text(raw, accountName)
	}
	return ChangeText{Label: kind.label(ch), From: side(ch.From), To: side(ch.To)}
}

// AccountIDs are the accounts the change names by id.
func (ch Change) AccountIDs() []string {
	kind, ok := changeKinds[ch.Field]
	switch {
	case !ok && legacyRoleFields[ch.Field]:
		return legacyAccountID.FindAllString(jsonString(ch.From)+" "+jsonString(ch.To), -1)
	case !ok || kind.accounts == nil:
		return nil
	}
	ids := append(kind.accounts(ch.From), kind.accounts(ch.To)...)
	return slices.DeleteFunc(ids, func(id string) bool { return id == AllAccounts })
}

// asText reads a value as T and puts it in words; a value that cannot be
// read shows as stored rather than hiding the entry.
func asText[T any](words func(T) string) func(json.RawMessage, func(string) string) string {
	return func(raw json.RawMessage, _ func(string) string) string {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return string(raw)
		}
		return words(v)
	}
}

// decode reads raw into v; what cannot be read stays v's zero value.
func decode(raw json.RawMessage, v any) {
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, v)
	}
}

func grantText(raw json.RawMessage, name func(string) string) string {
	var g GrantData
	if err := json.Unmarshal(raw, &g); err != nil {
		return string(raw)
	}
	return RoleGrant(g).Text(name)
}

func grantAccounts(raw json.RawMessage) []string {
	var g GrantData
	decode(raw, &g)
	return g.Accounts
}

func grantsAccounts(raw json.RawMessage) []string {
	var gs []GrantData
	decode(raw, &gs)
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.Accounts...)
	}
	return ids
}

func grantsText(raw json.RawMessage, name func(string) string) string {
	var gs []GrantData
	if err := json.Unmarshal(raw, &gs); err != nil {
		return string(raw)
	}
	grants := make([]RoleGrant, len(gs))
	for i, g := range gs {
		grants[i] = RoleGrant(g)
	}
	return RolesTextNamed(grants, name)
}

func accountText(raw json.RawMessage, name func(string) string) string {
	return name(jsonString(raw))
}

func accountIDOf(raw json.RawMessage) []string {
	if id := jsonString(raw); id != "" {
		return []string{id}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func lockText(l LockData) string {
	window := time.Duration(l.WindowSeconds) * time.Second
	if l.Scope == LockAddress {
		return fmt.Sprintf("the address %s, for usernames that have not signed in from it (%d failures in %s)", l.Address, l.Failures, window)
	}
	return fmt.Sprintf("the username, from addresses it has not signed in from (%d failures in %s)", l.Failures, window)
}

// legacyRoleFields are the old labels whose words name accounts by id (a
// role's scope): those ids are shown by name too.
var legacyRoleFields = map[string]bool{"Role": true, "Roles": true}

// legacyAccountID is how account ids look (NewID("acc")).
var legacyAccountID = regexp.MustCompile(`\bacc_[0-9A-Za-z]{16}\b`)

// legacyText is an entry recorded in words, shown as it always was.
func legacyText(ch Change, accountName func(string) string) ChangeText {
	t := ChangeText{Label: ch.Field, From: jsonString(ch.From), To: jsonString(ch.To)}
	if legacyRoleFields[ch.Field] {
		t.From = legacyAccountID.ReplaceAllStringFunc(t.From, accountName)
		t.To = legacyAccountID.ReplaceAllStringFunc(t.To, accountName)
	}
	return t
}

// jsonString reads a JSON string; anything else shows as stored.
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw)
	}
	return s
}
