package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/internal/verify"
	"keyconsole/web/view"
)

// meanings say in words what each verification answer means.
var meanings = map[string]string{
	verify.Valid:        "The key would be accepted in this account:",
	verify.NotFound:     "No key matches: it is mistyped, made up, replaced by a regenerate, or its grace period is over.",
	verify.KeyInactive:  "The key exists but is switched off:",
	verify.KeyExpired:   "The key has expired:",
	verify.IPNotAllowed: "The key may not be used from that address:",
	verify.Forbidden:    "The key belongs to an account that does not reach this one:",
	verify.RateLimited:  "The key is over its rate limit right now:",
}

// apiKeyTestForm shows the key test.
func (s *Server) apiKeyTestForm(c echo.Context) error {
	account, _, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	return s.renderKeyTest(c, http.StatusOK, view.KeyTest{}, account.ID)
}

// apiKeyTest says what verification would answer for a key in the current
// account, from an address, and records nothing. A key the visitor may not
// see is answered like an unknown one.
func (s *Server) apiKeyTest(c echo.Context) error {
	ctx := c.Request().Context()
	account, _, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	t := view.KeyTest{ClientIP: strings.TrimSpace(c.FormValue("client_ip")), Errors: map[string]string{}}
	secret := strings.TrimSpace(c.Request().PostFormValue("key")) // never from the URL
	if secret == "" {
		t.Errors["key"] = "Paste the key to test."
	}
	ip, msg := validate.ClientIP(t.ClientIP)
	if msg != "" {
		t.Errors["client_ip"] = msg
	}
	if len(t.Errors) > 0 {
		return s.renderKeyTest(c, http.StatusUnprocessableEntity, t, account.ID)
	}
	res, err := s.verifier.Explain(ctx, verify.Request{Secret: secret, ClientIP: ip, AccountID: account.ID})
	if err != nil {
		return err
	}
	t.Tested, t.Code = true, res.Code
	if res.Key != nil {
		path, err := s.accounts.Path(ctx, res.Key.AccountID)
		if err != nil {
			return err
		}
		if principalOf(c).CanIn(apikey.ViewApiKey, path) {
			t.KeyName, t.KeyURL = res.Key.Name, keyURL(res.Key.ID)
		} else {
			t.Code = verify.NotFound
		}
	}
	t.Valid, t.Meaning = t.Code == verify.Valid, meanings[t.Code]
	shown := res.Key
	if t.KeyURL == "" {
		shown = nil // not the visitor's to see: as unknown as a made-up one
	}
	t.Steps = explainSteps(t.Code, shown, secret, ip, account.Name)
	if t.Code == verify.IPNotAllowed && !ip.IsValid() {
		t.Meaning = "No client address was given, and the key works only from the addresses on its allow list (enter one to test from it):"
	}
	return s.renderKeyTest(c, http.StatusOK, t, account.ID)
}

func (s *Server) renderKeyTest(c echo.Context, status int, t view.KeyTest, accountID string) error {
	t.Action = "/security/api-keys/test?account=" + url.QueryEscape(accountID)
	t.CSRFToken = csrfToken(c)
	return s.renderDialog(c, status, s.keysPage(c, "Test a key"), "Test a key", view.KeyTestBody(t))
}
