package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/static"
)

// staticFiles serves the embedded files. A request that names the current
// content hash (?v=...) may be cached for a year; any other only briefly.
func staticFiles() echo.HandlerFunc {
	files := http.StripPrefix(static.Prefix, http.FileServer(http.FS(static.FS)))
	return func(c echo.Context) error {
		name := strings.TrimPrefix(c.Request().URL.Path, static.Prefix)
		version, ok := static.Version(name)
		if !ok {
			return echo.ErrNotFound
		}
		h := c.Response().Header()
		if c.QueryParam("v") == version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=300")
		}
		h.Set("ETag", `"`+version+`"`)
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
