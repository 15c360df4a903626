package web

import (
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
)

// SessionConfig sets how console sessions behave.
type SessionConfig struct {
	Keys          auth.SessionKeys
	Lifetime      time.Duration // the cookie's; sessions end in internal/signin; default 12 hours
	SecureCookies bool          // Secure even when the request did not arrive over TLS (behind a TLS proxy)
}

const sessionCookie = "kc_session"

// visit is what this request knows about its visitor. The cookie (signed and
// encrypted by gorilla/sessions) holds only the CSRF token and the session id;
// who is signed in is looked up server-side, so sign-out and deactivation
// take effect at once.
type visit struct {
	cookie    *sessions.Session
	csrf      string // never shown as is: see csrfToken
	sessionID string // raw id, never stored server-side
	user      *apikey.User
	principal *apikey.Principal
	// account is the account last chosen (?account=ID) in this session:
	// pages without ?account show it, so that a choice stays until changed.
	account string

	// csrf as masked for this answer, and the token it masks.
	masked, maskedOf string

	// On the JSON API: the caller's key, and whether it came as a bearer
	// token (then no user token can come beside it).
	key         *apikey.Key
	keyInBearer bool
}

func newCookieStore(cfg SessionConfig) *sessions.CookieStore {
	cs := sessions.NewCookieStore(cfg.Keys.Auth, cfg.Keys.Encryption)
	cs.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(cfg.Lifetime.Seconds())}
	cs.MaxAge(int(cfg.Lifetime.Seconds()))
	return cs
}

// loadVisit reads the cookie, checks the session against the store and its
// timeouts, and marks every answer as not to be cached.
func (s *Server) loadVisit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		v, err := s.readVisit(c)
		if err != nil {
			return err
		}
		setVisit(c, v)
		return next(c)
	}
}

func (s *Server) readVisit(c echo.Context) (*visit, error) {
	// A cookie that fails to decode (old keys, tampering) starts a fresh visit.
	cookie, _ := s.cookies.Get(c.Request(), sessionCookie)
	v := &visit{cookie: cookie}
	v.csrf, _ = cookie.Values["csrf"].(string)
	v.sessionID, _ = cookie.Values["sid"].(string)
	v.account, _ = cookie.Values["account"].(string)
	dirty := false
	if v.csrf == "" {
		v.csrf, _ = apikey.RandomBase62(32)
		dirty = true
	}
	if v.sessionID != "" {
		user, err := s.signedInUser(c, v.sessionID)
		if err != nil {
			return nil, err
		}
		if user == nil {
			v.sessionID, v.account = "", ""
			dirty = true
		} else {
			v.user, v.principal = user, apikey.UserPrincipal(user)
		}
	}
	if dirty {
		if err := s.saveVisit(c, v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// signedInUser returns the user of a live session, or nil.
func (s *Server) signedInUser(c echo.Context, sessionID string) (*apikey.User, error) {
	return s.signin.SessionUser(c.Request().Context(), sessionID)
}

// saveVisit writes the cookie; Secure when the request came over TLS or the
// console is configured to sit behind a TLS proxy.
func (s *Server) saveVisit(c echo.Context, v *visit) error {
	v.cookie.Values["csrf"] = v.csrf
	if v.sessionID != "" {
		v.cookie.Values["sid"] = v.sessionID
	} else {
		delete(v.cookie.Values, "sid")
	}
	if v.account != "" {
		v.cookie.Values["account"] = v.account
	} else {
		delete(v.cookie.Values, "account")
	}
	opts := *s.cookies.Options
	opts.Secure = s.sessions.SecureCookies || c.Request().TLS != nil
	v.cookie.Options = &opts
	return v.cookie.Save(c.Request(), c.Response())
}

// startSession signs user in: a new session id and a new CSRF token, so
// nothing known before sign-in (session fixation) is worth anything after.
func (s *Server) startSession(c echo.Context, v *visit, user *apikey.User) error {
	id, err := s.signin.StartSession(c.Request().Context(), user, v.sessionID)
	if err != nil {
		return err
	}
	v.sessionID, v.user, v.principal, v.account = id, user, apikey.UserPrincipal(user), ""
	if v.csrf, err = apikey.RandomBase62(32); err != nil {
		return err
	}
	return s.saveVisit(c, v)
}

// endSession signs out: the server forgets the session, the cookie forgets its id.
func (s *Server) endSession(c echo.Context, v *visit) error {
	if err := s.signin.EndSession(c.Request().Context(), v.sessionID); err != nil {
		return err
	}
	v.sessionID, v.user, v.principal, v.account = "", nil, nil, ""
	var err error
	if v.csrf, err = apikey.RandomBase62(32); err != nil {
		return err
	}
	return s.saveVisit(c, v)
}

// apiKeyOf is the JSON API caller's key (nil outside the API).
func apiKeyOf(c echo.Context) *apikey.Key {
	if v := visitOf(c); v != nil {
		return v.key
	}
	return nil
}

func principalOf(c echo.Context) *apikey.Principal {
	if v := visitOf(c); v != nil {
		return v.principal
	}
	return nil
}
