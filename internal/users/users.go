// Package users is what can be done to console users: it checks that the
// actor may manage users where the user belongs, hashes passwords, and has
// every change stored with its audit event. The rule that one active
// Global Admin remains is kept by the store, inside the change's
// transaction.
package users

import (
	"context"
	"slices"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/validate"
)

// Store is what the service needs of the database.
type Store interface {
	RootAccount(ctx context.Context) (*apikey.Account, error)
	AccountPath(ctx context.Context, id string) ([]string, error)
	Accounts(ctx context.Context) ([]apikey.Account, error)
	User(ctx context.Context, id string) (*apikey.User, error)
	ListUsers(ctx context.Context, q apikey.UserQuery) ([]*apikey.User, int, error)
	CreateUser(ctx context.Context, u *apikey.User, ev *apikey.AuditEvent) error
	CreateFirstUser(ctx context.Context, u *apikey.User, ev *apikey.AuditEvent) (bool, error)
	SetUserRole(ctx context.Context, id string, role apikey.Role, accounts []string, ev *apikey.AuditEvent) error
	SetUserActive(ctx context.Context, id string, active bool, ev *apikey.AuditEvent) error
	SetUserPassword(ctx context.Context, id, hash string, mustChange bool, keepSession string, ev *apikey.AuditEvent) error
	DeleteUser(ctx context.Context, id string, ev *apikey.AuditEvent) error
}

// Service carries out changes to users.
type Service struct {
	store  Store
	params auth.Params
}

// New returns the service on st, hashing passwords with params (zero:
// auth.DefaultParams).
func New(st Store, params auth.Params) *Service {
	if params == (auth.Params{}) {
		params = auth.DefaultParams
	}
	return &Service{store: st, params: params}
}

var errForbidden = apikey.Errorf(apikey.EFORBIDDEN, "You do not have permission to do this.")

// allowed checks that the actor may manage users in account id.
func (s *Service) allowed(ctx context.Context, who apikey.Actor, id string) error {
	path, err := s.store.AccountPath(ctx, id)
	if err != nil {
		return err
	}
	if len(path) == 0 {
		return apikey.FieldErrorf(apikey.ENOTFOUND, "account_id", "The account does not exist.")
	}
	if !who.CanIn(apikey.ManageUsers, path) {
		return errForbidden
	}
	return nil
}

// Create stores a new active user, in the root account unless one is named.
func (s *Service) Create(ctx context.Context, who apikey.Actor, in validate.User) (*apikey.User, error) {
	u, err := s.newUser(ctx, who, in)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateUser(ctx, u, who.Event(apikey.ActionUserCreated)); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateFirst stores the user only when there is no user yet, and tells
// whether it did: of several instances starting at once on an empty
// database, one makes the first admin. mustChange holds them at the
// password page at their first sign-in.
func (s *Service) CreateFirst(ctx context.Context, who apikey.Actor, in validate.User, mustChange bool) (bool, error) {
	u, err := s.newUser(ctx, who, in)
	if err != nil {
		return false, err
	}
	u.MustChangePassword = mustChange
	return s.store.CreateFirstUser(ctx, u, who.Event(apikey.ActionUserCreated))
}

func (s *Service) newUser(ctx context.Context, who apikey.Actor, in validate.User) (*apikey.User, error) {
	if in.AccountID == "" {
		root, err := s.store.RootAccount(ctx)
		if err != nil {
			return nil, err
		}
		in.AccountID = root.ID
	}
	if err := s.allowed(ctx, who, in.AccountID); err != nil {
		return nil, err
	}
	return auth.NewUser(in, s.params, who.Name)
}

// SetRole changes a user's role and account scope.
func (s *Service) SetRole(ctx context.Context, who apikey.Actor, id string, role apikey.Role, accounts []string) error {
	if err := s.allowedOver(ctx, who, id); err != nil {
		return err
	}
	return s.store.SetUserRole(ctx, id, role, accounts, who.Event(apikey.ActionUserRoleChanged))
}

// SetActive switches a user on or off; off ends their sessions and tokens.
func (s *Service) SetActive(ctx context.Context, who apikey.Actor, id string, active bool) error {
	if err := s.allowedOver(ctx, who, id); err != nil {
		return err
	}
	action := apikey.ActionUserActivated
	if !active {
		action = apikey.ActionUserDeactivated
	}
	return s.store.SetUserActive(ctx, id, active, who.Event(action))
}

// ResetPassword gives user id a new password that they must change at
// their next sign-in, ending their sessions and tokens. Actors change their
// own password on the password page instead (proving the current one).
func (s *Service) ResetPassword(ctx context.Context, who apikey.Actor, id, password string) error {
	if err := s.allowedOver(ctx, who, id); err != nil {
		return err
	}
	if who.Kind == apikey.PrincipalUser && who.ID == id {
		return apikey.FieldErrorf(apikey.EINVALID, "password", "Change your own password on the Change password page.")
	}
	if msg := validate.Password(password); msg != "" {
		return apikey.FieldErrorf(apikey.EINVALID, "password", "%s", msg)
	}
	hash, err := auth.HashPassword(password, s.params)
	if err != nil {
		return err
	}
	return s.store.SetUserPassword(ctx, id, hash, true, "", who.Event(apikey.ActionPasswordReset))
}

// errDeleteSelf refuses a user removing themself: another admin must.
var errDeleteSelf = apikey.Errorf(apikey.EINVALID, "You cannot delete yourself; another admin can.")

// Delete removes user id for good, ending their sessions and tokens. The
// actor may not delete themself, nor the last active Global Admin (the
// store checks that inside the change).
func (s *Service) Delete(ctx context.Context, who apikey.Actor, id string) error {
	if err := s.allowedOver(ctx, who, id); err != nil {
		return err
	}
	if who.Kind == apikey.PrincipalUser && who.ID == id {
		return errDeleteSelf
	}
	return s.store.DeleteUser(ctx, id, who.Event(apikey.ActionUserDeleted))
}

// allowedOver checks that the actor may manage user id. A user the actor
// may not manage is reported missing, so ids cannot be probed.
func (s *Service) allowedOver(ctx context.Context, who apikey.Actor, id string) error {
	u, err := s.store.User(ctx, id)
	if err != nil {
		return err
	}
	if err := s.allowed(ctx, who, u.AccountID); apikey.ErrorCode(err) == apikey.EFORBIDDEN {
		return apikey.Errorf(apikey.ENOTFOUND, "No such user.")
	} else if err != nil {
		return err
	}
	return nil
}

// Page returns a page of the users of the given accounts that the actor
// may manage, and how many there are.
func (s *Service) Page(ctx context.Context, who apikey.Actor, q apikey.UserQuery) ([]*apikey.User, int, error) {
	if !who.Can(apikey.ManageUsers) {
		return nil, 0, errForbidden
	}
	accounts, err := s.store.Accounts(ctx)
	if err != nil {
		return nil, 0, err
	}
	paths := apikey.Paths(accounts)
	q.AccountIDs = slices.DeleteFunc(slices.Clone(q.AccountIDs), func(id string) bool { return !who.CanIn(apikey.ManageUsers, paths[id]) })
	return s.store.ListUsers(ctx, q)
}
