// Package accounts is what can be done to the vendor → customer account
// tree: it checks the actor's permission where the change lands, makes an
// account's predefined keys with it, and has every change stored with its
// audit event.
package accounts

import (
	"context"

	"keyconsole/internal/apikey"
)

// Store is what the service needs of the database.
type Store interface {
	Account(ctx context.Context, id string) (*apikey.Account, error)
	Accounts(ctx context.Context) ([]apikey.Account, error)
	AccountsVersion(ctx context.Context) (int64, error)
	AccountPath(ctx context.Context, id string) ([]string, error)
	AccountUses(ctx context.Context, ids []string) (map[string]apikey.AccountUse, error)
	CreateAccountWithKeys(ctx context.Context, a *apikey.Account, ev *apikey.AuditEvent, keys []*apikey.Key, keyEvents []*apikey.AuditEvent) error
	MoveAccount(ctx context.Context, id, parentID string, ev *apikey.AuditEvent) error
	DeleteAccount(ctx context.Context, id string, withPredefined bool, ev *apikey.AuditEvent, keyEvent func() *apikey.AuditEvent) ([]*apikey.Key, error)
	AccountDeletion(ctx context.Context, id string) ([]*apikey.Key, error)
}

// Service carries out changes to accounts and reads the tree.
type Service struct {
	store Store
	// onKeyChange hears of the keys an account's deletion removes (as
	// keys.Manager.OnChange does), so caches forget them at once.
	onKeyChange func(k *apikey.Key, hashes ...string)
}

// New returns the service on st.
func New(st Store) *Service { return &Service{store: st} }

// OnKeyChange sets the function told of every key removed with an account.
func (s *Service) OnKeyChange(f func(k *apikey.Key, hashes ...string)) { s.onKeyChange = f }

var errForbidden = apikey.Errorf(apikey.EFORBIDDEN, "You do not have permission to do this.")

// allowed checks that the actor may manage accounts at id (field names the
// form field that chose it), and returns id's path to the root.
func (s *Service) allowed(ctx context.Context, who apikey.Actor, id, field, missing string) ([]string, error) {
	path, err := s.store.AccountPath(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(path) == 0 {
		return nil, apikey.FieldErrorf(apikey.ENOTFOUND, field, "%s", missing)
	}
	if !who.CanIn(apikey.ManageUsers, path) {
		return nil, errForbidden
	}
	return path, nil
}

// Create makes an account under parentID with its predefined keys, all in
// one transaction. Their secrets are made and thrown away: nobody sees
// them until someone regenerates a key.
func (s *Service) Create(ctx context.Context, who apikey.Actor, name, parentID string) (*apikey.Account, error) {
	if _, err := s.allowed(ctx, who, parentID, "parent_id", "The parent account does not exist."); err != nil {
		return nil, err
	}
	a := &apikey.Account{Name: name, ParentID: parentID}
	var keys []*apikey.Key
	var events []*apikey.AuditEvent
	for _, st := range apikey.PredefinedKeys() {
		secret, err := apikey.GenerateSecret(st.Type)
		if err != nil {
			return nil, err
		}
		keys = append(keys, &apikey.Key{Settings: st, Predefined: true, CreatedBy: who.Name,
			SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret)})
		ev := who.Event(apikey.ActionKeyCreated)
		ev.Changes = apikey.Diff(apikey.Settings{}, st)
		events = append(events, ev)
	}
	if err := s.store.CreateAccountWithKeys(ctx, a, who.Event(apikey.ActionAccountCreated), keys, events); err != nil {
		return nil, err
	}
	return a, nil
}

// Move puts account id under parentID: the actor must manage both where
// the account is and where it goes.
func (s *Service) Move(ctx context.Context, who apikey.Actor, id, parentID string) error {
	if _, err := s.allowed(ctx, who, id, "id", "No such account."); err != nil {
		return err
	}
	if _, err := s.allowed(ctx, who, parentID, "parent_id", "The new parent account does not exist."); err != nil {
		return err
	}
	return s.store.MoveAccount(ctx, id, parentID, who.Event(apikey.ActionAccountMoved))
}

// Delete removes an account without keys of its own, users or
// sub-accounts. Its predefined keys go with it only when confirmed (the
// admin saw them listed by Deletion); else it is refused.
func (s *Service) Delete(ctx context.Context, who apikey.Actor, id string, confirmed bool) error {
	if _, err := s.allowed(ctx, who, id, "id", "No such account."); err != nil {
		return err
	}
	keyEvent := func() *apikey.AuditEvent { return who.Event(apikey.ActionKeyDeleted) }
	gone, err := s.store.DeleteAccount(ctx, id, confirmed, who.Event(apikey.ActionAccountDeleted), keyEvent)
	if err != nil {
		return err
	}
	for _, k := range gone {
		if s.onKeyChange != nil {
			s.onKeyChange(k, k.SecretHash, k.PreviousSecretHash)
		}
	}
	return nil
}

// Deletion lists the keys deleting account id would remove with it (its
// predefined ones), or says why it cannot be deleted.
func (s *Service) Deletion(ctx context.Context, who apikey.Actor, id string) ([]*apikey.Key, error) {
	if _, err := s.allowed(ctx, who, id, "id", "No such account."); err != nil {
		return nil, err
	}
	return s.store.AccountDeletion(ctx, id)
}

// Get returns the account with id.
func (s *Service) Get(ctx context.Context, id string) (*apikey.Account, error) {
	return s.store.Account(ctx, id)
}

// List returns every account, parents before children where made earlier.
// Pages show each visitor the part of the tree its role sees.
func (s *Service) List(ctx context.Context) ([]apikey.Account, error) { return s.store.Accounts(ctx) }

// Version moves on with every change to the accounts, in the change's own
// transaction: what is built from List holds while Version stays.
func (s *Service) Version(ctx context.Context) (int64, error) { return s.store.AccountsVersion(ctx) }

// Path lists id and every account above it, nearest first; empty when id
// does not exist. Permission checks are made against it.
func (s *Service) Path(ctx context.Context, id string) ([]string, error) {
	return s.store.AccountPath(ctx, id)
}

// Uses counts the keys (past apikey.KeyCountCap, no further), users and
// sub-accounts of the accounts ids.
func (s *Service) Uses(ctx context.Context, ids []string) (map[string]apikey.AccountUse, error) {
	return s.store.AccountUses(ctx, ids)
}
