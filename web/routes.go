package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes lists every route of the console in one place.
func (s *Server) routes() {
	e := s.echo
	e.Pre(s.requestID)
	e.Use(s.logRequests, s.recoverPanics, securityHeaders)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*", staticFiles())
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/security/api-keys") })

	e.GET("/security/api-keys", s.apiKeyList)
}
