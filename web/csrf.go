package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"

	"github.com/labstack/echo/v4"
)

// A visit keeps one CSRF token, but no page shows it as it is: each answer
// shows it masked with a fresh random pad, pad || (pad XOR token). The
// string differs from one answer to the next, so compressing pages leaks
// nothing about the token through their length (BREACH), while every
// string ever shown for the visit keeps working. The bare token is refused.

var tokenEncoding = base64.RawURLEncoding

// maskToken is token behind a fresh pad, as shown in a page.
func maskToken(token string) string {
	b := make([]byte, 2*len(token))
	pad, masked := b[:len(token)], b[len(token):]
	rand.Read(pad) // never fails
	for i := range masked {
		masked[i] = pad[i] ^ token[i]
	}
	return tokenEncoding.EncodeToString(b)
}

// tokenMatches tells whether sent is token as some page showed it masked,
// in time that does not depend on where the two differ.
func tokenMatches(sent, token string) bool {
	if token == "" || len(sent) != tokenEncoding.EncodedLen(2*len(token)) {
		return false
	}
	b, err := tokenEncoding.DecodeString(sent)
	if err != nil || len(b) != 2*len(token) {
		return false
	}
	pad, masked := b[:len(token)], b[len(token):]
	for i := range masked {
		masked[i] ^= pad[i]
	}
	return subtle.ConstantTimeCompare(masked, []byte(token)) == 1
}

// csrfToken is the visit's token masked for this answer: one string for
// every form and the meta tag of a page, another for the next page.
func csrfToken(c echo.Context) string {
	v := visitOf(c)
	if v == nil || v.csrf == "" {
		return ""
	}
	if v.maskedOf != v.csrf {
		v.masked, v.maskedOf = maskToken(v.csrf), v.csrf
	}
	return v.masked
}
