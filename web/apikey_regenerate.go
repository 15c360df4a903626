package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/web/view"
)

// apiKeyRegenerateConfirm asks before replacing a key's secret.
func (s *Server) apiKeyRegenerateConfirm(c echo.Context) error {
	k, path, err := s.keyWithPath(c)
	if err != nil {
		return err
	}
	if err := s.keys.RegenerateAllowed(c.Request().Context(), principalOf(c), k, path); err != nil {
		return err
	}
	confirm := view.Confirm{
		Message: "Regenerate the secret of “" + k.Name + "”?",
		Warning: "Every client that uses the current secret must be given the new one.",
		Grace: []view.Option{{Value: "0", Label: "Stop immediately (default)"}, {Value: "1h", Label: "For 1 hour"},
			{Value: "24h", Label: "For 24 hours"}, {Value: "7d", Label: "For 7 days"}},
		Action:    keyURL(k.ID) + "/regenerate",
		Button:    "Regenerate secret",
		CancelURL: keyURL(k.ID),
		CSRFToken: csrfToken(c),
	}
	return s.renderDialog(c, http.StatusOK, s.keysPage(c, "Regenerate "+k.Name), "Regenerate secret", view.ConfirmBody(confirm))
}

// apiKeyRegenerate gives the key a new secret and shows it, once.
func (s *Server) apiKeyRegenerate(c echo.Context) error {
	grace, ok := parseGrace(c.FormValue("grace"))
	if !ok {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Choose how long the old secret keeps working.")
	}
	k, secret, err := s.keys.Regenerate(c.Request().Context(), actor(c), c.Param("id"), grace)
	if err != nil {
		return err
	}
	shown := view.SecretShown{KeyName: k.Name, KeyURL: keyURL(k.ID), Secret: secret, ListURL: "/security/api-keys"}
	if k.PreviousValidUntil != nil {
		shown.OldValidUntil = formatDateTime(*k.PreviousValidUntil)
	}
	return s.renderDialog(c, http.StatusOK, s.keysPage(c, "Secret regenerated"), "Copy the new secret", view.SecretBody(shown))
}

// apiKeyEndGrace stops a previous secret still in its grace period.
func (s *Server) apiKeyEndGrace(c echo.Context) error {
	k, err := s.keys.EndGracePeriod(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return redirect(c, keyURL(k.ID))
}
