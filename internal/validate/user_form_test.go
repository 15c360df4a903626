package validate

import (
	"slices"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

func TestNewUser(t *testing.T) {
	u, errs := NewUser(UserInput{Username: " Alice ", Password: "a long enough pass", Role: "account-viewer", RoleAccounts: []string{"acc_a, acc_b"}})
	if errs.Any() || u.Username != "alice" || u.Role != apikey.RoleAccountViewer || !slices.Equal(u.RoleAccounts, []string{"acc_a", "acc_b"}) {
		t.Fatalf("%+v %v", u, errs)
	}
	cases := []struct {
		in    UserInput
		field string
		want  string
	}{
		{UserInput{Username: "", Password: "a long enough pass", Role: "support"}, "username", ""},
		{UserInput{Username: "bob", Password: "short", Role: "support"}, "password", ""},
		{UserInput{Username: "bob", Password: "a long enough pass", Role: ""}, "role", "Choose a role."},
		{UserInput{Username: "bob", Password: "a long enough pass", Role: "root"}, "role", "Unknown role"},
		{UserInput{Username: "bob", Password: "a long enough pass", Role: "account-viewer"}, "role_accounts", "Choose the accounts"},
		{UserInput{Username: "bob", Password: "a long enough pass", Role: "support", AccountID: "acc/../x"}, "account_id", "Choose an account"},
	}
	for _, c := range cases {
		u, errs := NewUser(c.in)
		if msg, ok := errs[c.field]; !ok || !strings.Contains(msg, c.want) {
			t.Errorf("%+v: errors %v, want %s ~ %q", c.in, errs, c.field, c.want)
		}
		if u.Username != "" || u.Password != "" {
			t.Errorf("%+v: values returned with errors", c.in)
		}
		if strings.Contains(errs["password"], c.in.Password) && c.in.Password != "" {
			t.Errorf("password echoed in message %q", errs["password"])
		}
	}
	r, accounts, errs := UserRole("global-viewer", []string{"acc_ignored"})
	if errs.Any() || r != apikey.RoleGlobalViewer || accounts != nil {
		t.Fatalf("role change: %v %v %v", r, accounts, errs)
	}
}
