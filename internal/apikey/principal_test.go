package apikey

import (
	"slices"
	"testing"
)

// The contract's permission table, role by role.
func TestRolePermissionTable(t *testing.T) {
	all := []Permission{ViewApiKey, ModifyApiKey, DeleteApiKey, RegenerateChromeKey, ManageUsers, ViewAudit}
	want := map[Role][]Permission{
		RoleGlobalAdmin:   all,
		RoleGlobalViewer:  {ViewApiKey, ViewAudit},
		RoleAccountViewer: {ViewApiKey},
		RoleSupport:       {ViewApiKey, RegenerateChromeKey},
	}
	for _, r := range Roles {
		for _, p := range all {
			expected := false
			for _, q := range want[r] {
				expected = expected || q == p
			}
			if r.Has(p) != expected {
				t.Errorf("%s has %s: %v, want %v", r, p, r.Has(p), expected)
			}
		}
	}
	if Role("root").Known() || Role("root").Has(ViewApiKey) {
		t.Error("unknown role grants something")
	}
}

func TestPrincipalAccountScope(t *testing.T) {
	// root → vendor → customer; other is a second vendor.
	root, vendor, customer, other := []string{"acc_root"}, []string{"acc_v", "acc_root"}, []string{"acc_c", "acc_v", "acc_root"}, []string{"acc_o", "acc_root"}
	scoped := &Principal{AccountID: "acc_c", Grants: []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"acc_v"}}}}
	if !scoped.CanIn(ViewApiKey, vendor) || !scoped.CanIn(ViewApiKey, customer) || scoped.CanIn(ViewApiKey, root) || scoped.CanIn(ViewApiKey, other) {
		t.Error("account-viewer scope: named account and below only")
	}
	if scoped.CanIn(ModifyApiKey, vendor) {
		t.Error("account-viewer may modify")
	}
	everywhere := &Principal{Grants: []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{AllAccounts}}}}
	if !everywhere.CanIn(ViewApiKey, other) {
		t.Error("all-accounts viewer refused")
	}
	support := &Principal{AccountID: "acc_v", Grants: []RoleGrant{{Role: RoleSupport}}}
	if !support.CanIn(RegenerateChromeKey, customer) || support.CanIn(ViewApiKey, root) || support.CanIn(ViewApiKey, other) {
		t.Error("support scope: own account and below only")
	}
	admin := UserPrincipal(&User{ID: "usr_1", Username: "root", Role: RoleGlobalAdmin, AccountID: "acc_c"})
	if !admin.CanIn(DeleteApiKey, other) || !admin.Can(ManageUsers) || !admin.HasRole(RoleGlobalAdmin) {
		t.Error("global admin refused somewhere")
	}
	var nobody *Principal
	if nobody.Can(ViewApiKey) || nobody.CanIn(ViewApiKey, root) || admin.CanIn(ViewApiKey, nil) {
		t.Error("nil principal or empty path allowed")
	}
}

func TestCovers(t *testing.T) {
	// Accounts: root → vendor → customer; support works in vendor.
	paths := map[string][]string{"root": {"root"}, "vendor": {"vendor", "root"}, "customer": {"customer", "vendor", "root"}}
	pathOf := func(id string) []string { return paths[id] }
	support := &Principal{Kind: PrincipalUser, AccountID: "vendor", Grants: []RoleGrant{{Role: RoleSupport}}}
	admin := &Principal{Kind: PrincipalUser, AccountID: "root", Grants: []RoleGrant{{Role: RoleGlobalAdmin}}}
	for _, c := range []struct {
		name    string
		grants  []RoleGrant
		keyIn   string
		support bool
	}{
		{"no roles", nil, "customer", true},
		{"support below", []RoleGrant{{Role: RoleSupport}}, "customer", true},
		{"support above", []RoleGrant{{Role: RoleSupport}}, "root", false},
		{"viewer of an account below", []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"customer"}}}, "customer", true},
		{"viewer of an account above", []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"root"}}}, "customer", false},
		{"viewer of a missing account", []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"gone"}}}, "customer", false},
		{"viewer of all accounts", []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{AllAccounts}}}, "customer", false},
		{"global viewer", []RoleGrant{{Role: RoleGlobalViewer}}, "customer", false},
		{"global admin", []RoleGrant{{Role: RoleGlobalAdmin}}, "customer", false},
	} {
		if got := support.Covers(c.grants, paths[c.keyIn], pathOf); got != c.support {
			t.Errorf("%s: support covers = %v, want %v", c.name, got, c.support)
		}
		if !admin.Covers(c.grants, paths[c.keyIn], pathOf) && c.name != "viewer of a missing account" {
			t.Errorf("%s: a Global Admin does not cover it", c.name)
		}
	}
}

func TestTops(t *testing.T) {
	support := &Principal{AccountID: "vendor", Grants: []RoleGrant{{Role: RoleSupport}}}
	if got := support.Tops(ViewApiKey); !slices.Equal(got, []string{"vendor"}) {
		t.Errorf("support in vendor starts at %v", got)
	}
	if got := support.Tops(ManageUsers); len(got) != 0 {
		t.Errorf("support manages users from %v", got)
	}
	viewer := &Principal{AccountID: "root", Grants: []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"shop", "customer"}}},
		OnBehalfOf: &Principal{AccountID: "customer", Grants: []RoleGrant{{Role: RoleSupport}}}}
	if got := viewer.Tops(ViewApiKey); !slices.Equal(got, []string{"customer", "shop"}) {
		t.Errorf("a viewer of shop and customer starts at %v", got)
	}
}
