package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// DefaultMaxBody is the largest request body taken when the configuration
// names none: a form or a JSON object, never an upload.
const DefaultMaxBody = 64 << 10

// limitBody runs before any handler, sign-in or CSRF check: a body declared
// larger than the limit is refused before a byte of it is read, and so is
// multipart (nothing here takes an upload; Go would write its file parts to
// disk). Any other body stops being read at the limit: one of a declared
// length ends there (net/http reads no further than it declares), one of
// unknown length (chunked) is read through a cap. A form is parsed here,
// within the limit, so that its refusal is a 413 rather than an empty
// form a later check would refuse for something else.
func (s *Server) limitBody(c echo.Context) error {
	r := c.Request()
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > s.maxBody {
		return bodyTooLarge(c, s.maxBody)
	}
	ct := headerValue(r.Header, echo.HeaderContentType)
	if hasMediaPrefix(ct, "multipart/") {
		msg := "Uploads are not taken here: send the form URL-encoded, or JSON."
		if isAPI(r) {
			return bodyErrorWith(http.StatusUnsupportedMediaType, msg)
		}
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, msg)
	}
	if r.ContentLength < 0 {
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.maxBody)
	}
	if isMediaType(ct, echo.MIMEApplicationForm) {
		if err := r.ParseForm(); err != nil {
			return readBodyError(c, err)
		}
	}
	return nil
}

// hasMediaPrefix tells whether the Content-Type ct starts with prefix, in
// any case, without parsing it (this is on the verification path).
func hasMediaPrefix(ct, prefix string) bool {
	ct = strings.TrimLeft(ct, " \t")
	return len(ct) >= len(prefix) && strings.EqualFold(ct[:len(prefix)], prefix)
}

// isMediaType tells whether the Content-Type ct is media, parameters aside.
func isMediaType(ct, media string) bool {
	if !hasMediaPrefix(ct, media) {
		return false
	}
	rest := strings.TrimLeft(ct, " \t")[len(media):]
	return rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}

// readBodyError answers a body that failed to read: 413 past the limit,
// 400 otherwise.
func readBodyError(c echo.Context, err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return bodyTooLarge(c, tooBig.Limit)
	}
	if isAPI(c.Request()) {
		return bodyError("The body could not be read.")
	}
	return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read; reload the page and try again.")
}

// bodyTooLarge is the 413 refusal: a VALIDATION error naming the body on the
// JSON API, an error page elsewhere.
func bodyTooLarge(c echo.Context, limit int64) error {
	msg := fmt.Sprintf("The body is larger than %s.", sizeText(limit))
	if isAPI(c.Request()) {
		return bodyErrorWith(http.StatusRequestEntityTooLarge, msg)
	}
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, msg)
}

// sizeText says n bytes in KiB when it is a whole number of them.
func sizeText(n int64) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
