package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// apiKeyDeleteConfirm asks before deleting, naming the key.
func (s *Server) apiKeyDeleteConfirm(c echo.Context) error {
	k, path, err := s.keyWithPath(c)
	if err != nil {
		return err
	}
	if !principalOf(c).CanIn(apikey.DeleteApiKey, path) {
		return echo.ErrForbidden
	}
	confirm := view.Confirm{
		Message:   "Delete the key “" + k.Name + "” (" + apikey.KeyHint(k.DisplayPrefix) + ")?",
		Warning:   "Every client that uses it is refused from the next request on. This cannot be undone; to stop it for a while, deactivate it instead.",
		Action:    keyURL(k.ID) + "/delete",
		Button:    "Delete " + k.Name,
		Danger:    true,
		CancelURL: keyURL(k.ID),
		CSRFToken: csrfToken(c),
	}
	return s.renderDialog(c, http.StatusOK, s.keysPage(c, "Delete "+k.Name), "Delete key", view.ConfirmBody(confirm))
}

// apiKeyDelete removes the key and returns to the list.
func (s *Server) apiKeyDelete(c echo.Context) error {
	k, err := s.keys.Delete(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.done(c, "Deleted the key “"+k.Name+"”: clients that used it are refused.", "/security/api-keys")
}
