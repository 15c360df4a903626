package signin

import (
	"context"
	"errors"

	"keyconsole/internal/apikey"
)

// Tokens are what an API sign-in or refresh hands out.
type Tokens struct {
	Access  string
	Refresh string
}

// Refusals the API answers with their own status and code.
var (
	// ErrWrongPassword is every failed password, throttled tries too, so
	// that none can be told apart.
	ErrWrongPassword = errors.New("the username or password is wrong, or there were too many attempts")
	// ErrUntrustedEndpoint refuses a sign-in from an endpoint the key does not trust.
	ErrUntrustedEndpoint = errors.New("this endpoint is not trusted yet: an administrator must trust it on the key's Endpoints tab")
	// ErrPasswordChangeRequired refuses the right password of a user who
	// must choose a new one in the console first.
	ErrPasswordChangeRequired = errors.New("this user must change the password in the console before signing in here")
	// ErrRefreshRefused refuses a refresh token that cannot be used.
	ErrRefreshRefused = errors.New("the refresh token is unknown, used, expired or for another key; sign in again")
)

// SignIn signs a console user in through an app or device holding key k.
// A new endpoint is trusted when the key trusts endpoints automatically;
// an untrusted one may sign in only when the key allows it.
func (s *Service) SignIn(ctx context.Context, k *apikey.Key, username, password, ip, endpointID, endpointName string) (Tokens, error) {
	user, err := s.Password(ctx, username, password, ip)
	if err != nil {
		return Tokens{}, err
	}
	if user == nil {
		return Tokens{}, ErrWrongPassword
	}
	if user.MustChangePassword {
		return Tokens{}, ErrPasswordChangeRequired
	}
	trusted := false
	if endpointID != "" {
		e, err := s.cfg.Store.SeeEndpoint(ctx, k.ID, endpointID, endpointName, k.AutoEndpointTrust, s.cfg.Now())
		if err != nil {
			return Tokens{}, err
		}
		trusted = e.Trusted
	}
	if !trusted && !k.AllowUntrustedEndpoints {
		return Tokens{}, ErrUntrustedEndpoint
	}
	return s.issue(ctx, user, k, endpointID, "")
}

// Refresh replaces a refresh token (it works once) with new tokens.
func (s *Service) Refresh(ctx context.Context, k *apikey.Key, refresh string) (Tokens, error) {
	t, err := s.cfg.Store.RefreshTokenByHash(ctx, apikey.HashSecret(refresh))
	if apikey.ErrorCode(err) == apikey.ENOTFOUND {
		return Tokens{}, ErrRefreshRefused
	}
	if err != nil {
		return Tokens{}, err
	}
	if !apikey.SameHash(t.KeyID, k.ID) || !s.cfg.Now().Before(t.ExpiresAt) {
		return Tokens{}, ErrRefreshRefused
	}
	user, err := s.cfg.Store.User(ctx, t.UserID)
	if err != nil || !user.Active || user.MustChangePassword {
		return Tokens{}, ErrRefreshRefused
	}
	// A key that stopped allowing untrusted endpoints stops renewing their
	// tokens too, and those of sign-ins that named no endpoint.
	if !k.AllowUntrustedEndpoints {
		if t.EndpointID == "" {
			return Tokens{}, ErrRefreshRefused
		}
		if e, err := s.cfg.Store.Endpoint(ctx, k.ID, t.EndpointID); err != nil || !e.Trusted {
			return Tokens{}, ErrRefreshRefused
		}
	}
	return s.issue(ctx, user, k, t.EndpointID, t.Hash)
}

// SignOut ends a refresh token of key k; an unknown one is no error (the
// access token runs out within minutes).
func (s *Service) SignOut(ctx context.Context, k *apikey.Key, refresh string) error {
	hash := apikey.HashSecret(refresh)
	if t, err := s.cfg.Store.RefreshTokenByHash(ctx, hash); err == nil && apikey.SameHash(t.KeyID, k.ID) {
		return s.cfg.Store.DeleteRefreshToken(ctx, hash)
	}
	return nil
}

// issue makes a new access token and a new refresh token, replacing
// oldHash when this is a refresh.
func (s *Service) issue(ctx context.Context, user *apikey.User, k *apikey.Key, endpointID, oldHash string) (Tokens, error) {
	access, err := s.cfg.Tokens.SignUser(ctx, user.ID, k.ID, user.PasswordVersion, AccessTokenTTL)
	if err != nil {
		return Tokens{}, err
	}
	random, err := apikey.RandomBase62(43)
	if err != nil {
		return Tokens{}, err
	}
	refresh := "kcr_" + random
	now := s.cfg.Now()
	t := apikey.RefreshToken{Hash: apikey.HashSecret(refresh), UserID: user.ID, KeyID: k.ID, EndpointID: endpointID, ExpiresAt: now.Add(RefreshTokenTTL)}
	if err := s.cfg.Store.AddRefreshToken(ctx, t, oldHash, now); err != nil {
		if apikey.ErrorCode(err) == apikey.ENOTFOUND {
			return Tokens{}, ErrRefreshRefused // used by a refresh racing this one
		}
		return Tokens{}, err
	}
	return Tokens{Access: access, Refresh: refresh}, nil
}
