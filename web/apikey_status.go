package web

import (
	"github.com/labstack/echo/v4"
)

// apiKeyActivate switches a key on and returns to where the button was.
func (s *Server) apiKeyActivate(c echo.Context) error { return s.setKeyActive(c, true) }

// apiKeyDeactivate switches a key off; it is refused from the next request on.
func (s *Server) apiKeyDeactivate(c echo.Context) error { return s.setKeyActive(c, false) }

func (s *Server) setKeyActive(c echo.Context, active bool) error {
	k, err := s.keys.SetActive(c.Request().Context(), actor(c), c.Param("id"), active)
	if err != nil {
		return err
	}
	back := c.FormValue("return")
	if back == "" {
		back = keyURL(k.ID)
	}
	return redirect(c, safeNext(back))
}
