package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/keys"
	"keyconsole/web/view"
)

// apiKeyMoveForm asks which account a key goes to, its own chosen unless
// account_id says another (a chooser's row links back so).
func (s *Server) apiKeyMoveForm(c echo.Context) error {
	k, err := s.keyToMove(c)
	if err != nil {
		return err
	}
	return s.renderKeyMove(c, http.StatusOK, k, c.QueryParam("account_id"), nil)
}

// apiKeyMove moves the key and shows it, saying where it went; a refusal comes back beside the
// account as chosen.
func (s *Server) apiKeyMove(c echo.Context) error {
	to := c.FormValue("account_id")
	version, _ := strconv.Atoi(c.FormValue("version"))
	k, err := s.keys.Move(c.Request().Context(), actor(c), c.Param("id"), version, to)
	if err == nil {
		msg := "Moved the key “" + k.Name + "”."
		if a, aerr := s.accounts.Get(c.Request().Context(), k.AccountID); aerr == nil {
			msg = "Moved the key “" + k.Name + "” to " + a.Name + "."
		}
		return s.done(c, msg, keyURL(k.ID))
	}
	if errs, ok := storageError(err); ok {
		if k, err = s.keyToMove(c); err != nil {
			return err
		}
		return s.renderKeyMove(c, http.StatusServiceUnavailable, k, to, errs)
	}
	var stale *apikey.StaleError
	isStale := errors.As(err, &stale)
	if !isStale && apikey.ErrorField(err) != "account_id" {
		return err // about the key itself: gone, or out of reach
	}
	k, kerr := s.keyToMove(c) // as stored now
	if kerr != nil {
		return kerr
	}
	msg := apikey.ErrorMessage(err)
	if isStale {
		msg += " Check it, then move it again."
	} else if version != 0 {
		k.Version = version
	}
	return s.renderKeyMove(c, moveStatus[apikey.ErrorCode(err)], k, to, map[string]string{"account_id": msg})
}

// moveStatus answers each refusal of a move.
var moveStatus = map[string]int{apikey.ECONFLICT: http.StatusConflict, apikey.EFORBIDDEN: http.StatusForbidden,
	apikey.ENOTFOUND: http.StatusUnprocessableEntity, apikey.EINVALID: http.StatusUnprocessableEntity}

// keyToMove is the key the route names, when the visitor may change it.
func (s *Server) keyToMove(c echo.Context) (*apikey.Key, error) {
	k, path, err := s.keyWithPath(c)
	if err != nil {
		return nil, err
	}
	if !principalOf(c).CanIn(apikey.ModifyApiKey, path) {
		return nil, echo.ErrForbidden
	}
	return k, nil
}

// renderKeyMove draws the move page of key k: the accounts it may go to
// are those where the visitor may change keys, offered in a select, or
// with many, found by name a page at a time.
func (s *Server) renderKeyMove(c echo.Context, status int, k *apikey.Key, to string, errs map[string]string) error {
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	if to == "" {
		to = k.AccountID
	}
	p := principalOf(c)
	m := view.KeyMove{Name: k.Name, Action: keyURL(k.ID) + "/move", CSRFToken: csrfToken(c), CancelURL: keyURL(k.ID),
		Version: strconv.Itoa(k.Version), Account: to, Errors: errs}
	if err := keys.MoveRefusal(k); err != nil {
		m.Refusal = apikey.ErrorMessage(err)
	} else {
		var places []treeNode
		for _, t := range dir.tree {
			if p.CanIn(apikey.ModifyApiKey, t.path) {
				places = append(places, t)
			}
		}
		note := func(id string) string {
			if id == k.AccountID {
				return "current account"
			}
			return ""
		}
		one := chooseAccount(c, dir, places, "account_id", to, m.Action, note)
		if one.choices != nil && isFragmentRequest(c, "account-choices") {
			return render(c, status, view.AccountChoiceList(*one.choices))
		}
		m.Accounts, m.AccountName, m.Choices = one.options, one.name, one.choices
	}
	title := "Move " + k.Name
	return s.renderDialog(c, status, s.keysPage(c, title), title, view.KeyMoveBody(m))
}
