package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fast = Params{Memory: 1024, Time: 1, Threads: 1}

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse battery", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := VerifyPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _ := VerifyPassword(h, "correct horse batterY"); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery", DefaultParams)
	if h2 == h {
		t.Fatal("same salt twice")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=1,t=0,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=1024,t=1,p=1$!!$AAAA"} {
		if ok, err := VerifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("malformed hash %q: ok=%v err=%v", bad, ok, err)
		}
	}
}

func TestDummyNeverMatches(t *testing.T) {
	d, err := NewDummy(fast)
	if err != nil {
		t.Fatal(err)
	}
	d.Burn("anything") // must not panic; returns nothing to leak
	if ok, _ := VerifyPassword(d.hash, ""); ok {
		t.Fatal("dummy matched")
	}
}

func TestSessionKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "session.key")
	k1, err := LoadOrCreateSessionKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 || len(k1.Auth) != 64 || len(k1.Encryption) != 32 {
		t.Fatalf("mode %o, keys %d/%d", fi.Mode().Perm(), len(k1.Auth), len(k1.Encryption))
	}
	k2, err := LoadOrCreateSessionKeys(path)
	if err != nil || string(k2.Auth) != string(k1.Auth) || string(k2.Encryption) != string(k1.Encryption) {
		t.Fatalf("reload gave other keys: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateSessionKeys(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("loose file accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadOrCreateSessionKeys(path); err == nil {
		t.Fatal("short file accepted")
	}
}
