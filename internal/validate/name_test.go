package validate

import (
	"strings"
	"testing"
)

var nameCases = []struct {
	in, want, wantErr string
}{
	{in: "Shop", want: "Shop"},
	{in: "  Web shop \n", want: "Web shop"},
	{in: "Café ☕ 東京", want: "Café ☕ 東京"},
	{in: strings.Repeat("é", 100), want: strings.Repeat("é", 100)},
	{in: "", wantErr: "Enter a name."},
	{in: " \t\n ", wantErr: "Enter a name."},
	{in: strings.Repeat("é", 101), wantErr: "at most 100 characters for the name; this one has 101"},
	{in: "a\tb", wantErr: "control characters"},
	{in: "a\x00b", wantErr: "control characters"},
	{in: "a\nb", wantErr: "control characters"},
	{in: "a\u0085b", wantErr: "control characters"},
	{in: "abc\u202Etxt.exe", wantErr: "invisible character U+202E"},
	{in: "\ufeffShop", wantErr: "invisible character U+FEFF"},
	{in: "Shop\u200b", wantErr: "invisible character U+200B"},
	{in: "Shop\xff", wantErr: "not valid text (UTF-8)"},
}

func TestName(t *testing.T) {
	for _, c := range nameCases {
		got, msg := Name(c.in)
		checkMsg(t, msg, c.wantErr)
		if got != c.want {
			t.Errorf("Name(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
