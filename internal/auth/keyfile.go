package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Session cookies are signed with one key and encrypted with another.
const (
	authKeyLen = 64
	encKeyLen  = 32
)

// SessionKeys are the keys that sign and encrypt the session cookie.
type SessionKeys struct {
	Auth       []byte
	Encryption []byte
}

// LoadOrCreateSessionKeys reads the key file at path, creating it with mode
// 0600 and fresh random keys when missing, so a restart keeps people signed
// in. A file others may read is refused, as ssh refuses a loose private key.
func LoadOrCreateSessionKeys(path string) (SessionKeys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		created, cerr := createSessionKeys(path)
		if !errors.Is(cerr, fs.ErrExist) {
			return created, cerr
		}
		// Another process made it first: read theirs, once (a dangling
		// link reads as missing and links as existing: no loop).
		if b, err = os.ReadFile(path); err != nil {
			return SessionKeys{}, fmt.Errorf("secret file %s exists but cannot be read: %w", path, err)
		}
	}
	if err != nil {
		return SessionKeys{}, fmt.Errorf("read secret file: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return SessionKeys{}, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return SessionKeys{}, fmt.Errorf("secret file %s may be read by others (mode %o); run chmod 600 on it", path, fi.Mode().Perm())
	}
	if len(b) != authKeyLen+encKeyLen {
		return SessionKeys{}, fmt.Errorf("secret file %s has %d bytes, want %d; remove it to make a new one (everyone will be signed out)", path, len(b), authKeyLen+encKeyLen)
	}
	return SessionKeys{Auth: b[:authKeyLen], Encryption: b[authKeyLen:]}, nil
}

func createSessionKeys(path string) (SessionKeys, error) {
	b := make([]byte, authKeyLen+encKeyLen)
	if _, err := rand.Read(b); err != nil {
		return SessionKeys{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return SessionKeys{}, fmt.Errorf("create secret file folder: %w", err)
	}
	// Written whole to a temporary file, then linked into place: link fails
	// when the file exists, so of two processes starting at once one key
	// set wins, and the other reads it complete.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".session-key-*")
	if err != nil {
		return SessionKeys{}, fmt.Errorf("create secret file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return SessionKeys{}, fmt.Errorf("write secret file: %w", err)
	}
	// On disk before it has a name: a crash never leaves a short file.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return SessionKeys{}, fmt.Errorf("write secret file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return SessionKeys{}, fmt.Errorf("write secret file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return SessionKeys{}, fmt.Errorf("create secret file: %w", err)
	}
	return SessionKeys{Auth: b[:authKeyLen], Encryption: b[authKeyLen:]}, nil
}
