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
// back with what they changed, the key as it is now with the user's edits
// on top, and the new version: saving again is a choice made knowingly.
// Until then the form keeps the version and base it was read at, so no
// other answer (an error, a search) lets a save overwrite unseen changes.
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
	// The version stays the one the form was read at.
	f.Version, f.Base = c.FormValue("version"), c.FormValue("base")
	if formOnly(c, in, &f) {
		return s.renderEditForm(c, http.StatusOK, f, k)
	}
	version, msg := validate.Version(f.Version)
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
		return s.renderEditConflict(c, k.ID, f.Base, in, apikey.ErrorMessage(err))
	case err != nil:
		return err
	case !changed:
		return s.done(c, "Nothing changed, so nothing was saved: the key, its version and its audit trail are as they were.", keyURL(k.ID))
	}
	return s.done(c, "Saved the changes to “"+k.Name+"”.", keyURL(k.ID))
}

// renderEditConflict answers a save refused because someone else saved
// first: the key as stored now, read again so that its values and version
// agree, with the user's edits on top and what changed listed.
func (s *Server) renderEditConflict(c echo.Context, id, base string, in validate.KeyInput, msg string) error {
	cur, err := s.keys.Get(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	f := conflictForm(cur, base, in, s.now())
	f.Conflict, f.Version, f.Base = msg, strconv.Itoa(cur.Version), editBase(cur)
	return s.renderEditForm(c, http.StatusConflict, f, cur)
}

// renderEditForm draws the edit form; the version is the one the next save
// will claim to have read: k's, unless f has one.
func (s *Server) renderEditForm(c echo.Context, status int, f view.KeyForm, k *apikey.Key) error {
	f.Edit, f.Action, f.SecretHead = true, keyURL(k.ID)+"/edit", k.GeneratedHead()
	if f.Version == "" {
		f.Version, f.Base = strconv.Itoa(k.Version), editBase(k)
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
