package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/validate"
)

// jsonKeyCreate answers POST /api/v1/keys: 201 with the key and its secret,
// the only time the secret is given out.
func (s *Server) jsonKeyCreate(c echo.Context) error {
	var body keyBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	account := ""
	if body.AccountID != nil && *body.AccountID != "" {
		account = *body.AccountID
	} else {
		var err error
		if account, err = s.homeAccount(c, principalOf(c)); err != nil {
			return err
		}
	}
	// Defaults for what the body leaves out: active, six months.
	in := body.overlay(validate.KeyInput{Active: true, ExpiresIn: defaultExpiry})
	settings, custom, errs := validate.NewKey(in, s.now())
	if errs.Any() {
		return validationError(errs)
	}
	who, err := apiActorWithReason(c, body.Reason)
	if err != nil {
		return err
	}
	k, secret, err := s.keys.Create(c.Request().Context(), who, account, settings, custom)
	if err != nil {
		return err
	}
	setETag(c, k.Version)
	return s.apiJSON(c, http.StatusCreated, struct {
		keyOut
		Secret string `json:"secret"`
	}{keyToOut(k, s.now()), secret}, nil)
}
