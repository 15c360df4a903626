package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// jsonKeyDelete answers DELETE /api/v1/keys/:id with 204.
func (s *Server) jsonKeyDelete(c echo.Context) error {
	if _, err := s.keys.Delete(c.Request().Context(), actor(c), c.Param("id")); err != nil {
		return err
	}
	s.applyKeyHeaders(c, nil)
	return c.NoContent(http.StatusNoContent)
}
