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
	return s.renderDeleteConfirm(c, http.StatusOK, k, view.Confirm{AskReason: true})
}

// renderDeleteConfirm draws the delete question, with what came back.
func (s *Server) renderDeleteConfirm(c echo.Context, status int, k *apikey.Key, confirm view.Confirm) error {
	confirm.Message = "Delete the key “" + k.Name + "” (" + apikey.KeyHint(k.DisplayPrefix) + ")?"
	confirm.Warning = "Every client that uses it is refused from the next request on. This cannot be undone; to stop it for a while, deactivate it instead."
	confirm.Action, confirm.Button, confirm.Danger = keyURL(k.ID)+"/delete", "Delete "+k.Name, true
	confirm.CancelURL, confirm.CSRFToken = keyURL(k.ID), csrfToken(c)
	return s.renderDialog(c, status, s.keysPage(c, "Delete "+k.Name), "Delete key", view.ConfirmBody(confirm))
}

// apiKeyDelete removes the key and returns to the list.
func (s *Server) apiKeyDelete(c echo.Context) error {
	var again view.Confirm
	who, ok := actorWithReason(c, &again)
	if !ok {
		k, _, err := s.keyWithPath(c)
		if err != nil {
			return err
		}
		return s.renderDeleteConfirm(c, http.StatusUnprocessableEntity, k, again)
	}
	k, err := s.keys.Delete(c.Request().Context(), who, c.Param("id"))
	if errs, ok := storageError(err); ok {
		if k, _, err = s.keyWithPath(c); err != nil {
			return err
		}
		again.Errors = errs
		return s.renderDeleteConfirm(c, http.StatusServiceUnavailable, k, again)
	}
	if err != nil {
		return err
	}
	return s.done(c, "Deleted the key “"+k.Name+"”: clients that used it are refused.", "/security/api-keys")
}
