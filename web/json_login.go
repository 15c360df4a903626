package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
)

// Lifetimes of what sign-in through the API hands out.
const (
	accessTokenTTL  = 15 * time.Minute
	refreshTokenTTL = 30 * 24 * time.Hour
)

// tokenAnswer is what login and refresh answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// loginFields reads the body of login, refresh and logout: JSON or a form.
func loginFields(c echo.Context, names ...string) (map[string]string, error) {
	out := map[string]string{}
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		var body map[string]any
		if err := decodeJSON(c, &body); err != nil {
			return nil, err
		}
		for _, n := range names {
			if v, ok := body[n].(string); ok {
				out[n] = v
			}
		}
		for k := range body {
			if !slices.Contains(names, k) {
				return nil, validationError(map[string]string{k: "Unknown field."})
			}
		}
		return out, nil
	}
	// From the body only: a password or token in the URL would end up in
	// proxy and browser histories.
	for _, n := range names {
		out[n] = c.Request().PostFormValue(n)
	}
	return out, nil
}

var errSignInFailed = apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "The username or password is wrong, or there were too many attempts. Try again in a few minutes.")

// jsonLogin answers POST /api/v1/login: a console user signs in through an
// app or device that holds the key, and gets a short access token and a
// refresh token. A new endpoint is trusted when the key trusts endpoints
// automatically; an untrusted one may sign in only when the key allows it.
func (s *Server) jsonLogin(c echo.Context) error {
	k := c.Get(apiKeyCtx).(*apikey.Key)
	in, err := loginFields(c, "username", "password", "endpoint_id", "endpoint_name")
	if err != nil {
		return err
	}
	endpointID, endpointName, errs := validate.Endpoint(in["endpoint_id"], in["endpoint_name"])
	for field, msg := range validate.SignIn(in["username"], in["password"]) {
		errs.Add(field, msg)
	}
	if errs.Any() {
		return validationError(errs)
	}
	user, err := s.authenticate(c, in["username"], in["password"])
	if err != nil {
		return err
	}
	if user == nil {
		return errSignInFailed
	}
	trusted := false
	if endpointID != "" {
		e, err := s.store.SeeEndpoint(c.Request().Context(), k.ID, endpointID, endpointName, k.AutoEndpointTrust, s.now())
		if err != nil {
			return err
		}
		trusted = e.Trusted
	}
	if !trusted && !k.AllowUntrustedEndpoints {
		return apiErr(http.StatusForbidden, "FORBIDDEN", "This endpoint is not trusted yet: an administrator must trust it on the key's Endpoints tab.")
	}
	return s.issueTokens(c, user, k, endpointID, "")
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
	k := c.Get(apiKeyCtx).(*apikey.Key)
	refresh, err := refreshTokenIn(c)
	if err != nil {
		return err
	}
	refused := apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "The refresh token is unknown, used, expired or for another key; sign in again.")
	t, err := s.store.RefreshTokenByHash(ctx, apikey.HashSecret(refresh))
	if apikey.ErrorCode(err) == apikey.ENOTFOUND {
		return refused
	}
	if err != nil {
		return err
	}
	if !apikey.SameHash(t.KeyID, k.ID) || !s.now().Before(t.ExpiresAt) {
		return refused
	}
	user, err := s.store.User(ctx, t.UserID)
	if err != nil || !user.Active {
		return refused
	}
	// A key that stopped allowing untrusted endpoints stops renewing their
	// tokens too, and those of sign-ins that named no endpoint.
	if !k.AllowUntrustedEndpoints {
		if t.EndpointID == "" {
			return refused
		}
		if e, err := s.store.Endpoint(ctx, k.ID, t.EndpointID); err != nil || !e.Trusted {
			return refused
		}
	}
	return s.issueTokens(c, user, k, t.EndpointID, t.Hash)
}

// jsonLogout answers POST /api/v1/logout: the refresh token stops working
// (the access token runs out within minutes).
func (s *Server) jsonLogout(c echo.Context) error {
	ctx := c.Request().Context()
	k := c.Get(apiKeyCtx).(*apikey.Key)
	refresh, err := refreshTokenIn(c)
	if err != nil {
		return err
	}
	hash := apikey.HashSecret(refresh)
	if t, err := s.store.RefreshTokenByHash(ctx, hash); err == nil && apikey.SameHash(t.KeyID, k.ID) {
		if err := s.store.DeleteRefreshToken(ctx, hash); err != nil {
			return err
		}
	}
	s.applyKeyHeaders(c, nil)
	return c.NoContent(http.StatusNoContent)
}

// issueTokens answers with a new access token and a new refresh token,
// replacing oldHash when this is a refresh.
func (s *Server) issueTokens(c echo.Context, user *apikey.User, k *apikey.Key, endpointID, oldHash string) error {
	ctx := c.Request().Context()
	access, err := s.tokens.SignUser(ctx, user.ID, k.ID, accessTokenTTL)
	if err != nil {
		return err
	}
	random, err := apikey.RandomBase62(43)
	if err != nil {
		return err
	}
	refresh := "kcr_" + random
	now := s.now()
	t := apikey.RefreshToken{Hash: apikey.HashSecret(refresh), UserID: user.ID, KeyID: k.ID, EndpointID: endpointID, ExpiresAt: now.Add(refreshTokenTTL)}
	if err := s.store.AddRefreshToken(ctx, t, oldHash, now); err != nil {
		if apikey.ErrorCode(err) == apikey.ENOTFOUND {
			return apiErr(http.StatusUnauthorized, "UNAUTHORIZED", apikey.ErrorMessage(err))
		}
		return err
	}
	return s.apiJSON(c, http.StatusOK, tokenAnswer{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(accessTokenTTL.Seconds())}, nil)
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
