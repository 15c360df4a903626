package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/validate"
)

// jsonKeyRegenerate answers POST /api/v1/keys/:id/regenerate with the new
// secret, once. An optional body {"grace": "1h"|"24h"|"7d"} keeps the old
// secret working that long; "custom_value" gives a custom-value key a new
// one (without it, the key gets a generated secret and becomes a generated key).
func (s *Server) jsonKeyRegenerate(c echo.Context) error {
	var body struct {
		Grace       string `json:"grace"`
		CustomValue string `json:"custom_value"`
		Reason      string `json:"reason"`
	}
	if err := decodeJSON(c, &body); err != nil && err != errEmptyJSON {
		return err
	}
	grace, ok := parseGrace(body.Grace)
	if !ok {
		return validationError(map[string]string{"grace": "Choose immediately, 1h, 24h or 7d."})
	}
	custom := ""
	if body.CustomValue != "" {
		var msg string
		if custom, msg = validate.CustomValue(body.CustomValue); msg != "" {
			return validationError(map[string]string{"custom_value": msg})
		}
	}
	who, err := apiActorWithReason(c, body.Reason)
	if err != nil {
		return err
	}
	k, secret, err := s.keys.Regenerate(c.Request().Context(), who, c.Param("id"), grace, custom)
	if err != nil {
		return err
	}
	o, err := s.sightOf(c).keyOut(k, s.now())
	if err != nil {
		return err
	}
	setETag(c, k.Version)
	return s.apiJSON(c, http.StatusOK, struct {
		keyOut
		Secret string `json:"secret"`
	}{o, secret}, nil)
}
