package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/keys"
	"keyconsole/web/view"
)

// apiKeyRegenerateConfirm asks before replacing a key's secret.
func (s *Server) apiKeyRegenerateConfirm(c echo.Context) error {
	k, err := s.keys.Get(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	if !keys.CanRegenerate(principalOf(c), k) {
		return echo.ErrForbidden
	}
	confirm := view.Confirm{
		Message:   "Regenerate the secret of “" + k.Name + "”?",
		Warning:   "The current secret stops working at once. Every client that uses it must be given the new one.",
		Action:    keyURL(k.ID) + "/regenerate",
		Button:    "Regenerate secret",
		CancelURL: keyURL(k.ID),
		CSRFToken: visitOf(c).csrf,
	}
	return s.renderDialog(c, http.StatusOK, s.keysPage(c, "Regenerate "+k.Name), "Regenerate secret", view.ConfirmBody(confirm))
}

// apiKeyRegenerate gives the key a new secret and shows it, once.
func (s *Server) apiKeyRegenerate(c echo.Context) error {
	k, secret, err := s.keys.Regenerate(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	shown := view.SecretShown{KeyName: k.Name, KeyURL: keyURL(k.ID), Secret: secret, ListURL: "/security/api-keys"}
	return s.renderDialog(c, http.StatusOK, s.keysPage(c, "Secret regenerated"), "Copy the new secret", view.SecretBody(shown))
}
