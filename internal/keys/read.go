package keys

import (
	"context"
	"time"

	"keyconsole/internal/apikey"
)

// List returns a page of the keys that work in accountID: its own and
// those of every account above it, which whoever may see the account sees
// there, inherited and read-only (Get opens them too). q.AccountIDs is set
// here.
func (m *Manager) List(ctx context.Context, who apikey.Actor, accountID string, q apikey.KeyQuery) (apikey.KeyPage, error) {
	path, err := m.store.AccountPath(ctx, accountID)
	if err != nil {
		return apikey.KeyPage{}, err
	}
	if !who.CanIn(apikey.ViewApiKey, path) {
		return apikey.KeyPage{}, apikey.FieldErrorf(apikey.EFORBIDDEN, "account_id", "You may not see the keys of that account.")
	}
	q.AccountIDs = path
	if q.JWTOfflineLimit == 0 {
		q.JWTOfflineLimit = m.JWTOfflineLimit()
	}
	return m.store.ListKeys(ctx, q)
}

// Attention counts, for each attention rule, the keys the list of
// accountID would show with that rule's filter, up to
// apikey.AttentionCountCap each.
func (m *Manager) Attention(ctx context.Context, who apikey.Actor, accountID string, now time.Time) ([]apikey.AttentionCount, error) {
	path, err := m.store.AccountPath(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ViewApiKey, path) {
		return nil, errForbidden
	}
	q := apikey.KeyQuery{AccountIDs: path, Now: now, JWTOfflineLimit: m.JWTOfflineLimit()}
	return m.store.CountAttention(ctx, q, apikey.Attentions, apikey.AttentionCountCap)
}

// ActivePredefined lists the predefined keys of an account still on.
func (m *Manager) ActivePredefined(ctx context.Context, who apikey.Actor, accountID string) ([]*apikey.Key, error) {
	path, err := m.store.AccountPath(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ViewApiKey, path) {
		return nil, errForbidden
	}
	keys, err := m.store.PredefinedKeys(ctx, accountID)
	var on []*apikey.Key
	for _, k := range keys {
		if k.Active {
			on = append(on, k)
		}
	}
	return on, err
}

// Endpoints lists the devices and apps that signed users in with the key.
func (m *Manager) Endpoints(ctx context.Context, who apikey.Actor, id string) ([]apikey.Endpoint, error) {
	k, _, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return m.store.Endpoints(ctx, k.ID)
}

// Usage lists the key's daily counts from the day since (YYYY-MM-DD) on.
func (m *Manager) Usage(ctx context.Context, who apikey.Actor, id, since string) ([]apikey.UsageCount, error) {
	k, _, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return m.store.KeyUsage(ctx, k.ID, since)
}

// Addresses lists the client addresses that used the key most from the day
// since (YYYY-MM-DD) on: the top n, then the rest together.
func (m *Manager) Addresses(ctx context.Context, who apikey.Actor, id, since string, n int) ([]apikey.AddressUse, error) {
	k, _, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return m.store.KeyAddresses(ctx, k.ID, since, n)
}

// Audit lists the key's newest audit events, for actors who may read the
// audit trail where the key is.
func (m *Manager) Audit(ctx context.Context, who apikey.Actor, id string, limit int) ([]apikey.AuditEvent, error) {
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ViewAudit, path) {
		return nil, errForbidden
	}
	return m.store.KeyAudit(ctx, k.ID, limit)
}

// Sync tells whether the key's newest change has reached every running
// instance.
func (m *Manager) Sync(ctx context.Context, who apikey.Actor, id string) (apikey.SyncStatus, error) {
	k, _, err := m.load(ctx, who, id)
	if err != nil {
		return apikey.SyncStatus{}, err
	}
	return m.store.KeySync(ctx, k.ID, m.now().Add(-apikey.InstanceAlive))
}

// JWT returns the JWT a JWT access key's current secret is, with its jti,
// exp and when offline checkers are told it is revoked; ENOTFOUND for
// other keys and for JWT access keys made before JWTs were recorded.
func (m *Manager) JWT(ctx context.Context, who apikey.Actor, id string) (*apikey.KeyJWT, error) {
	k, _, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if k.AccessType != apikey.AccessJWT {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "This key is not a JWT access key.")
	}
	return m.store.KeyJWT(ctx, k.ID, k.SecretHash)
}
