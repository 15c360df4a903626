package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// gzipped compresses what it wraps; answers under 1 KiB go as they are.
var gzipped = middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024})

// compressed sends next's answer gzip'd to a client that asks for gzip, and
// as it is to any other; either way the answer varies by Accept-Encoding.
// Only for answers whose length tells nothing secret: files, and pages,
// whose CSRF token is masked anew for each answer (csrfToken). The answers
// that show a new secret are never wrapped in it.
func compressed(next echo.HandlerFunc) echo.HandlerFunc {
	zipped := gzipped(next)
	return func(c echo.Context) error {
		if acceptsGzip(c.Request().Header.Get(echo.HeaderAcceptEncoding)) {
			return zipped(c) // sets Vary itself
		}
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
		return next(c)
	}
}

// acceptsGzip reads an Accept-Encoding header: gzip is named, and not with q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		weight, err := strconv.ParseFloat(q, 64)
		return err == nil && weight > 0
	}
	return false
}
