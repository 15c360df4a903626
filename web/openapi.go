package web

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is the OpenAPI 3.1 document of the JSON API, written by
// hand. The web tests validate every answer of the API against it
// (openapi_test.go), so it cannot drift from the code.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIETag is the document's strong entity tag: it changes only with a
// new build.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}()

// openAPI answers GET /api/v1/openapi.json: public, like the API's
// documentation, and cacheable.
func (s *Server) openAPI(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", openAPIETag)
	if c.Request().Header.Get("If-None-Match") == openAPIETag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
