package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// apiKeyEdit shows the edit form filled with the key as stored.
func (s *Server) apiKeyEdit(c echo.Context) error {
	k, path, err := s.keyWithPath(c)
	if err != nil {
		return err
	}
	if !principalOf(c).CanIn(apikey.ModifyApiKey, path) {
		return echo.ErrForbidden
	}
	return s.renderEditForm(c, http.StatusOK, keyFormFromKey(k), k)
}

// apiKeySave saves an edit. When someone else saved first, the form comes
// back with the user's edits, who changed the key and when, and the new
// version, so saving again is a deliberate choice.
func (s *Server) apiKeySave(c echo.Context) error {
	ctx := c.Request().Context()
	k, err := s.keys.Get(ctx, actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	in, err := keyInputFromForm(c)
	if err != nil {
		return err
	}
	f := keyFormFromInput(in)
	f.Edit, f.KeyName, f.CurrentExpiry = true, k.Name, apikey.ExpiryText(k.ExpiresAt)
	if formOnly(c, in, &f) {
		// The version stays the one the form was read at.
		f.Version = c.FormValue("version")
		return s.renderEditForm(c, http.StatusOK, f, k)
	}
	version, msg := validate.Version(c.FormValue("version"))
	settings, errs := validate.KeyEdit(in, k.ExpiresAt, s.now())
	errs.Add("form", msg)
	if errs.Any() {
		f.Errors = errs
		return s.renderEditForm(c, http.StatusUnprocessableEntity, f, k)
	}
	_, changed, err := s.keys.Update(ctx, actor(c), k.ID, version, settings)
	var stale *apikey.StaleError
	if errs, status, ok := fieldError(err); ok {
		f.Errors = errs
		return s.renderEditForm(c, status, f, k)
	}
	switch {
	case errors.As(err, &stale):
		f.Conflict = apikey.ErrorMessage(err)
		k.Version = stale.Version
		return s.renderEditForm(c, http.StatusConflict, f, k)
	case err != nil:
		return err
	case !changed:
		return redirect(c, keyURL(k.ID)+"?saved=unchanged")
	}
	return redirect(c, keyURL(k.ID))
}

// renderEditForm draws the edit form; the version is the one the next save
// will claim to have read: k's, unless f has one.
func (s *Server) renderEditForm(c echo.Context, status int, f view.KeyForm, k *apikey.Key) error {
	f.Edit, f.Action, f.SecretHead = true, keyURL(k.ID), k.GeneratedHead()
	if f.Version == "" {
		f.Version = strconv.Itoa(k.Version)
	}
	f.CSRFToken = csrfToken(c)
	f.Choices = keyChoices(s.now(), f.CurrentExpiry)
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	fillPicker(&f.Scope, dir)
	title := "Edit " + k.Name
	return s.renderDialog(c, status, s.keysPage(c, title), title, view.KeyFormBody(f))
}
