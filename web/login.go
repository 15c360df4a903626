package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// signInFailed is the one message for every refusal: wrong password, unknown
// user, inactive user or throttled, so none can be told apart.
const signInFailed = "The username or password is wrong, or there were too many attempts. Try again in a few minutes."

// loginForm shows the sign-in page; a signed-in user goes straight on.
func (s *Server) loginForm(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if principalOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return render(c, http.StatusOK, view.LoginPage(view.LoginForm{Next: next, CSRFToken: visitOf(c).csrf}))
}

// login checks the password and starts a session.
func (s *Server) login(c echo.Context) error {
	v := visitOf(c)
	next := safeNext(c.FormValue("next"))
	typed := c.Request().PostFormValue("username")
	password := c.Request().PostFormValue("password") // never from the URL
	user, err := s.authenticate(c, typed, password)
	if err != nil {
		return err
	}
	if user == nil {
		form := view.LoginForm{Username: typed, Next: next, Error: signInFailed, CSRFToken: v.csrf}
		return render(c, http.StatusUnauthorized, view.LoginPage(form))
	}
	if err := s.startSession(c, v, user); err != nil {
		return err
	}
	if err := s.store.RecordSignIn(c.Request().Context(), user.ID, s.now()); err != nil {
		s.logger.Warn("record sign-in", "request_id", requestIDOf(c), "err", err)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// authenticate returns the user whose password this is, or nil. A try the
// throttle refuses costs no password hash (so floods stay cheap); every other
// refusal costs one, so an unknown user looks like a wrong password.
func (s *Server) authenticate(c echo.Context, typed, password string) (*apikey.User, error) {
	ctx, ip, now := c.Request().Context(), c.RealIP(), s.now()
	username, msg := validate.Username(typed)
	if msg != "" {
		username = typed // still throttled, under what was typed
	}
	allowed, err := s.throttle.Attempt(ctx, username, ip, now)
	if err != nil {
		// Fail closed: without the count, a try could be one too many.
		s.logger.Error("sign-in throttle unavailable; sign-in refused", "request_id", requestIDOf(c), "err", err)
		return nil, nil
	}
	if !allowed {
		return nil, nil
	}
	release, err := s.hashSlot(c)
	if err != nil {
		return nil, err
	}
	defer release()
	if msg != "" {
		s.dummy.Burn(password)
		return nil, nil
	}
	user, err := s.store.UserByName(ctx, username)
	switch {
	case apikey.ErrorCode(err) == apikey.ENOTFOUND:
		s.dummy.Burn(password)
	case err != nil:
		return nil, err
	default:
		ok, verr := auth.VerifyPassword(user.PasswordHash, password)
		if verr != nil {
			s.logger.Error("stored password hash unreadable", "user_id", user.ID, "err", verr)
		}
		if ok && user.Active {
			// The sign-in stands either way; at worst the try stays counted.
			// Not cancelled with the request: the try should be given back.
			if err := s.throttle.Succeeded(context.WithoutCancel(ctx), username, ip, now); err != nil {
				s.logger.Warn("sign-in throttle: try not given back", "request_id", requestIDOf(c), "err", err)
			}
			return user, nil
		}
	}
	return nil, nil
}

// hashSlot waits for one of the few password-hashing slots: each argon2id
// hash takes 19 MiB, so unbounded parallel sign-ins could exhaust memory.
func (s *Server) hashSlot(c echo.Context) (release func(), err error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-c.Request().Context().Done():
		return nil, c.Request().Context().Err()
	}
}

// logout ends the session and returns to the sign-in page.
func (s *Server) logout(c echo.Context) error {
	if err := s.endSession(c, visitOf(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
