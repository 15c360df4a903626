package validate

import (
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// goodKey is a valid key input; each case changes one thing.
func goodKey(change func(*KeyInput)) KeyInput {
	in := KeyInput{Name: "Shop", Type: "general"}
	if change != nil {
		change(&in)
	}
	return in
}

var keyCases = []struct {
	name           string
	in             KeyInput
	field, wantErr string
}{
	{name: "minimal", in: goodKey(nil)},
	{name: "type any case", in: goodKey(func(k *KeyInput) { k.Type = " Chrome " })},
	{name: "jwt", in: goodKey(func(k *KeyInput) { k.AccessType = "jwt" })},
	{name: "custom", in: goodKey(func(k *KeyInput) { k.AccessType = "custom"; k.CustomValue = goodCustom })},
	{name: "verify permission", in: goodKey(func(k *KeyInput) { k.AdvancedPermissions = []string{"verify", "", "verify"} })},
	{name: "no type", in: goodKey(func(k *KeyInput) { k.Type = "" }), field: "type", wantErr: "Choose a type: General, Embedded or Chrome."},
	{name: "unknown type", in: goodKey(func(k *KeyInput) { k.Type = "server" }), field: "type", wantErr: "Choose a type"},
	{name: "unknown access type", in: goodKey(func(k *KeyInput) { k.AccessType = "oauth" }), field: "access_type", wantErr: "generated, jwt or custom"},
	{name: "custom without value", in: goodKey(func(k *KeyInput) { k.AccessType = "custom" }), field: "custom_value", wantErr: "Enter the custom value"},
	{name: "custom value with generated", in: goodKey(func(k *KeyInput) { k.CustomValue = goodCustom }), field: "custom_value", wantErr: "used only when the secret is a custom value"},
	{name: "custom value with jwt", in: goodKey(func(k *KeyInput) { k.AccessType = "jwt"; k.CustomValue = goodCustom }), field: "custom_value", wantErr: "choose “Custom value”"},
	{name: "custom days with a preset", in: goodKey(func(k *KeyInput) { k.ExpiresIn = "180d"; k.CustomDays = "45" }), field: "custom_days", wantErr: "only for a custom expiry"},
	{name: "accounts without account viewer", in: goodKey(func(k *KeyInput) { k.Roles = []string{"support"}; k.RoleAccounts = []string{"all"} }), field: "role_accounts", wantErr: "Account Viewer"},
	{name: "custom too short", in: goodKey(func(k *KeyInput) { k.AccessType = "custom"; k.CustomValue = "Short1" }), field: "custom_value", wantErr: "at least 32"},
	{name: "unknown permission", in: goodKey(func(k *KeyInput) { k.AdvancedPermissions = []string{"admin"} }), field: "advanced_permissions", wantErr: "Unknown advanced permission “admin”; choose from: verify."},
	{name: "bad name", in: goodKey(func(k *KeyInput) { k.Name = " " }), field: "name", wantErr: "Enter a name."},
	{name: "bad role", in: goodKey(func(k *KeyInput) { k.Roles = []string{"root"} }), field: "roles", wantErr: "Unknown role"},
	{name: "viewer without accounts", in: goodKey(func(k *KeyInput) { k.Roles = []string{"account-viewer"} }), field: "role_accounts", wantErr: "Choose the accounts"},
	{name: "bad expiry", in: goodKey(func(k *KeyInput) { k.ExpiresIn = "forever" }), field: "expires_in", wantErr: "Choose when the key expires"},
	{name: "bad custom days", in: goodKey(func(k *KeyInput) { k.ExpiresIn = "custom"; k.CustomDays = "0" }), field: "custom_days", wantErr: "from 1 to 3650"},
	{name: "bad date", in: goodKey(func(k *KeyInput) { k.ExpiresIn = "custom"; k.ExpiresOn = "2025-06-15" }), field: "expires_on", wantErr: "after today"},
	{name: "bad IP", in: goodKey(func(k *KeyInput) { k.AllowedIPs = "10.0.0.1/8" }), field: "allowed_ips", wantErr: "the network is 10.0.0.0/8"},
	{name: "bad header", in: goodKey(func(k *KeyInput) { k.Headers = headers("Set-Cookie", "x") }), field: "response_headers", wantErr: "Header 1 “Set-Cookie”"},
}

func TestNewKey(t *testing.T) {
	for _, c := range keyCases {
		t.Run(c.name, func(t *testing.T) {
			s, secret, errs := NewKey(c.in, now)
			if c.wantErr == "" {
				if errs.Any() {
					t.Fatalf("refused: %v", errs)
				}
				if (s.AccessType == apikey.AccessCustom) != (secret != "") {
					t.Errorf("access type %q with secret %q", s.AccessType, secret)
				}
				return
			}
			if len(errs) != 1 {
				t.Errorf("want only %s, got %v", c.field, errs)
			}
			checkMsg(t, errs[c.field], c.wantErr)
		})
	}
}

func TestNewKeyValues(t *testing.T) {
	s, secret, errs := NewKey(KeyInput{
		Name: " Shop ", Type: "embedded", AccessType: "custom", CustomValue: " " + goodCustom + " ",
		Active: true, AllowUnauthenticated: true, AllowUntrustedEndpoints: true, AutoEndpointTrust: true,
		AdvancedPermissions: []string{"verify"},
		Roles:               []string{"account-viewer", "support"}, RoleAccounts: []string{"a1,a2"},
		ExpiresIn: "30d", AllowedIPs: "10.0.0.0/8", Headers: headers("X-Shop", "${key.name}"),
	}, now)
	if errs.Any() {
		t.Fatal(errs)
	}
	if secret != goodCustom || s.Name != "Shop" || s.Type != apikey.TypeEmbedded || s.AccessType != apikey.AccessCustom {
		t.Errorf("got %+v, secret %q", s, secret)
	}
	if !s.Active || !s.AllowUnauthenticated || !s.AllowUntrustedEndpoints || !s.AutoEndpointTrust {
		t.Errorf("flags lost: %+v", s)
	}
	if len(s.Roles) != 2 || strings.Join(s.Roles[0].Accounts, ",") != "a1,a2" || s.Roles[1].Accounts != nil {
		t.Errorf("roles %+v", s.Roles)
	}
	if !s.ExpiresAt.Equal(now.Add(days(30))) || len(s.AllowedIPs) != 1 || len(s.ResponseHeaders) != 1 || len(s.AdvancedPermissions) != 1 {
		t.Errorf("got %+v", s)
	}

	s, secret, _ = NewKey(goodKey(nil), now)
	if s.AccessType != apikey.AccessGenerated || secret != "" {
		t.Errorf("default access type %q, secret %q", s.AccessType, secret)
	}
}

// Every problem is reported in one go, so a form is fixed in one round.
func TestNewKeyReportsEveryField(t *testing.T) {
	in := KeyInput{
		Name: "", Type: "x", AccessType: "custom", CustomValue: "short",
		AdvancedPermissions: []string{"root"},
		Roles:               []string{"account-viewer"},
		ExpiresIn:           "custom", ExpiresOn: "2020-01-01",
		AllowedIPs: "300.0.0.1",
		Headers:    headers("Host", "x"),
	}
	s, secret, errs := NewKey(in, now)
	want := []string{"advanced_permissions", "allowed_ips", "custom_value", "expires_on", "name", "response_headers", "role_accounts", "type"}
	if got := strings.Join(errs.Fields(), " "); got != strings.Join(want, " ") {
		t.Fatalf("fields %q, want %q", got, want)
	}
	if s.Type != "" || s.Name != "" || secret != "" {
		t.Fatalf("values returned with errors: %+v %q", s, secret)
	}

	// An edit cannot change name, access type or custom value, so it does not check them.
	_, errs = KeyEdit(in, nil, now)
	for _, f := range []string{"name", "access_type", "custom_value"} {
		if _, ok := errs[f]; ok {
			t.Errorf("KeyEdit checked %s", f)
		}
	}
	if len(errs) != len(want)-2 {
		t.Errorf("KeyEdit fields %v", errs.Fields())
	}
}

func TestKeyEdit(t *testing.T) {
	s, errs := KeyEdit(KeyInput{
		Name: "\u202E", AccessType: "nonsense", CustomValue: "x",
		Type: "chrome", Active: true, ExpiresIn: "never", Roles: []string{"support"},
	}, nil, now)
	if errs.Any() {
		t.Fatal(errs)
	}
	if s.Name != "" || s.AccessType != "" || s.Type != apikey.TypeChrome || !s.Active || s.ExpiresAt != nil || len(s.Roles) != 1 {
		t.Fatalf("got %+v", s)
	}
}

func TestKeyEditKeepsExpiry(t *testing.T) {
	current := now.Add(17*time.Hour + 3*time.Second)
	s, errs := KeyEdit(KeyInput{Type: "general", ExpiresIn: "keep"}, &current, now)
	if errs.Any() || s.ExpiresAt == nil || !s.ExpiresAt.Equal(current) {
		t.Fatalf("keep: %v %v", s.ExpiresAt, errs)
	}
	s, errs = KeyEdit(KeyInput{Type: "general", ExpiresIn: "keep"}, nil, now)
	if errs.Any() || s.ExpiresAt != nil {
		t.Fatalf("keep never: %v %v", s.ExpiresAt, errs)
	}
	// keep is for edits only.
	if _, _, errs := NewKey(KeyInput{Name: "k", Type: "general", ExpiresIn: "keep"}, now); errs["expires_in"] == "" {
		t.Fatal("new key accepted keep")
	}
}
