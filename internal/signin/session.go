package signin

import (
	"context"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/validate"
)

// Console sessions: the cookie carries the id, the database keeps only
// its hash, so sign-out, deactivation and timeouts end a session for good
// on every instance.

// StartSession signs user in with a new session id, ending previous (the
// id held before sign-in, if any: nothing known before sign-in is worth
// anything after), and records the sign-in.
func (s *Service) StartSession(ctx context.Context, user *apikey.User, previous string) (string, error) {
	if previous != "" {
		if err := s.cfg.Store.DeleteSession(ctx, apikey.HashSecret(previous)); err != nil {
			return "", err
		}
	}
	id, err := apikey.RandomBase62(43)
	if err != nil {
		return "", err
	}
	now := s.cfg.Now()
	if err := s.cfg.Store.CreateSession(ctx, apikey.HashSecret(id), user.ID, now); err != nil {
		return "", err
	}
	if err := s.cfg.Store.RecordSignIn(ctx, user.ID, now); err != nil {
		s.cfg.Logger.Warn("record sign-in", "err", err)
	}
	return id, nil
}

// SessionUser returns the user of a live session, or nil when the session
// is unknown, timed out or its user inactive (ending the session).
func (s *Service) SessionUser(ctx context.Context, id string) (*apikey.User, error) {
	hash := apikey.HashSecret(id)
	sess, err := s.cfg.Store.SessionByHash(ctx, hash)
	if apikey.ErrorCode(err) == apikey.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if now.Sub(sess.LastSeenAt) >= s.cfg.Idle || now.Sub(sess.CreatedAt) >= s.cfg.Lifetime {
		return nil, s.cfg.Store.DeleteSession(ctx, hash)
	}
	user, err := s.cfg.Store.User(ctx, sess.UserID)
	if apikey.ErrorCode(err) == apikey.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !user.Active {
		return nil, s.cfg.Store.DeleteSession(ctx, hash)
	}
	if now.Sub(sess.LastSeenAt) >= s.touchInterval() {
		if err := s.cfg.Store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return user, nil
}

// touchInterval is how stale a session's last-seen time may grow before a
// request writes it: touchEvery, or a tenth of the idle timeout when that
// is shorter. Written only each minute, a session with a shorter idle
// timeout ended while its user was still at work.
func (s *Service) touchInterval() time.Duration { return min(touchEvery, s.cfg.Idle/10) }

// EndSession signs out: the session stops working everywhere.
func (s *Service) EndSession(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.cfg.Store.DeleteSession(ctx, apikey.HashSecret(id))
}

// ChangePassword lets a signed-in user choose a new password, proving the
// current one (under the sign-in throttle). It ends the user's other
// sessions, every refresh token and every access token; the session
// sessionID stays. Problems come back per field.
func (s *Service) ChangePassword(ctx context.Context, user *apikey.User, sessionID, ip, current, password, confirm string) (validate.Errors, error) {
	if errs := validate.PasswordChange(current, password, confirm); errs.Any() {
		return errs, nil
	}
	checked, err := s.password(ctx, user.Username, current, ip, "")
	if err != nil {
		return nil, err
	}
	if checked == nil || checked.ID != user.ID {
		return validate.Errors{"current_password": "The current password is wrong, or there were too many attempts. Try again in a few minutes."}, nil
	}
	hash, err := auth.HashPassword(password, s.cfg.Params)
	if err != nil {
		return nil, err
	}
	ev := userEvent(user, ip, apikey.ActionPasswordChanged)
	return nil, s.cfg.Store.SetUserPassword(ctx, user.ID, hash, false, apikey.HashSecret(sessionID), ev)
}
