// Package keys is what can be done to API keys, for the console and the JSON
// API alike: it checks the actor's permission in the key's account, makes
// and hashes secrets, and has every change stored with its audit event.
package keys

import (
	"context"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
)

// Manager carries out changes to keys.
type Manager struct {
	store *store.DB
	now   func() time.Time
}

// New returns a Manager on db; now is the clock (nil: the wall clock).
func New(db *store.DB, now func() time.Time) *Manager {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Manager{store: db, now: now}
}

// Actor is who asks for a change and from which address.
type Actor struct {
	*apikey.Principal
	IP string
}

func (a Actor) event(action string) *apikey.AuditEvent {
	return apikey.NewAuditEvent(a.Principal, a.IP, action)
}

var errForbidden = apikey.Errorf(apikey.EFORBIDDEN, "You do not have permission to do this.")

// Get returns the key id when the actor may view it. A key in an account the
// actor may not see is reported missing, so ids cannot be probed.
func (m *Manager) Get(ctx context.Context, who Actor, id string) (*apikey.Key, error) {
	k, err := m.store.Key(ctx, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ViewApiKey, k.AccountID) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such key.")
	}
	return k, nil
}

// Create stores a new key in accountID and returns it with its secret: the
// only time the secret exists outside the caller's hands.
func (m *Manager) Create(ctx context.Context, who Actor, accountID string, s apikey.Settings, customSecret string) (*apikey.Key, string, error) {
	if !who.CanIn(apikey.ModifyApiKey, accountID) {
		return nil, "", errForbidden
	}
	secret, err := newSecret(s.Type, s.AccessType, customSecret)
	if err != nil {
		return nil, "", err
	}
	k := &apikey.Key{AccountID: accountID, Settings: s, CreatedBy: who.Name,
		SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret)}
	ev := who.event(apikey.ActionKeyCreated)
	ev.Changes = apikey.Diff(apikey.Settings{}, s)
	if err := m.store.CreateKey(ctx, k, ev); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// newSecret makes the secret of a key: generated, or the admin's own value.
func newSecret(t apikey.Type, access apikey.AccessType, custom string) (string, error) {
	switch access {
	case apikey.AccessCustom:
		return custom, nil
	case apikey.AccessJWT:
		return "", apikey.FieldErrorf(apikey.EINVALID, "access_type", "JWT access keys are not available yet; choose a generated or custom value.")
	}
	return apikey.GenerateSecret(t)
}

// Update saves new settings over those read at version. The name, account,
// access type and secret stay as they are.
func (m *Manager) Update(ctx context.Context, who Actor, id string, version int, s apikey.Settings) (*apikey.Key, error) {
	k, err := m.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ModifyApiKey, k.AccountID) {
		return nil, errForbidden
	}
	s.Name, s.AccessType = k.Name, k.AccessType
	ev := who.event(apikey.ActionKeyUpdated)
	ev.Changes = apikey.Diff(k.Settings, s)
	k.Settings, k.Version, k.UpdatedBy = s, version, who.Name
	if err := m.store.UpdateKey(ctx, k, ev); err != nil {
		return nil, err
	}
	return k, nil
}

// CanRegenerate tells whether the actor may give key k a new secret:
// ModifyApiKey does for any key, RegenerateChromeKey (support) for Chrome keys.
func CanRegenerate(p *apikey.Principal, k *apikey.Key) bool {
	return p.CanIn(apikey.ModifyApiKey, k.AccountID) ||
		k.Type == apikey.TypeChrome && p.CanIn(apikey.RegenerateChromeKey, k.AccountID)
}

// Regenerate gives the key a new generated secret, which it returns. The old
// secret stops working at once.
func (m *Manager) Regenerate(ctx context.Context, who Actor, id string) (*apikey.Key, string, error) {
	k, err := m.Get(ctx, who, id)
	if err != nil {
		return nil, "", err
	}
	if !CanRegenerate(who.Principal, k) {
		return nil, "", errForbidden
	}
	secret, err := apikey.GenerateSecret(k.Type)
	if err != nil {
		return nil, "", err
	}
	hash, prefix := apikey.HashSecret(secret), apikey.DisplayPrefix(secret)
	if err := m.store.ReplaceSecret(ctx, k, hash, prefix, who.Name, who.event(apikey.ActionKeyRegenerated)); err != nil {
		return nil, "", err
	}
	k.SecretHash, k.DisplayPrefix, k.AccessType = hash, prefix, apikey.AccessGenerated
	return k, secret, nil
}

// SetActive switches the key on or off.
func (m *Manager) SetActive(ctx context.Context, who Actor, id string, active bool) (*apikey.Key, error) {
	k, err := m.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ModifyApiKey, k.AccountID) {
		return nil, errForbidden
	}
	action := apikey.ActionKeyDeactivated
	if active {
		action = apikey.ActionKeyActivated
	}
	if k.Active == active {
		return k, nil
	}
	if err := m.store.SetKeyActive(ctx, k, active, who.Name, who.event(action)); err != nil {
		return nil, err
	}
	k.Active = active
	return k, nil
}

// Delete removes the key for good.
func (m *Manager) Delete(ctx context.Context, who Actor, id string) (*apikey.Key, error) {
	k, err := m.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.DeleteApiKey, k.AccountID) {
		return nil, errForbidden
	}
	return k, m.store.DeleteKey(ctx, k, who.event(apikey.ActionKeyDeleted))
}
