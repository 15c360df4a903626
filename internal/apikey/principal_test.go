package apikey

import "testing"

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
	scoped := &Principal{Grants: []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{"acc_a"}}}}
	if !scoped.CanIn(ViewApiKey, "acc_a") || scoped.CanIn(ViewApiKey, "acc_b") || scoped.CanIn(ModifyApiKey, "acc_a") {
		t.Error("account-viewer scope not applied")
	}
	everywhere := &Principal{Grants: []RoleGrant{{Role: RoleAccountViewer, Accounts: []string{AllAccounts}}}}
	if !everywhere.CanIn(ViewApiKey, "acc_b") {
		t.Error("all-accounts viewer refused")
	}
	admin := UserPrincipal(&User{ID: "usr_1", Username: "root", Role: RoleGlobalAdmin})
	if !admin.CanIn(DeleteApiKey, "acc_z") || !admin.Can(ManageUsers) || !admin.HasRole(RoleGlobalAdmin) {
		t.Error("admin refused")
	}
	var nobody *Principal
	if nobody.Can(ViewApiKey) || nobody.CanIn(ViewApiKey, "acc_a") {
		t.Error("nil principal allowed")
	}
}
