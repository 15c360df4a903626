package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// apiKeyNew shows the add form, with safe defaults: active, generated
// secret, six months.
func (s *Server) apiKeyNew(c echo.Context) error {
	account, _, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	f := view.KeyForm{Type: "general", AccessType: "generated", Active: true, ExpiresIn: defaultExpiry, Headers: headerRows(nil)}
	return s.renderKeyForm(c, http.StatusOK, f, account)
}

// apiKeyCreate stores a new key and answers with its secret, once.
func (s *Server) apiKeyCreate(c echo.Context) error {
	account, _, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	in, err := keyInputFromForm(c)
	if err != nil {
		return err
	}
	if f := keyFormFromInput(in); formOnly(c, in, &f) {
		return s.renderKeyForm(c, http.StatusOK, f, account)
	}
	settings, custom, errs := validate.NewKey(in, s.now())
	if errs.Any() {
		f := keyFormFromInput(in)
		f.Errors = errs
		return s.renderKeyForm(c, http.StatusUnprocessableEntity, f, account)
	}
	k, secret, err := s.keys.Create(c.Request().Context(), actor(c), account.ID, settings, custom)
	if errs, status, ok := fieldError(err); ok {
		f := keyFormFromInput(in)
		f.Errors = errs
		return s.renderKeyForm(c, status, f, account)
	}
	if err != nil {
		return err
	}
	shown := view.SecretShown{KeyName: k.Name, KeyURL: keyURL(k.ID), Secret: secret, Created: true, ListURL: "/security/api-keys?account=" + url.QueryEscape(account.ID)}
	return s.showSecret(c, http.StatusCreated, "Key created", "Copy your new key", shown, "Created the key “"+k.Name+"”.")
}

// showSecret answers with the show-once dialog, and keeps msg (never the
// secret) for the page that comes after it: the frame is made first, so
// that the message waits for that page.
func (s *Server) showSecret(c echo.Context, status int, title, heading string, shown view.SecretShown, msg string) error {
	page := s.keysPage(c, title)
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return s.renderDialog(c, status, page, heading, view.SecretBody(shown))
}

// renderKeyForm draws the add form for the given account. The form names
// the account, and posts to it whatever is chosen meanwhile elsewhere.
func (s *Server) renderKeyForm(c echo.Context, status int, f view.KeyForm, account *apikey.Account) error {
	f.Action = "/security/api-keys/new?account=" + url.QueryEscape(account.ID)
	f.CSRFToken = csrfToken(c)
	f.Choices = keyChoices(s.now(), "")
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	fillPicker(&f.Scope, dir)
	title := "Add key to " + account.Name
	return s.renderDialog(c, status, s.keysPage(c, title), title, view.KeyFormBody(f))
}
