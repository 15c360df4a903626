package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
)

// apiActorWithReason is actor with the reason an API call gave, or the
// VALIDATION error that refuses it.
func apiActorWithReason(c echo.Context, raw string) (apikey.Actor, error) {
	who := actor(c)
	reason, msg := validate.Reason(raw)
	if msg != "" {
		return who, validationError(map[string]string{"reason": msg})
	}
	who.Reason = reason
	return who, nil
}

// jsonKeyDelete answers DELETE /api/v1/keys/:id with 204; ?reason= says
// why, for the audit log.
func (s *Server) jsonKeyDelete(c echo.Context) error {
	who, err := apiActorWithReason(c, c.QueryParam("reason"))
	if err != nil {
		return err
	}
	if _, err := s.keys.Delete(c.Request().Context(), who, c.Param("id")); err != nil {
		return err
	}
	s.applyKeyHeaders(c, nil)
	return c.NoContent(http.StatusNoContent)
}
