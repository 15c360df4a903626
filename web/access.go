package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
)

// requireUser sends a visitor who is not signed in to the sign-in page, and
// back here afterwards. htmx requests are told to reload the whole page there.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if principalOf(c) != nil {
			return next(c)
		}
		target := "/login"
		if r := c.Request(); r.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		return sendTo(c, target)
	}
}

// sendTo turns a visitor away to target: a redirect, or for htmx a reload
// of the whole page there.
func sendTo(c echo.Context, target string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusUnauthorized)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// errCSRF is what a state change without the page's token gets.
var errCSRF = echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from this console. Reload the page and try again.")

// checkCSRF refuses a state-changing request unless it carries the visit's
// token as a page showed it (masked), in the _csrf field or (from htmx) the
// X-CSRF-Token header.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		v := visitOf(c)
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			// From the body only: a token in a URL ends up in logs,
			// histories and Referer headers.
			got = c.Request().PostFormValue("_csrf")
		}
		if v == nil || !tokenMatches(got, v.csrf) {
			return errCSRF
		}
		return next(c)
	}
}

// require refuses with 403 a principal without permission p.
func (s *Server) require(p apikey.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !principalOf(c).Can(p) {
				return echo.ErrForbidden
			}
			return next(c)
		}
	}
}

// safeNext keeps a post-sign-in destination only when it is a plain path on
// this site, so /login?next= cannot send anyone elsewhere. Browsers drop
// tabs and newlines from URLs and read a backslash as a slash, so
// "/\t/evil.example" would become "//evil.example": any control character
// or backslash is refused outright.
func safeNext(next string) string {
	const fallback = "/security/api-keys"
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return fallback
	}
	return next
}
