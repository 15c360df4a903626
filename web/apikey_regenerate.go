package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// apiKeyRegenerateConfirm asks before replacing a key's secret.
func (s *Server) apiKeyRegenerateConfirm(c echo.Context) error {
	k, err := s.regenerableKey(c)
	if err != nil {
		return err
	}
	return s.renderRegenerateConfirm(c, http.StatusOK, k, view.Confirm{})
}

// regenerableKey is the route's key, when the visitor may regenerate it.
func (s *Server) regenerableKey(c echo.Context) (*apikey.Key, error) {
	k, path, err := s.keyWithPath(c)
	if err != nil {
		return nil, err
	}
	return k, s.keys.RegenerateAllowed(c.Request().Context(), principalOf(c), k, path)
}

// renderRegenerateConfirm draws the regenerate question; a custom-value key
// asks which kind of secret comes next, and says what each does.
func (s *Server) renderRegenerateConfirm(c echo.Context, status int, k *apikey.Key, confirm view.Confirm) error {
	confirm.Message = "Regenerate the secret of “" + k.Name + "”?"
	confirm.Warning = "Every client that uses the current secret must be given the new one."
	confirm.Grace = []view.Option{{Value: "0", Label: "Stop immediately (default)"}, {Value: "1h", Label: "For 1 hour"},
		{Value: "24h", Label: "For 24 hours"}, {Value: "7d", Label: "For 7 days"}}
	if k.AccessType == apikey.AccessCustom {
		confirm.Secrets = []view.Option{
			{Value: secretGenerate, Label: "Generate a new secret: the key becomes a generated key, its secret starting with " + apikey.SecretHead(k.Type) + "."},
			{Value: secretCustom, Label: "Enter a new custom value: the key keeps a custom value, the one you enter below."},
		}
	}
	confirm.Action, confirm.Button, confirm.CancelURL = keyURL(k.ID)+"/regenerate", "Regenerate secret", keyURL(k.ID)
	confirm.AskReason = true
	confirm.Version, confirm.CSRFToken = strconv.Itoa(k.Version), csrfToken(c)
	return s.renderDialog(c, status, s.keysPage(c, "Regenerate "+k.Name), "Regenerate secret", view.ConfirmBody(confirm))
}

// The kinds of new secret a custom-value key's regenerate offers (field secret).
const (
	secretGenerate = "generate"
	secretCustom   = "custom"
)

// apiKeyRegenerate gives the key a new secret and shows it, once. A
// custom-value key gets the kind of secret chosen: generated, or a new
// custom value.
func (s *Server) apiKeyRegenerate(c echo.Context) error {
	k, err := s.regenerableKey(c)
	if err != nil {
		return err
	}
	again := view.Confirm{Chosen: c.FormValue("secret"), GraceChosen: c.FormValue("grace")}
	if asked := c.FormValue("version"); asked != "" && asked != strconv.Itoa(k.Version) {
		// The key changed since the question was asked: most likely the
		// answer page was reloaded, which would post again and replace the
		// secret just shown. Ask again instead. (Scripts send no version.)
		again.Errors = map[string]string{"form": "“" + k.Name + "” changed after this question was asked (" + formatDateTime(k.UpdatedAt) + " by " + k.UpdatedBy +
			"), for example when this form was sent twice, so nothing was regenerated now. Regenerate again only if you need another secret."}
		return s.renderRegenerateConfirm(c, http.StatusConflict, k, again)
	}
	errs := validate.Errors{}
	grace, ok := parseGrace(again.GraceChosen)
	if !ok {
		errs.Add("grace", "Choose how long the old secret keeps working: immediately, 1 hour, 24 hours or 7 days.")
	}
	custom, field, msg := regenerateCustom(k, again.Chosen, c.Request().PostFormValue("custom_value"))
	errs.Add(field, msg)
	again.Errors = errs
	who, ok := actorWithReason(c, &again)
	if errs.Any() || !ok {
		return s.renderRegenerateConfirm(c, http.StatusUnprocessableEntity, k, again)
	}
	fresh, secret, err := s.keys.Regenerate(c.Request().Context(), who, k.ID, grace, custom)
	if errs, status, ok := fieldError(err); ok {
		again.Errors = errs
		return s.renderRegenerateConfirm(c, status, k, again)
	}
	if err != nil {
		return err
	}
	k = fresh
	shown := view.SecretShown{KeyName: k.Name, KeyURL: keyURL(k.ID), Secret: secret, ListURL: "/security/api-keys"}
	if k.PreviousValidUntil != nil {
		shown.OldValidUntil = formatDateTime(*k.PreviousValidUntil)
	}
	return s.showSecret(c, http.StatusOK, "Secret regenerated", "Copy the new secret", shown, "“"+k.Name+"” has a new secret.")
}

// regenerateCustom checks the new custom value of a regenerate: the one
// chosen for a custom-value key, refused when typed under the generated
// choice, which would drop it unseen. Other keys take none; the keys
// service refuses one.
func regenerateCustom(k *apikey.Key, chosen, raw string) (custom, field, msg string) {
	switch {
	case k.AccessType != apikey.AccessCustom:
		return strings.TrimSpace(raw), "", ""
	case chosen == secretCustom:
		custom, msg = validate.CustomValue(raw)
		return custom, "custom_value", msg
	case chosen != secretGenerate:
		return "", "secret", "Choose a generated secret or a new custom value."
	case strings.TrimSpace(raw) != "":
		return "", "custom_value", "A new custom value is used only with “Enter a new custom value”: choose it, or clear this field."
	}
	return "", "", ""
}

// apiKeyEndGrace stops a previous secret still in its grace period.
func (s *Server) apiKeyEndGrace(c echo.Context) error {
	k, err := s.keys.EndGracePeriod(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.done(c, "The previous secret of “"+k.Name+"” no longer works.", keyURL(k.ID))
}
