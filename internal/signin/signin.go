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
	SetUserPassword(ctx context.Context, id, hash string, mustChange bool, keepSession string, ev *apikey.AuditEvent) error
}

// Throttle weighs sign-in tries and counts their outcomes (auth.DBThrottle).
type Throttle interface {
	Check(ctx context.Context, username, ip string, now time.Time) (auth.Check, error)
	Failed(ctx context.Context, username, ip string, at time.Time, events []*apikey.AuditEvent) error
	Succeeded(ctx context.Context, username, ip string, at time.Time, ev *apikey.AuditEvent) error
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

// ThrottlePolicy: whoever fails slows themselves down. A username from one
// address gets 3 tries, then waits 1 s after the latest failure, doubling
// with each failure up to 5 minutes; 20 failures of a username from
// anywhere, or 100 from one address, within 15 minutes stop it there,
// except from an address the username signed in from within 30 days.
var ThrottlePolicy = auth.Policy{
	Window:          15 * time.Minute,
	FreeTries:       3,
	FirstDelay:      time.Second,
	MaxDelay:        5 * time.Minute,
	UsernameCeiling: 20,
	AddressCeiling:  100,
	Remember:        30 * 24 * time.Hour,
}

// NewThrottle is the sign-in throttle, counting in st (the database all
// instances share).
func NewThrottle(st auth.ThrottleStore) *auth.DBThrottle {
	return auth.NewDBThrottle(st, ThrottlePolicy)
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

// Password returns the active user whose password this is, or nil, and
// records the sign-in (or the failure) in the audit trail. A try the
// throttle refuses costs no password hash (so floods stay cheap); every
// other refusal costs one, so an unknown user looks like a wrong password.
// A throttle that cannot count refuses: a try could be one too many.
func (s *Service) Password(ctx context.Context, typed, password, ip string) (*apikey.User, error) {
	return s.password(ctx, typed, password, ip, apikey.ActionUserSignedIn)
}

// password checks a password under the throttle; success is audited as
// action ("" for none), success and failure with what they carry (with).
func (s *Service) password(ctx context.Context, typed, password, ip, action string, with ...apikey.Change) (*apikey.User, error) {
	now := s.cfg.Now()
	username, msg := validate.Username(typed)
	if msg != "" {
		// Still throttled, but never under what was typed: that may be a
		// password typed into the wrong box.
		username = notAUsername
	}
	if check := s.check(ctx, username, ip, now); !check.Allowed {
		return nil, nil
	}
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Again, holding a slot: tries sent together are weighed after the
	// failures of those before them (at most one per slot slips past).
	check := s.check(ctx, username, ip, now)
	if !check.Allowed {
		return nil, nil
	}
	var user *apikey.User
	ok := false
	if msg != "" {
		s.dummy.Burn(password)
	} else {
		var err error
		user, err = s.cfg.Store.UserByName(ctx, username)
		switch {
		case apikey.ErrorCode(err) == apikey.ENOTFOUND:
			user = nil
			s.dummy.Burn(password)
		case err != nil:
			return nil, err
		default:
			if ok, err = auth.VerifyPassword(user.PasswordHash, password); err != nil {
				s.cfg.Logger.Error("stored password hash unreadable", "user_id", user.ID, "err", err)
			}
		}
	}
	// Not cancelled with the request: what happened should be recorded.
	ctx = context.WithoutCancel(ctx)
	if ok && user.Active {
		var ev *apikey.AuditEvent
		if action != "" {
			ev = userEvent(user, ip, action, with...)
		}
		// The sign-in stands either way; at worst its failures stay counted.
		if err := s.cfg.Throttle.Succeeded(ctx, username, ip, now, ev); err != nil {
			s.cfg.Logger.Warn("sign-in throttle: success not recorded", "err", err)
		}
		return user, nil
	}
	var events []*apikey.AuditEvent
	if user != nil {
		events = append(events, userEvent(user, ip, apikey.ActionUserSignInFail, with...))
		if check.LocksUsername {
			events = append(events, userEvent(user, ip, apikey.ActionUserSignInLock, apikey.NewChange(apikey.FieldLocked, nil,
				apikey.LockData{Scope: apikey.LockUsername, Failures: ThrottlePolicy.UsernameCeiling, WindowSeconds: int64(ThrottlePolicy.Window / time.Second)})))
		}
		if check.LocksAddress {
			events = append(events, userEvent(user, ip, apikey.ActionUserSignInLock, apikey.NewChange(apikey.FieldLocked, nil,
				apikey.LockData{Scope: apikey.LockAddress, Address: ip, Failures: ThrottlePolicy.AddressCeiling, WindowSeconds: int64(ThrottlePolicy.Window / time.Second)})))
		}
	}
	if check.LocksUsername || check.LocksAddress {
		s.cfg.Logger.Warn("sign-in locked out after repeated failures", "client_ip", ip, "username_ceiling", check.LocksUsername, "address_ceiling", check.LocksAddress)
	}
	if err := s.cfg.Throttle.Failed(ctx, username, ip, now, events); err != nil {
		s.cfg.Logger.Error("sign-in throttle: failure not counted", "err", err)
	}
	return nil, nil
}

// check asks the throttle about a try; when it cannot answer, the try is
// refused.
func (s *Service) check(ctx context.Context, username, ip string, now time.Time) auth.Check {
	check, err := s.cfg.Throttle.Check(ctx, username, ip, now)
	if err != nil {
		s.cfg.Logger.Error("sign-in throttle unavailable; sign-in refused", "err", err)
		return auth.Check{}
	}
	return check
}

// userEvent is an audit event of something user did, or someone did
// under their name, from ip.
func userEvent(user *apikey.User, ip, action string, changes ...apikey.Change) *apikey.AuditEvent {
	ev := apikey.NewAuditEvent(apikey.UserPrincipal(user), ip, action)
	ev.AccountID, ev.TargetID, ev.TargetName, ev.Changes = user.AccountID, user.ID, user.Username, changes
	return ev
}

// User returns the user with id, for the subject of a user access token.
func (s *Service) User(ctx context.Context, id string) (*apikey.User, error) {
	return s.cfg.Store.User(ctx, id)
}
