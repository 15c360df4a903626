// Package signin proves who a person is: passwords checked under the
// sign-in throttle, console sessions (kept in the database, so any
// instance serves them), and the JSON API's user tokens with the endpoints
// they sign in from and their one-use refresh tokens.
package signin

import (
	"context"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/token"
	"keyconsole/internal/validate"
)

// Store is what signing in needs of the database.
type Store interface {
	User(ctx context.Context, id string) (*apikey.User, error)
	UserByName(ctx context.Context, username string) (*apikey.User, error)
	RecordSignIn(ctx context.Context, id string, at time.Time) error
	CreateSession(ctx context.Context, idHash, userID string, at time.Time) error
	SessionByHash(ctx context.Context, idHash string) (*apikey.Session, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	RegisterEndpoint(ctx context.Context, keyID, endpointID, name, secretHash string, trustedIfNew bool, at time.Time) (bool, error)
	TouchEndpoint(ctx context.Context, keyID, endpointID string, at time.Time) error
	Endpoint(ctx context.Context, keyID, endpointID string) (*apikey.Endpoint, error)
	AddRefreshToken(ctx context.Context, t apikey.RefreshToken, oldHash string, at time.Time) error
	RefreshTokenByHash(ctx context.Context, hash string) (*apikey.RefreshToken, error)
	EndRefreshChain(ctx context.Context, chainID string) error
	RefreshChainLive(ctx context.Context, chainID, userID string, now time.Time) (bool, error)
	DeleteExpiredTokens(ctx context.Context, now time.Time) error
}

// Throttle counts sign-in tries (auth.DBThrottle).
type Throttle interface {
	Attempt(ctx context.Context, username, ip string, now time.Time) (bool, error)
	Succeeded(ctx context.Context, username, ip string, at time.Time) error
}

// UserSigner signs user access tokens (token.Signer).
type UserSigner interface {
	SignUser(ctx context.Context, g token.UserGrant, ttl time.Duration) (string, error)
}

// Config is what the service needs.
type Config struct {
	Store    Store
	Throttle Throttle
	Tokens   UserSigner
	Params   auth.Params   // password hashing; zero: auth.DefaultParams
	Idle     time.Duration // a console session ends this long after its last request
	Lifetime time.Duration // and this long after sign-in, whatever happens
	Logger   *slog.Logger
	Now      func() time.Time // nil: the wall clock in UTC
}

// The throttle: five failures per username or address in 15 minutes.
const (
	throttleLimit  = 5
	throttleWindow = 15 * time.Minute
)

// NewThrottle is the sign-in throttle, counting in st (the database all
// instances share).
func NewThrottle(st auth.ThrottleStore) *auth.DBThrottle {
	return auth.NewDBThrottle(st, throttleLimit, throttleWindow)
}

// notAUsername is where tries with text no username can be are counted.
const notAUsername = "(not a username)"

// Lifetimes of what sign-in through the API hands out.
const (
	AccessTokenTTL  = 15 * time.Minute
	RefreshTokenTTL = 30 * 24 * time.Hour
	// touchEvery bounds how often a session's last-seen time is written.
	touchEvery = time.Minute
)

// Service signs people in.
type Service struct {
	cfg     Config
	dummy   *auth.Dummy
	hashing chan struct{} // one slot per core: each argon2id hash takes 19 MiB
	// nextSweep is when expired tokens are next removed (Unix nanoseconds).
	nextSweep atomic.Int64
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Params == (auth.Params{}) {
		cfg.Params = auth.DefaultParams
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	dummy, err := auth.NewDummy(cfg.Params)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, dummy: dummy, hashing: make(chan struct{}, runtime.NumCPU())}, nil
}

// Password returns the active user whose password this is, or nil. A try
// the throttle refuses costs no password hash (so floods stay cheap); every
// other refusal costs one, so an unknown user looks like a wrong password.
// A throttle that cannot count refuses: a try could be one too many.
func (s *Service) Password(ctx context.Context, typed, password, ip string) (*apikey.User, error) {
	now := s.cfg.Now()
	username, msg := validate.Username(typed)
	if msg != "" {
		// Still throttled, but never under what was typed: that may be a
		// password typed into the wrong box.
		username = notAUsername
	}
	allowed, err := s.cfg.Throttle.Attempt(ctx, username, ip, now)
	if err != nil {
		s.cfg.Logger.Error("sign-in throttle unavailable; sign-in refused", "err", err)
		return nil, nil
	}
	if !allowed {
		return nil, nil
	}
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if msg != "" {
		s.dummy.Burn(password)
		return nil, nil
	}
	user, err := s.cfg.Store.UserByName(ctx, username)
	switch {
	case apikey.ErrorCode(err) == apikey.ENOTFOUND:
		s.dummy.Burn(password)
		return nil, nil
	case err != nil:
		return nil, err
	}
	ok, err := auth.VerifyPassword(user.PasswordHash, password)
	if err != nil {
		s.cfg.Logger.Error("stored password hash unreadable", "user_id", user.ID, "err", err)
	}
	if !ok || !user.Active {
		return nil, nil
	}
	// The sign-in stands either way; at worst the try stays counted. Not
	// cancelled with the request: the try should be given back.
	if err := s.cfg.Throttle.Succeeded(context.WithoutCancel(ctx), username, ip, now); err != nil {
		s.cfg.Logger.Warn("sign-in throttle: try not given back", "err", err)
	}
	return user, nil
}

// User returns the user with id, for the subject of a user access token.
func (s *Service) User(ctx context.Context, id string) (*apikey.User, error) {
	return s.cfg.Store.User(ctx, id)
}
