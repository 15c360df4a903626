package validate

import (
	"fmt"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

var roleCases = []struct {
	name            string
	roles, accounts []string
	want            string // fmt of the grants
	field, wantErr  string
}{
	{name: "no roles", want: "[]"},
	{name: "blank skipped", roles: []string{""}, want: "[]"},
	{name: "deduplicated in order", roles: []string{"support", " Global-Admin ", "support"}, want: "[{support []} {global-admin []}]"},
	{name: "accounts listed", roles: []string{"account-viewer"}, accounts: []string{"acc-1, acc_2\nacc3", "acc-1"}, want: "[{account-viewer [acc-1 acc_2 acc3]}]"},
	{name: "all", roles: []string{"account-viewer"}, accounts: []string{"ALL"}, want: "[{account-viewer [*]}]"},
	{name: "star", roles: []string{"account-viewer", "support"}, accounts: []string{"acc-1 *"}, want: "[{account-viewer [*]} {support []}]"},
	{name: "accounts refused without account-viewer", roles: []string{"support"}, accounts: []string{"acc-1"}, field: "role_accounts", wantErr: "only for the Account Viewer role"},
	{name: "blank accounts without account-viewer", roles: []string{"support"}, accounts: []string{" ", ""}, want: "[{support []}]"},
	{name: "unknown role", roles: []string{"superuser"}, field: "roles", wantErr: "Unknown role “superuser”; choose from: Global Admin (global-admin)"},
	{name: "no accounts", roles: []string{"account-viewer"}, field: "role_accounts", wantErr: "Choose the accounts this role may see, or All accounts."},
	{name: "only separators", roles: []string{"account-viewer"}, accounts: []string{" ,\n"}, field: "role_accounts", wantErr: "Choose the accounts"},
	{name: "bad account id", roles: []string{"account-viewer"}, accounts: []string{"acc-1 acc!2"}, field: "role_accounts", wantErr: "Account id “acc!2” is not valid"},
	{name: "long account id", roles: []string{"account-viewer"}, accounts: []string{strings.Repeat("a", 65)}, field: "role_accounts", wantErr: "1 to 64 letters, digits, _ or -"},
	{name: "bad id with all", roles: []string{"account-viewer"}, accounts: []string{"all", "é"}, field: "role_accounts", wantErr: "Account id “é” is not valid"},
	{name: "two bad ids", roles: []string{"account-viewer"}, accounts: []string{"a.b c.d"}, field: "role_accounts", wantErr: "Account ids “a.b” and “c.d” are not valid"},
	{name: "many bad ids", roles: []string{"account-viewer"}, accounts: []string{"a. b. c. d. e."}, field: "role_accounts", wantErr: "“a.”, “b.”, “c.” and 2 more are not valid"},
}

func TestRoleGrants(t *testing.T) {
	for _, c := range roleCases {
		t.Run(c.name, func(t *testing.T) {
			got, field, msg := roleGrants(c.roles, c.accounts)
			checkMsg(t, msg, c.wantErr)
			if field != c.field {
				t.Errorf("field %q, want %q", field, c.field)
			}
			if c.wantErr == "" && fmt.Sprint(got) != c.want {
				t.Errorf("got %v, want %s", got, c.want)
			}
			for _, g := range got {
				if g.Role != apikey.RoleAccountViewer && g.Accounts != nil {
					t.Errorf("%s has accounts %v", g.Role, g.Accounts)
				}
			}
		})
	}
}
