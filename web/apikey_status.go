package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// apiKeyActivate switches a key on; the buttons that offer it confirm in
// the same click, as nothing stops working.
func (s *Server) apiKeyActivate(c echo.Context) error { return s.setKeyActive(c, true) }

// apiKeyDeactivate switches a key off, after asking: every client using it
// is refused from the next request on.
func (s *Server) apiKeyDeactivate(c echo.Context) error { return s.setKeyActive(c, false) }

func (s *Server) setKeyActive(c echo.Context, active bool) error {
	k, path, err := s.keyWithPath(c)
	if err != nil {
		return err
	}
	if !principalOf(c).CanIn(apikey.ModifyApiKey, path) {
		return echo.ErrForbidden
	}
	q := question{title: "Deactivate key", q: view.Confirm{
		Message: "Deactivate the key “" + k.Name + "” (" + apikey.KeyHint(k.DisplayPrefix) + ")?",
		Warning: "Every client that uses it is refused from the next request on, until the key is activated again.",
		Action:  keyURL(k.ID) + "/deactivate", Button: "Deactivate " + k.Name, Danger: true, CancelURL: keyURL(k.ID),
	}}
	done := "The key “" + k.Name + "” is inactive: clients that use it are refused."
	if active {
		q.title, q.q.Action, q.q.Button, q.q.Danger = "Activate key", keyURL(k.ID)+"/activate", "Activate "+k.Name, false
		q.q.Message = "Activate the key “" + k.Name + "” (" + apikey.KeyHint(k.DisplayPrefix) + ")?"
		q.q.Warning = "Clients that use it are accepted again from the next request on."
		done = "The key “" + k.Name + "” is active: clients that use it are accepted again."
	}
	q.page = func() view.Page { return s.keysPage(c, q.title+" "+k.Name) }
	q.q.AskReason = !active
	return s.confirmFirst(c, q, func() error {
		who, ok := actorWithReason(c, &q.q)
		if !ok {
			return s.ask(c, http.StatusUnprocessableEntity, q)
		}
		if _, err := s.keys.SetActive(c.Request().Context(), who, k.ID, active); err != nil {
			return err
		}
		return s.done(c, done, returnTo(c, keyURL(k.ID)))
	})
}
