package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/signin"
	"keyconsole/internal/validate"
)

// tokenAnswer is what login and refresh answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	// EndpointSecret is given once, to an endpoint that just registered.
	EndpointSecret string `json:"endpoint_secret,omitempty"`
}

// loginFields reads the body of login, refresh and logout: JSON or a form.
func loginFields(c echo.Context, names ...string) (map[string]string, error) {
	out := map[string]string{}
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		var body map[string]any
		if err := decodeJSON(c, &body); err != nil {
			return nil, err
		}
		for k, v := range body {
			s, ok := v.(string)
			switch {
			case !slices.Contains(names, k):
				return nil, validationError(map[string]string{nameToRepeat(k, "body"): "Unknown field."})
			case !ok && v != nil: // null stands for a field not given
				return nil, validationError(map[string]string{k: "This field has the wrong type."})
			}
			out[k] = s
		}
		return out, nil
	}
	// From the body only: a password or token in the URL would end up in
	// proxy and browser histories. Read as strictly as JSON: a field the
	// form does not have, or one given twice, is named, not passed over.
	r := c.Request()
	if r.ContentLength != 0 && !isMediaType(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		return nil, bodyErrorWith(http.StatusUnsupportedMediaType, "Send the fields as JSON or as a URL-encoded form.")
	}
	if err := r.ParseForm(); err != nil { // parsed already under the cap (limitBody)
		return nil, readBodyError(c, err)
	}
	for k, vs := range r.PostForm {
		switch {
		case strings.HasPrefix(k, "{"):
			// JSON sent as a form: its whole text, the password with it,
			// came as one field's name, never to be repeated back.
			return nil, errFormForJSON
		case !slices.Contains(names, k):
			return nil, validationError(map[string]string{nameToRepeat(k, "body"): "Unknown field."})
		case len(vs) > 1:
			return nil, validationError(map[string]string{k: "This field is given twice."})
		}
		out[k] = vs[0]
	}
	return out, nil
}

var errSignInFailed = apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "The username or password is wrong, or there were too many attempts. Try again in a few minutes.")

// jsonLogin answers POST /api/v1/login: a console user signs in through an
// app or device that holds the key, and gets a short access token and a
// refresh token. A new endpoint is trusted when the key trusts endpoints
// automatically; an untrusted one may sign in only when the key allows it.
func (s *Server) jsonLogin(c echo.Context) error {
	k := apiKeyOf(c)
	in, err := loginFields(c, "username", "password", "endpoint_id", "endpoint_name", "endpoint_secret")
	if err != nil {
		return err
	}
	endpointID, endpointName, errs := validate.Endpoint(in["endpoint_id"], in["endpoint_name"])
	for _, more := range []validate.Errors{validate.SignIn(in["username"], in["password"]), validate.EndpointSecret(in["endpoint_secret"])} {
		for field, msg := range more {
			errs.Add(field, msg)
		}
	}
	if errs.Any() {
		return validationError(errs)
	}
	t, err := s.signin.SignIn(c.Request().Context(), k, in["username"], in["password"], c.RealIP(), endpointID, endpointName, in["endpoint_secret"])
	return s.tokenAnswer(c, t, err)
}

// refreshTokenIn reads the refresh token a refresh or a logout is given.
func refreshTokenIn(c echo.Context) (string, error) {
	in, err := loginFields(c, "refresh_token")
	if err != nil {
		return "", err
	}
	if errs := validate.RefreshToken(in["refresh_token"]); errs.Any() {
		return "", validationError(errs)
	}
	return in["refresh_token"], nil
}

// jsonRefresh answers POST /api/v1/token/refresh: a refresh token works once
// and is replaced, with a new access token.
func (s *Server) jsonRefresh(c echo.Context) error {
	ctx := c.Request().Context()
	k := apiKeyOf(c)
	refresh, err := refreshTokenIn(c)
	if err != nil {
		return err
	}
	t, err := s.signin.Refresh(ctx, k, refresh)
	return s.tokenAnswer(c, t, err)
}

// jsonLogout answers POST /api/v1/logout: the refresh token stops working
// (the access token runs out within minutes).
func (s *Server) jsonLogout(c echo.Context) error {
	ctx := c.Request().Context()
	k := apiKeyOf(c)
	refresh, err := refreshTokenIn(c)
	if err != nil {
		return err
	}
	if err := s.signin.SignOut(ctx, k, refresh); err != nil {
		return err
	}
	s.applyKeyHeaders(c, nil)
	return c.NoContent(http.StatusNoContent)
}

// tokenAnswer answers a sign-in or refresh with its tokens, or its refusal.
func (s *Server) tokenAnswer(c echo.Context, t signin.Tokens, err error) error {
	switch {
	case errors.Is(err, signin.ErrWrongPassword):
		return errSignInFailed
	case errors.Is(err, signin.ErrPasswordChangeRequired):
		return apiErr(http.StatusForbidden, "PASSWORD_CHANGE_REQUIRED", "This user must change the password in the console (/account/password) before signing in here.")
	case errors.Is(err, signin.ErrUntrustedEndpoint):
		msg := "This endpoint is not trusted yet: an administrator must trust it on the key's Endpoints tab."
		if t.EndpointSecret != "" {
			// Registered now: the device keeps its credential for the
			// sign-in after it is trusted.
			c.Response().Header().Set("Cache-Control", "no-store")
			return c.JSON(http.StatusForbidden, map[string]any{"error": map[string]string{"code": "FORBIDDEN", "message": msg}, "endpoint_secret": t.EndpointSecret})
		}
		return apiErr(http.StatusForbidden, "FORBIDDEN", msg)
	case errors.Is(err, signin.ErrEndpointCredential):
		return apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "This endpoint_id is registered: send the endpoint_secret it was given when it registered, or use an endpoint_id of your own.")
	case errors.Is(err, signin.ErrRefreshRefused):
		return apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "The refresh token is unknown, used, expired or for another key; sign in again.")
	case err != nil:
		return err
	}
	return s.apiJSON(c, http.StatusOK, tokenAnswer{AccessToken: t.Access, RefreshToken: t.Refresh, TokenType: "Bearer",
		ExpiresIn: int(signin.AccessTokenTTL.Seconds()), EndpointSecret: t.EndpointSecret}, nil)
}

// jwks answers GET /.well-known/jwks.json: the public keys that check JWT
// access keys and user access tokens.
func (s *Server) jwks(c echo.Context) error {
	keys, err := s.tokens.JWKS(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, map[string]any{"keys": keys})
}

// revokedJWTs answers GET /.well-known/revoked-jwts.json: the JWTs of JWT
// access keys revoked (deactivated, regenerated, deleted, expiry brought
// forward) before their exp, each listed until its exp, for offline
// checkers to refuse.
func (s *Server) revokedJWTs(c echo.Context) error {
	revoked, err := s.tokens.Revoked(c.Request().Context())
	if err != nil {
		return err
	}
	type entry struct {
		JTI string `json:"jti"`
		Exp int64  `json:"exp"`
	}
	out := make([]entry, 0, len(revoked))
	for _, j := range revoked {
		out = append(out, entry{JTI: j.ID, Exp: j.ExpiresAt.Unix()})
	}
	c.Response().Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(RevocationListMaxAge.Seconds())))
	return c.JSON(http.StatusOK, map[string]any{"revoked": out})
}

// RevocationListMaxAge is how long the revocation list may be cached: an
// offline checker that fetches it refuses a revoked JWT within this.
const RevocationListMaxAge = time.Minute
