package apikey

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	exp := time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)
	old := Settings{Name: "k", Type: TypeGeneral, Active: true, Roles: []RoleGrant{{Role: RoleSupport}}}
	new := old
	new.Active = false
	new.ExpiresAt = &exp
	new.Roles = []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"acc_a"}}}
	new.AllowedIPs = []IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}}
	got := Diff(old, new)
	want := []struct{ field, from, to string }{
		{FieldActive, `true`, `false`},
		{FieldRoles, `[{"role":"support"}]`, `[{"role":"account-viewer","accounts":["acc_a"]}]`},
		{FieldExpiresAt, `null`, `"2027-01-02T00:00:00Z"`},
		{FieldAllowedIPs, `[]`, `["10.0.0.0/8"]`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i, w := range want {
		if got[i].Field != w.field || string(got[i].From) != w.from || string(got[i].To) != w.to {
			t.Errorf("change %d: %s %s → %s, want %+v", i, got[i].Field, got[i].From, got[i].To, w)
		}
	}
	if d := Diff(old, old); len(d) != 0 {
		t.Errorf("no change reported as %v", d)
	}
	// The same roles in another order, or an expiry moved within its minute, are no change.
	a := Settings{Roles: []RoleGrant{{Role: RoleSupport}, {Role: RoleGlobalViewer}}, ExpiresAt: &exp}
	b := a
	later := exp.Add(30 * time.Second)
	b.Roles, b.ExpiresAt = []RoleGrant{{Role: RoleGlobalViewer}, {Role: RoleSupport}}, &later
	if d := Diff(a, b); len(d) != 0 {
		t.Errorf("reordered roles reported as %v", d)
	}
}

// TestChangeText: changes read at display time, account ids by the names
// given then; entries from before changes were data read as they did.
func TestChangeText(t *testing.T) {
	t.Parallel()
	names := func(id string) string {
		return map[string]string{"acc_AAAAAAAAAAAAAAAA": "Customer", "acc_BBBBBBBBBBBBBBBB": "Vendor"}[id]
	}
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		ch   Change
		want ChangeText
	}{
		{NewChange(FieldActive, true, false), ChangeText{"Active", "Yes", "No"}},
		{NewChange(FieldType, Type(""), TypeChrome), ChangeText{"Type", "", "Chrome"}},
		{NewChange(FieldExpiresAt, (*time.Time)(nil), &exp), ChangeText{"Expires", "Never", "2027-01-02 03:04 UTC"}},
		{NewChange(FieldRole, GrantData{Role: RoleSupport}, GrantData{Role: RoleAccountViewer, Accounts: []string{"acc_AAAAAAAAAAAAAAAA"}}),
			ChangeText{"Role", "Support", "Account Viewer (Customer)"}},
		{NewChange(FieldRoles, []GrantData{}, []GrantData{{Role: RoleAccountViewer, Accounts: []string{"acc_BBBBBBBBBBBBBBBB"}}}),
			ChangeText{"Roles", "None", "Account Viewer (Vendor)"}},
		{NewChange(FieldAccountID, "acc_AAAAAAAAAAAAAAAA", "acc_BBBBBBBBBBBBBBBB"), ChangeText{"Account", "Customer", "Vendor"}},
		{NewChange(FieldPreviousSecretUntil, nil, (*time.Time)(nil)), ChangeText{"Old secret accepted until", "", "No longer (stopped at once)"}},
		{NewChange(FieldEndpointTrust, nil, EndpointTrustData{EndpointID: "ep-1", Trusted: true}), ChangeText{"Endpoint ep-1 trusted", "", "Yes"}},
		{NewChange(FieldLocked, nil, LockData{Scope: LockAddress, Address: "192.0.2.1", Failures: 100, WindowSeconds: 900}),
			ChangeText{"Locked", "", "the address 192.0.2.1, for usernames that have not signed in from it (100 failures in 15m0s)"}},
		{NewChange(FieldResponseHeaders, []HeaderData{}, []HeaderData{{Name: "X-A", Value: "1", Excluded: true}}),
			ChangeText{"Response headers", "None", "X-A: 1 (excluded)"}},
	}
	for _, c := range cases {
		if !c.ch.Structured() {
			t.Errorf("%s not taken as data", c.ch.Field)
		}
		if got := c.ch.Text(names); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.ch.Field, got, c.want)
		}
	}
	roles := NewChange(FieldRoles, []GrantData{{Role: RoleAccountViewer, Accounts: []string{AllAccounts}}},
		[]GrantData{{Role: RoleAccountViewer, Accounts: []string{"acc_AAAAAAAAAAAAAAAA"}}})
	if ids := roles.AccountIDs(); len(ids) != 1 || ids[0] != "acc_AAAAAAAAAAAAAAAA" {
		t.Errorf("roles name accounts %v", ids)
	}
	var old []Change
	if err := json.Unmarshal([]byte(`[{"field":"Active","from":"Yes","to":"No"},{"field":"Role","from":"","to":"Account Viewer (acc_AAAAAAAAAAAAAAAA)"}]`), &old); err != nil {
		t.Fatal(err)
	}
	if old[0].Structured() || old[0].Text(names) != (ChangeText{"Active", "Yes", "No"}) {
		t.Errorf("old entry reads %+v", old[0].Text(names))
	}
	if got := old[1].Text(names); got != (ChangeText{"Role", "", "Account Viewer (Customer)"}) {
		t.Errorf("old role reads %+v", got)
	}
	if ids := old[1].AccountIDs(); len(ids) != 1 || ids[0] != "acc_AAAAAAAAAAAAAAAA" {
		t.Errorf("old role names accounts %v", ids)
	}
}

// TestOldLabelsAreNoIdentifiers: every label an entry was written with in
// words reads as words, never as data.
func TestOldLabelsAreNoIdentifiers(t *testing.T) {
	t.Parallel()
	for _, label := range []string{"Name", "Type", "Active", "Allow unauthenticated requests", "Allow untrusted endpoints",
		"Automatic endpoint trust", "Advanced permissions", "Roles", "Expires", "Allowed IPs", "Response headers", "Role",
		"Account", "Parent account", "Keys deleted with it", "Old secret accepted until", "Endpoint ep-1 trusted", "Locked"} {
		if (Change{Field: label}).Structured() {
			t.Errorf("old label %q taken for data", label)
		}
	}
}
