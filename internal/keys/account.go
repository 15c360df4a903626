package keys

import (
	"context"

	"keyconsole/internal/apikey"
)

// CreateAccount makes an account under parentID with its predefined keys,
// all in one transaction. Their secrets are made and thrown away: nobody
// sees them until someone regenerates a key.
func (m *Manager) CreateAccount(ctx context.Context, who Actor, name, parentID string) (*apikey.Account, error) {
	path, err := m.store.AccountPath(ctx, parentID)
	if err != nil {
		return nil, err
	}
	if len(path) == 0 {
		return nil, apikey.FieldErrorf(apikey.ENOTFOUND, "parent_id", "The parent account does not exist.")
	}
	if !who.CanIn(apikey.ManageUsers, path) {
		return nil, errForbidden
	}
	a := &apikey.Account{Name: name, ParentID: parentID}
	var keys []*apikey.Key
	var events []*apikey.AuditEvent
	for _, s := range apikey.PredefinedKeys() {
		secret, err := apikey.GenerateSecret(s.Type)
		if err != nil {
			return nil, err
		}
		keys = append(keys, &apikey.Key{Settings: s, Predefined: true, CreatedBy: who.Name,
			SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret)})
		ev := who.Event(apikey.ActionKeyCreated)
		ev.Changes = apikey.Diff(apikey.Settings{}, s)
		events = append(events, ev)
	}
	if err := m.store.CreateAccountWithKeys(ctx, a, who.Event(apikey.ActionAccountCreated), keys, events); err != nil {
		return nil, err
	}
	return a, nil
}

// DeactivatePredefined switches off the active predefined keys of an
// account, once the admin has keys of their own.
func (m *Manager) DeactivatePredefined(ctx context.Context, who Actor, accountID string) (int, error) {
	keys, err := m.store.PredefinedKeys(ctx, accountID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if !k.Active {
			continue
		}
		if _, err := m.SetActive(ctx, who, k.ID, false); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
