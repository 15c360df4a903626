package validate

import (
	"strings"
	"testing"
)

var usernameCases = []struct{ in, want, wantErr string }{
	{in: " Admin.User@example-1_x ", want: "admin.user@example-1_x"},
	{in: "bob", want: "bob"},
	{in: strings.Repeat("a", 64), want: strings.Repeat("a", 64)},
	{in: "", wantErr: "Enter a username."},
	{in: "  ", wantErr: "Enter a username."},
	{in: "ab", wantErr: "3 to 64 characters"},
	{in: strings.Repeat("a", 65), wantErr: "3 to 64 characters"},
	{in: "bob smith", wantErr: "may only use letters, digits and . _ - @"},
	{in: "bob+1", wantErr: "may only use letters"},
	{in: "josé", wantErr: "may only use letters"},
	{in: "\u212Aim", wantErr: "may only use letters"}, // Kelvin sign lowercases to k
}

func TestUsername(t *testing.T) {
	for _, c := range usernameCases {
		got, msg := Username(c.in)
		checkMsg(t, msg, c.wantErr)
		if got != c.want {
			t.Errorf("Username(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

var passwordCases = []struct{ in, wantErr string }{
	{in: "correct horse"},
	{in: "abcdefghijkl"},
	{in: " spaces kept "},
	{in: strings.Repeat("é", 11) + "x"},
	{in: strings.Repeat("ab", 128)},
	{in: "", wantErr: "Enter a password."},
	{in: "abcdefghijk", wantErr: "at least 12 characters"},
	{in: strings.Repeat("ab", 128) + "c", wantErr: "at most 256 characters"},
	{in: strings.Repeat("a", 20), wantErr: "must not be one character repeated"},
	{in: strings.Repeat(" ", 12), wantErr: "must not be one character repeated"},
	{in: strings.Repeat("\xff", 12), wantErr: "not valid text (UTF-8)"},
}

func TestPassword(t *testing.T) {
	for _, c := range passwordCases {
		msg := Password(c.in)
		checkMsg(t, msg, c.wantErr)
		if msg != "" && strings.TrimSpace(c.in) != "" && strings.Contains(msg, c.in) {
			t.Errorf("message repeats the password: %q", msg)
		}
	}
}

var versionCases = []struct {
	in      string
	want    int
	wantErr string
}{
	{in: "1", want: 1},
	{in: " 42 ", want: 42},
	{in: "", wantErr: "This form is out of date; reload the page."},
	{in: "0", wantErr: "out of date"},
	{in: "-1", wantErr: "out of date"},
	{in: "+1", wantErr: "out of date"},
	{in: "1.5", wantErr: "out of date"},
	{in: "abc", wantErr: "out of date"},
	{in: "99999999999999999999999", wantErr: "out of date"},
}

func TestVersion(t *testing.T) {
	for _, c := range versionCases {
		got, msg := Version(c.in)
		checkMsg(t, msg, c.wantErr)
		if got != c.want {
			t.Errorf("Version(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestSignInFields(t *testing.T) {
	if errs := SignIn(" ", ""); errs["username"] == "" || errs["password"] == "" {
		t.Errorf("blank sign-in: %v", errs)
	}
	if errs := SignIn("ada", "pw"); errs.Any() {
		t.Errorf("complete sign-in: %v", errs)
	}
	if errs := RefreshToken(""); errs["refresh_token"] == "" {
		t.Errorf("blank refresh: %v", errs)
	}
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	const good = "a-good-new-password"
	for _, c := range []struct{ current, password, confirm, field string }{
		{"", good, good, "current_password"},
		{"old-password-here", "short", "short", "password"},
		{"old-password-here", good, good + "x", "password_confirm"},
		{good, good, good, "password"},
		{"old-password-here", good, good, ""},
	} {
		errs := PasswordChange(c.current, c.password, c.confirm)
		if c.field == "" && errs.Any() || c.field != "" && errs[c.field] == "" {
			t.Errorf("%+v: %v", c, errs)
		}
		for _, msg := range errs {
			if strings.Contains(msg, c.password) {
				t.Errorf("%+v: the password repeated in %q", c, msg)
			}
		}
	}
}
