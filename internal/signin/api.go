package signin

import (
	"context"
	"errors"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/token"
)

// Tokens are what an API sign-in or refresh hands out.
type Tokens struct {
	Access  string
	Refresh string
	// EndpointSecret is the credential of an endpoint that registered with
	// this sign-in: shown this once, stored only as a hash, and needed for
	// every later sign-in from the endpoint.
	EndpointSecret string
}

// Refusals the API answers with their own status and code.
var (
	// ErrWrongPassword is every failed password, throttled tries too, so
	// that none can be told apart.
	ErrWrongPassword = errors.New("the username or password is wrong, or there were too many attempts")
	// ErrUntrustedEndpoint refuses a sign-in from an endpoint the key does not trust.
	ErrUntrustedEndpoint = errors.New("this endpoint is not trusted yet: an administrator must trust it on the key's Endpoints tab")
	// ErrEndpointCredential refuses a sign-in naming a registered endpoint
	// without the credential it was given.
	ErrEndpointCredential = errors.New("this endpoint is registered: send the endpoint_secret it was given, or use an endpoint_id of your own")
	// ErrPasswordChangeRequired refuses the right password of a user who
	// must choose a new one in the console first.
	ErrPasswordChangeRequired = errors.New("this user must change the password in the console before signing in here")
	// ErrRefreshRefused refuses a refresh token that cannot be used.
	ErrRefreshRefused = errors.New("the refresh token is unknown, used, expired or for another key; sign in again")
)

// SignIn signs a console user in through an app or device holding key k.
// A new endpoint registers: it gets a credential (Tokens.EndpointSecret)
// and is trusted when the key trusts endpoints automatically. A registered
// endpoint proves it is the same device with that credential; a sign-in
// never renames it. An untrusted endpoint may sign in only when the key
// allows it.
func (s *Service) SignIn(ctx context.Context, k *apikey.Key, username, password, ip, endpointID, endpointName, endpointSecret string) (Tokens, error) {
	through := apikey.NewChange(apikey.FieldAPIKey, nil, apikey.KeyRef{ID: k.ID, Name: k.Name})
	user, err := s.password(ctx, username, password, ip, apikey.ActionUserSignedIn, through)
	if err != nil {
		return Tokens{}, err
	}
	if user == nil {
		return Tokens{}, ErrWrongPassword
	}
	if user.MustChangePassword {
		return Tokens{}, ErrPasswordChangeRequired
	}
	trusted, issued := false, ""
	if endpointID != "" {
		var e *apikey.Endpoint
		if e, issued, err = s.endpoint(ctx, k, endpointID, endpointName, endpointSecret); err != nil {
			return Tokens{}, err
		}
		trusted = e.Trusted
	}
	if !trusted && !k.AllowUntrustedEndpoints {
		if issued != "" {
			// Registered, awaiting trust: the device keeps its credential.
			return Tokens{EndpointSecret: issued}, ErrUntrustedEndpoint
		}
		return Tokens{}, ErrUntrustedEndpoint
	}
	t, err := s.issue(ctx, user, k, endpointID, "", "")
	t.EndpointSecret = issued
	return t, err
}

// endpoint checks the credential of a registered endpoint and records the
// sign-in, or registers the endpoint (also one registered before endpoints
// had credentials) and returns the credential it was given.
func (s *Service) endpoint(ctx context.Context, k *apikey.Key, id, name, presented string) (*apikey.Endpoint, string, error) {
	now := s.cfg.Now()
	e, err := s.cfg.Store.Endpoint(ctx, k.ID, id)
	switch {
	case err == nil && e.SecretHash != "":
		if presented == "" || !apikey.SameHash(e.SecretHash, apikey.HashSecret(presented)) {
			return nil, "", ErrEndpointCredential
		}
		return e, "", s.cfg.Store.TouchEndpoint(ctx, k.ID, id, now)
	case err != nil && apikey.ErrorCode(err) != apikey.ENOTFOUND:
		return nil, "", err
	}
	random, err := apikey.RandomBase62(43)
	if err != nil {
		return nil, "", err
	}
	secret := "kce_" + random
	stored, err := s.cfg.Store.RegisterEndpoint(ctx, k.ID, id, name, apikey.HashSecret(secret), k.AutoEndpointTrust, now)
	if err != nil {
		return nil, "", err
	}
	if !stored {
		return nil, "", ErrEndpointCredential // another device registered it at the same moment
	}
	e, err = s.cfg.Store.Endpoint(ctx, k.ID, id)
	return e, secret, err
}

// Refresh replaces a refresh token (it works once) with new tokens. A
// refresh token used a second time was copied: the whole chain of its
// sign-in ends, with the access tokens it gave, for thief and owner alike.
func (s *Service) Refresh(ctx context.Context, k *apikey.Key, refresh string) (Tokens, error) {
	t, err := s.cfg.Store.RefreshTokenByHash(ctx, apikey.HashSecret(refresh))
	if apikey.ErrorCode(err) == apikey.ENOTFOUND {
		return Tokens{}, ErrRefreshRefused
	}
	if err != nil {
		return Tokens{}, err
	}
	if t.UsedAt != nil {
		return Tokens{}, s.endChain(ctx, t)
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
	tokens, err := s.issue(ctx, user, k, t.EndpointID, t.ChainID, t.Hash)
	if errors.Is(err, errUsedMeanwhile) {
		return Tokens{}, s.endChain(ctx, t) // two uses at once: one is not the owner's
	}
	return tokens, err
}

// endChain ends the sign-in of a reused refresh token t, and refuses.
func (s *Service) endChain(ctx context.Context, t *apikey.RefreshToken) error {
	s.cfg.Logger.Warn("refresh token used twice; its sign-in ended", "key_id", t.KeyID, "user_id", t.UserID)
	if err := s.cfg.Store.EndRefreshChain(context.WithoutCancel(ctx), t.ChainID); err != nil {
		return err
	}
	return ErrRefreshRefused
}

// SignOut ends the sign-in a refresh token of key k belongs to: its refresh
// tokens and its access tokens. An unknown one is no error.
func (s *Service) SignOut(ctx context.Context, k *apikey.Key, refresh string) error {
	if t, err := s.cfg.Store.RefreshTokenByHash(ctx, apikey.HashSecret(refresh)); err == nil && apikey.SameHash(t.KeyID, k.ID) {
		return s.cfg.Store.EndRefreshChain(ctx, t.ChainID)
	}
	return nil
}

// AccessTokenLive tells whether the sign-in a user access token descends
// from still stands: not signed out, not ended by a reused refresh token,
// its endpoint not distrusted, its user not deactivated since (which ends
// every sign-in of the user for good, so reactivating revives none).
func (s *Service) AccessTokenLive(ctx context.Context, c *token.Claims) (bool, error) {
	if c.Chain == "" {
		return false, nil // issued before tokens named their sign-in
	}
	return s.cfg.Store.RefreshChainLive(ctx, c.Chain, c.Subject, s.cfg.Now())
}

// errUsedMeanwhile is a refresh token used by a refresh racing this one.
var errUsedMeanwhile = errors.New("refresh token used meanwhile")

// issue makes a new access token and a new refresh token in the sign-in
// chain (a new one when ""), marking oldHash used when this is a refresh.
func (s *Service) issue(ctx context.Context, user *apikey.User, k *apikey.Key, endpointID, chain, oldHash string) (Tokens, error) {
	if chain == "" {
		var err error
		if chain, err = apikey.RandomBase62(22); err != nil {
			return Tokens{}, err
		}
	}
	access, err := s.cfg.Tokens.SignUser(ctx, token.UserGrant{UserID: user.ID, AccountID: user.AccountID, Role: string(user.Role), KeyID: k.ID,
		Chain: chain, PasswordVersion: user.PasswordVersion}, AccessTokenTTL)
	if err != nil {
		return Tokens{}, err
	}
	random, err := apikey.RandomBase62(43)
	if err != nil {
		return Tokens{}, err
	}
	refresh := "kcr_" + random
	now := s.cfg.Now()
	s.sweep(ctx, now)
	t := apikey.RefreshToken{Hash: apikey.HashSecret(refresh), UserID: user.ID, KeyID: k.ID, EndpointID: endpointID, ChainID: chain, ExpiresAt: now.Add(RefreshTokenTTL)}
	if err := s.cfg.Store.AddRefreshToken(ctx, t, oldHash, now); err != nil {
		if apikey.ErrorCode(err) == apikey.ENOTFOUND {
			return Tokens{}, errUsedMeanwhile
		}
		return Tokens{}, err
	}
	return Tokens{Access: access, Refresh: refresh}, nil
}

// sweepEvery is how often an instance removes expired refresh tokens (used
// ones are kept until then, to recognise their reuse) and expired JWTs.
const sweepEvery = time.Hour

// sweep removes expired tokens, by one caller per instance now and then;
// a failure is only logged (the next sweep catches up).
func (s *Service) sweep(ctx context.Context, now time.Time) {
	next := s.nextSweep.Load()
	if now.UnixNano() < next || !s.nextSweep.CompareAndSwap(next, now.Add(sweepEvery).UnixNano()) {
		return
	}
	if err := s.cfg.Store.DeleteExpiredTokens(ctx, now); err != nil {
		s.cfg.Logger.Warn("expired tokens not removed", "err", err)
	}
}
