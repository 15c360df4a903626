package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

// A generated secret is "kc_" + type letter + "_" + 32 random base62
// characters + a 6-character base62 CRC32 of everything before it. The
// checksum lets verification refuse a mistyped or made-up key without a
// database look-up.
const (
	// GeneratedPrefix starts every generated secret, and no other.
	GeneratedPrefix   = "kc_"
	secretRandomLen   = 32
	secretChecksumLen = 6
	secretHeadLen     = len(GeneratedPrefix) + 2 // "kc_g_"
	// SecretLen is the length of every generated secret.
	SecretLen = secretHeadLen + secretRandomLen + secretChecksumLen
	// MinCustomLen is the shortest custom value an admin may choose, and
	// so the shortest text verification looks up as one.
	MinCustomLen = 32
	// displayRandomLen random characters follow the head in the display prefix:
	// enough to tell keys apart on screen, far too few to guess the rest.
	displayRandomLen = 6
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// GenerateSecret makes a new random secret for a key of type t.
func GenerateSecret(t Type) (string, error) {
	var b strings.Builder
	b.Grow(SecretLen)
	b.WriteString(GeneratedPrefix)
	b.WriteByte(t.letter())
	b.WriteByte('_')
	random, err := RandomBase62(secretRandomLen)
	if err != nil {
		return "", err
	}
	b.WriteString(random)
	b.WriteString(checksum(b.String()))
	return b.String(), nil
}

// RandomBase62 returns n characters drawn uniformly from crypto/rand.
func RandomBase62(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, c := range buf {
			// 248 = 4*62: dropping bytes above it keeps every character equally likely.
			if c < 248 && len(out) < n {
				out = append(out, base62[c%62])
			}
		}
	}
	return string(out), nil
}

func checksum(s string) string {
	sum := checksumOf(s)
	return string(sum[:])
}

// checksumOf is the checksum without a string made: verification checks
// it on every request.
func checksumOf(s string) [secretChecksumLen]byte {
	v := crc32String(s)
	var out [secretChecksumLen]byte
	for i := secretChecksumLen - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return out
}

// crc32String is crc32.ChecksumIEEE of s, computed here (by slicing-by-8,
// as package crc32 does for short input) because crc32's argument escapes:
// []byte(s) would be a heap allocation per verification, for 37 bytes.
func crc32String(s string) uint32 {
	t := &crc32Tables
	crc := ^uint32(0)
	for len(s) >= 8 {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = t[0][s[7]] ^ t[1][s[6]] ^ t[2][s[5]] ^ t[3][s[4]] ^
			t[4][crc>>24] ^ t[5][crc>>16&0xff] ^ t[6][crc>>8&0xff] ^ t[7][crc&0xff]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		crc = t[0][byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

var crc32Tables = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return t
}()

// isBase62 tells the characters of base62 at a glance.
var isBase62 = func() (t [256]bool) {
	for i := range len(base62) {
		t[base62[i]] = true
	}
	return t
}()

// LooksLikeJWT tells whether s has the shape of a JWT (three dot-separated
// parts, the first a base64 JSON object): such a secret is checked as a
// signed JWT access key before any look-up.
func LooksLikeJWT(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2
}

// StartsGenerated tells whether s begins as every generated secret does:
// what follows must then hold its checksum (LooksGenerated).
func StartsGenerated(s string) bool { return strings.HasPrefix(s, GeneratedPrefix) }

// CutSecretHead returns what follows a generated secret's head ("kc_g_",
// "kc_e_" or "kc_c_") in s, and whether s starts with one.
func CutSecretHead(s string) (string, bool) {
	if len(s) < secretHeadLen || !strings.HasPrefix(s, GeneratedPrefix) || s[secretHeadLen-1] != '_' {
		return "", false
	}
	switch s[len(GeneratedPrefix)] {
	case TypeGeneral.letter(), TypeEmbedded.letter(), TypeChrome.letter():
		return s[secretHeadLen:], true
	}
	return "", false
}

// LooksGenerated tells whether s has the shape of a generated secret and its
// checksum matches. It is constant in time with respect to the checksum.
func LooksGenerated(s string) bool {
	if _, ok := CutSecretHead(s); !ok || len(s) != SecretLen {
		return false
	}
	for i := secretHeadLen; i < SecretLen; i++ {
		if !isBase62[s[i]] {
			return false
		}
	}
	body := s[:SecretLen-secretChecksumLen]
	sum := checksumOf(body)
	return subtle.ConstantTimeCompare(sum[:], []byte(s[len(body):])) == 1
}

// HashSecret is what the store keeps instead of the secret: hex SHA-256.
// A secret has 190 random bits, so a fast hash is safe, unlike for passwords.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SameHash compares two hex hashes in constant time.
func SameHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// DisplayPrefix is the short, harmless part of a secret shown in lists.
// Generated secrets show their head and a few random characters; every JWT
// starts alike, so a JWT shows "jwt…" and the first characters of its
// signature. A custom value, chosen by a person and perhaps used elsewhere,
// shows only "…" and its last four characters, as card numbers do (none
// when it is shorter than 16).
func DisplayPrefix(secret string) string {
	if i := strings.LastIndexByte(secret, '.'); strings.Count(secret, ".") == 2 && strings.HasPrefix(secret, "eyJ") && len(secret)-i > 9 {
		return "jwt…" + secret[i+1:i+7]
	}
	if !LooksGenerated(secret) {
		if len(secret) < 16 {
			return HiddenStart
		}
		return HiddenStart + secret[len(secret)-4:]
	}
	return secret[:secretHeadLen+displayRandomLen]
}

// HiddenStart begins a display prefix that shows the end of a secret.
const HiddenStart = "…"

// KeyHint is a display prefix as shown: "…" marks what is left out, after
// a start or before an end.
func KeyHint(prefix string) string {
	if strings.HasPrefix(prefix, HiddenStart) {
		return prefix
	}
	return prefix + "…"
}

// SecretHead is how a generated secret of type t starts: "kc_g_" for General.
func SecretHead(t Type) string { return GeneratedPrefix + string(t.letter()) + "_" }

// GeneratedHead is how k's generated secret starts ("kc_g_"); "" for a
// custom value or a JWT.
func (k *Key) GeneratedHead() string {
	if p := k.DisplayPrefix; len(p) >= secretHeadLen && strings.HasPrefix(p, GeneratedPrefix) {
		return p[:secretHeadLen]
	}
	return ""
}

// StaleSecretHead is the start of k's generated secret when it carries
// another type's letter (the type changed after the secret was made), else
// "". The secret works as before; a regenerate gives one with the new letter.
func (k *Key) StaleSecretHead() string {
	if h := k.GeneratedHead(); h != SecretHead(k.Type) {
		return h
	}
	return ""
}
