package validate

import (
	"strings"
	"testing"
)

const goodCustom = "Abcdefghijklmnopqrstuvwxyz0123456789" // 36 characters, three kinds

var customCases = []struct {
	name, in, want, wantErr string
}{
	{name: "ok", in: goodCustom, want: goodCustom},
	{name: "trimmed", in: "  " + goodCustom + "\n", want: goodCustom},
	{name: "exactly 32", in: goodCustom[:32], want: goodCustom[:32]},
	{name: "exactly 256", in: strings.Repeat("aB", 128), want: strings.Repeat("aB", 128)},
	{name: "symbols and letters", in: strings.Repeat("a!", 16), want: strings.Repeat("a!", 16)},
	{name: "empty", in: "", wantErr: "Enter the custom value"},
	{name: "blank", in: "   ", wantErr: "Enter the custom value"},
	{name: "31 characters", in: goodCustom[:31], wantErr: "at least 32 characters for the custom value; this one has 31"},
	{name: "257 characters", in: strings.Repeat("aB", 128) + "c", wantErr: "at most 256 characters for the custom value; this one has 257"},
	{name: "shaped like a JWT", in: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWdhY3kifQ.AbCdEf0123456789xyz", wantErr: "must not have the shape of a JWT"},
	{name: "space inside", in: "Abcdefghijklmnop qrstuvwxyz0123456789", wantErr: "printable ASCII characters, without spaces"},
	{name: "tab inside", in: "Abcdefghijklmnop\tqrstuvwxyz0123456789", wantErr: "printable ASCII"},
	{name: "non-ASCII", in: "Äbcdefghijklmnopqrstuvwxyz0123456789", wantErr: "printable ASCII"},
	{name: "DEL", in: goodCustom + "\x7f", wantErr: "printable ASCII"},
	{name: "generated prefix", in: "kc_g_" + goodCustom, wantErr: `must not start with "kc_"`},
	{name: "one repeated character", in: strings.Repeat("x", 40), wantErr: "must not be one character repeated"},
	{name: "only lowercase", in: "abcdefghijklmnopqrstuvwxyzabcdefgh", wantErr: "Mix at least two kinds"},
	{name: "only uppercase", in: "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGH", wantErr: "Mix at least two kinds"},
	{name: "only digits", in: strings.Repeat("0123456789", 4), wantErr: "Mix at least two kinds"},
	{name: "only symbols", in: strings.Repeat("!@#$%^&*", 5), wantErr: "Mix at least two kinds"},
}

func TestCustomValue(t *testing.T) {
	for _, c := range customCases {
		t.Run(c.name, func(t *testing.T) {
			got, msg := CustomValue(c.in)
			checkMsg(t, msg, c.wantErr)
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if msg != "" && len(c.in) > 8 && strings.Contains(msg, strings.TrimSpace(c.in)[:8]) {
				t.Errorf("message repeats the secret: %q", msg)
			}
		})
	}
}
