package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// jsonKeyMove answers POST /api/v1/keys/:id/move, body {"account_id": ...}
// and, to refuse a move over a newer save (CONFLICT), "version": the key
// as it is now.
func (s *Server) jsonKeyMove(c echo.Context) error {
	var body struct {
		AccountID string `json:"account_id"`
		Version   int    `json:"version"` // 0: none given
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	k, err := s.keys.Move(c.Request().Context(), actor(c), c.Param("id"), body.Version, body.AccountID)
	if err != nil {
		return err
	}
	setETag(c, k.Version)
	// As GET shows it: accounts the caller may not see stay unnamed.
	o, err := s.sightOf(c).keyOut(k, s.now())
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, o, nil)
}
