package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/validate"
)

// jsonKeyUpdate answers PATCH /api/v1/keys/:id: the fields the body names
// change, the others stay. With "version" the save is refused (CONFLICT)
// when someone saved since that version was read.
func (s *Server) jsonKeyUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	k, err := s.keys.Get(ctx, actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	var body keyBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	fields := map[string]string{}
	// What GET answered may be sent back unchanged; changing it is refused.
	for name, changed := range map[string]bool{
		"name":         body.Name != nil && *body.Name != k.Name,
		"access_type":  body.AccessType != nil && *body.AccessType != string(k.AccessType),
		"custom_value": body.CustomValue != nil,
		"account_id":   body.AccountID != nil && *body.AccountID != k.AccountID,
	} {
		if changed {
			fields[name] = "This cannot change after the key is created."
		}
	}
	if fields["account_id"] != "" {
		fields["account_id"] = "Move a key with POST /api/v1/keys/" + k.ID + "/move."
	}
	if len(fields) > 0 {
		return validationError(fields)
	}
	version := k.Version
	if body.Version != nil {
		version = *body.Version
	}
	settings, errs := validate.KeyEdit(body.overlay(keyInputFromKey(k)), k.ExpiresAt, s.now())
	if errs.Any() {
		return validationError(errs)
	}
	k, _, err = s.keys.Update(ctx, actor(c), k.ID, version, settings)
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, keyToOut(k, s.now()), nil)
}
