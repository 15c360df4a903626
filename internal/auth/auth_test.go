package auth

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// Processes starting at once on one missing secret file all end up with
// the same keys, read whole.
func TestSessionKeysCreatedOnceByConcurrentStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.key")
	const n = 8
	got := make([]SessionKeys, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = LoadOrCreateSessionKeys(path) }()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i].Auth, got[0].Auth) || !bytes.Equal(got[i].Encryption, got[0].Encryption) {
			t.Fatalf("start %d has other keys", i)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(files) != 1 {
		t.Fatalf("left behind: %v", files)
	}
}

// A secret file that is a dangling link is refused with a message, not
// a loop.
func TestSessionKeysDanglingLink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "session.key")
	if err := os.Symlink(filepath.Join(dir, "gone"), path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSessionKeys(path); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("dangling link: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, ".session-key-*")); len(files) != 0 {
		t.Fatalf("left behind: %v", files)
	}
}
