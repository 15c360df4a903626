package apikey

import (
	"net/netip"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	exp := time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)
	old := Settings{Name: "k", Type: TypeGeneral, Active: true, Roles: []RoleGrant{{Role: RoleSupport}}}
	new := old
	new.Active = false
	new.ExpiresAt = &exp
	new.Roles = []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"acc_a"}}}
	new.AllowedIPs = []IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}}
	got := Diff(old, new)
	want := []Change{
		{"Active", "Yes", "No"},
		{"Roles", "Support", "Account Viewer (acc_a)"},
		{"Expires", "Never", "2027-01-02 00:00 UTC"},
		{"Allowed IPs", "Any address", "10.0.0.0/8"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if d := Diff(old, old); len(d) != 0 {
		t.Errorf("no change reported as %v", d)
	}
}
