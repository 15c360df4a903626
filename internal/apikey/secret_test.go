package apikey

import (
	"hash/crc32"
	"strings"
	"testing"
)

func TestGenerateSecretFormat(t *testing.T) {
	for _, typ := range Types {
		seen := map[string]bool{}
		for i := 0; i < 200; i++ {
			s, err := GenerateSecret(typ)
			if err != nil {
				t.Fatal(err)
			}
			want := "kc_" + string(typ.letter()) + "_"
			if !strings.HasPrefix(s, want) || len(s) != SecretLen {
				t.Fatalf("%s: %q has wrong shape", typ, s)
			}
			if !LooksGenerated(s) {
				t.Fatalf("%q: own checksum refused", s)
			}
			if seen[s] {
				t.Fatalf("duplicate secret %q", s)
			}
			seen[s] = true
		}
	}
}

func TestChecksumCatchesTypos(t *testing.T) {
	s, err := GenerateSecret(TypeGeneral)
	if err != nil {
		t.Fatal(err)
	}
	// Change each character after the head to another base62 character.
	for i := secretHeadLen; i < len(s); i++ {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		if LooksGenerated(string(b)) {
			t.Errorf("typo at %d not caught: %q", i, b)
		}
	}
	// Swapping neighbours is the other common typo.
	for i := secretHeadLen; i < len(s)-1; i++ {
		b := []byte(s)
		if b[i] == b[i+1] {
			continue
		}
		b[i], b[i+1] = b[i+1], b[i]
		if LooksGenerated(string(b)) {
			t.Errorf("swap at %d not caught", i)
		}
	}
	for _, bad := range []string{"", "kc_", "kc_x_" + s[5:], s[:len(s)-1], s + "0", strings.Replace(s, "_", "-", 1), "kc_g_" + strings.Repeat("!", 38)} {
		if LooksGenerated(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChecksumKnownValue(t *testing.T) {
	// Pinned (and computed independently with Python's zlib.crc32) so that
	// other services can implement the same offline check.
	body := "kc_g_" + strings.Repeat("A", 32)
	if got := checksum(body); got != "1xoR1n" {
		t.Fatalf("checksum %q, want 1xoR1n", got)
	}
	if !LooksGenerated(body + "1xoR1n") {
		t.Fatal("body with its checksum refused")
	}
}

func TestHashAndPrefix(t *testing.T) {
	s, _ := GenerateSecret(TypeChrome)
	h := HashSecret(s)
	if len(h) != 64 || strings.Contains(h, s) {
		t.Fatalf("hash %q", h)
	}
	if !SameHash(h, HashSecret(s)) || SameHash(h, HashSecret(s+"x")) {
		t.Fatal("SameHash wrong")
	}
	p := DisplayPrefix(s)
	if p != s[:11] || !strings.HasPrefix(p, "kc_c_") {
		t.Fatalf("prefix %q", p)
	}
	custom := "this-is-a-custom-value-of-enough-length-1234"
	if got := DisplayPrefix(custom); got != "…1234" || KeyHint(got) != "…1234" {
		t.Fatalf("custom prefix %q", got)
	}
	if KeyHint(p) != p+"…" {
		t.Fatalf("generated hint %q", KeyHint(p))
	}
}

// crc32String is package crc32's IEEE checksum, for every length.
func TestCRC32StringAsPackageCRC32(t *testing.T) {
	t.Parallel()
	b := make([]byte, 100)
	for i := range b {
		b[i] = byte(i*131 + 7)
	}
	for n := range len(b) + 1 {
		if got, want := crc32String(string(b[:n])), crc32.ChecksumIEEE(b[:n]); got != want {
			t.Fatalf("length %d: %08x, want %08x", n, got, want)
		}
	}
}

// A generated secret's head is its prefix, one of the types' letters and an
// underscore; the display prefix's search and the checksum's check cut it
// the same way.
func TestCutSecretHead(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"kc_g_Ab3": "Ab3", "kc_e_": "", "kc_c_x": "x"} {
		if got, ok := CutSecretHead(in); !ok || got != want {
			t.Errorf("CutSecretHead(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "kc_g", "kc_x_Ab3", "kc_gg_Ab", "kd_g_Ab3", "KC_G_Ab3"} {
		if got, ok := CutSecretHead(in); ok {
			t.Errorf("CutSecretHead(%q) = %q, true", in, got)
		}
	}
}
