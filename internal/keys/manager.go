// Package keys is what can be done to API keys, for the console and the JSON
// API alike: it checks the actor's permission in the key's account, makes
// and hashes secrets, and has every change stored with its audit event.
package keys

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"keyconsole/internal/apikey"
)

// Store is what the keys service needs of the database.
type Store interface {
	Key(ctx context.Context, id string) (*apikey.Key, error)
	AccountPath(ctx context.Context, id string) ([]string, error)
	ListKeys(ctx context.Context, q apikey.KeyQuery) (apikey.KeyPage, error)
	PredefinedKeys(ctx context.Context, accountID string) ([]*apikey.Key, error)
	CountAttention(ctx context.Context, q apikey.KeyQuery, rules []apikey.Attention, limit int) ([]apikey.AttentionCount, error)
	CreateKey(ctx context.Context, k *apikey.Key, ev *apikey.AuditEvent) error
	UpdateKey(ctx context.Context, k *apikey.Key, ev *apikey.AuditEvent) error
	DeleteKey(ctx context.Context, k *apikey.Key, ev *apikey.AuditEvent) error
	MoveKey(ctx context.Context, k *apikey.Key, to, by string, ev *apikey.AuditEvent) error
	ReplaceSecret(ctx context.Context, k *apikey.Key, hash, prefix string, access apikey.AccessType, previousUntil *time.Time, by string, ev *apikey.AuditEvent) error
	EndGracePeriod(ctx context.Context, k *apikey.Key, by string, ev *apikey.AuditEvent) error
	SetKeyActive(ctx context.Context, k *apikey.Key, active bool, by string, ev *apikey.AuditEvent) error
	SetEndpointTrust(ctx context.Context, k *apikey.Key, endpointID string, trusted bool, ev *apikey.AuditEvent) error
	Endpoints(ctx context.Context, keyID string) ([]apikey.Endpoint, error)
	KeyUsage(ctx context.Context, keyID, since string) ([]apikey.UsageCount, error)
	KeyAddresses(ctx context.Context, keyID, since string, n int) ([]apikey.AddressUse, error)
	KeyAudit(ctx context.Context, keyID string, limit int) ([]apikey.AuditEvent, error)
	KeySync(ctx context.Context, id string, seenAfter time.Time) (apikey.SyncStatus, error)
	KeyJWT(ctx context.Context, keyID, hash string) (*apikey.KeyJWT, error)
}

// Signer signs the secrets of JWT access keys (token.Signer), telling the
// JWT's jti and exp for the revocation list.
type Signer interface {
	SignKey(ctx context.Context, keyID, accountID string, roles []string, expires *time.Time) (string, apikey.KeyJWT, error)
}

// Manager carries out changes to keys.
type Manager struct {
	store  Store
	tokens Signer // nil: no JWT access keys
	now    func() time.Time
	// onChange hears of every change to a key (with the secret hashes that
	// stop or may stop working), so caches can forget it at once.
	onChange func(k *apikey.Key, hashes ...string)
	// latest queues this process's UpdateLatest calls on one key (by a
	// stripe of its id), so that they never race each other; saves from
	// elsewhere are met by retrying.
	latest [64]sync.Mutex
	// jwtOfflineLimit is the attention rule AttentionJWTLong's limit.
	jwtOfflineLimit time.Duration
}

// SetJWTOfflineLimit sets how long offline checkers may accept a JWT key's
// JWT before the key needs attention (0: apikey.DefaultJWTOfflineLimit).
func (m *Manager) SetJWTOfflineLimit(d time.Duration) { m.jwtOfflineLimit = d }

// JWTOfflineLimit is the limit the attention rule AttentionJWTLong uses.
func (m *Manager) JWTOfflineLimit() time.Duration {
	if m.jwtOfflineLimit <= 0 {
		return apikey.DefaultJWTOfflineLimit
	}
	return m.jwtOfflineLimit
}

// OnChange sets the function told of every change to a key.
func (m *Manager) OnChange(f func(k *apikey.Key, hashes ...string)) { m.onChange = f }

func (m *Manager) changed(k *apikey.Key, hashes ...string) {
	if m.onChange != nil {
		m.onChange(k, append(hashes, k.SecretHash, k.PreviousSecretHash)...)
	}
}

// New returns a Manager on db, signing JWT access keys with tokens; now is
// the clock (nil: the wall clock).
func New(db Store, tokens Signer, now func() time.Time) *Manager {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Manager{store: db, tokens: tokens, now: now}
}

var errForbidden = apikey.Errorf(apikey.EFORBIDDEN, "You do not have permission to do this.")

// Get returns the key id when the actor may view it: in its own account,
// or in one below where it works too (inherited). Any other key is
// reported missing, so ids cannot be probed.
func (m *Manager) Get(ctx context.Context, who apikey.Actor, id string) (*apikey.Key, error) {
	k, _, err := m.load(ctx, who, id)
	return k, err
}

// load is Get that also gives the path of the key's account to the root,
// which every permission check of the key needs.
func (m *Manager) load(ctx context.Context, who apikey.Actor, id string) (*apikey.Key, []string, error) {
	k, err := m.store.Key(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	path, err := m.store.AccountPath(ctx, k.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if ok, err := m.visible(ctx, who, k, path); err != nil {
		return nil, nil, err
	} else if !ok {
		return nil, nil, apikey.Errorf(apikey.ENOTFOUND, "No such key.")
	}
	return k, path, nil
}

// visible tells whether the actor may see key k, whose account has path:
// where it may view keys in that account, or in an account below it, whose
// list shows the key inherited.
func (m *Manager) visible(ctx context.Context, who apikey.Actor, k *apikey.Key, path []string) (bool, error) {
	if who.CanIn(apikey.ViewApiKey, path) {
		return true, nil
	}
	for _, top := range who.Tops(apikey.ViewApiKey) {
		below, err := m.store.AccountPath(ctx, top)
		if err != nil {
			return false, err
		}
		if slices.Contains(below, k.AccountID) && who.CanIn(apikey.ViewApiKey, below) {
			return true, nil
		}
	}
	return false, nil
}

// Create stores a new key in accountID and returns it with its secret: the
// only time the secret exists outside the caller's hands.
func (m *Manager) Create(ctx context.Context, who apikey.Actor, accountID string, s apikey.Settings, customSecret string) (*apikey.Key, string, error) {
	path, err := m.store.AccountPath(ctx, accountID)
	if err != nil {
		return nil, "", err
	}
	if len(path) == 0 {
		return nil, "", apikey.FieldErrorf(apikey.ENOTFOUND, "account_id", "No such account.")
	}
	if !who.CanIn(apikey.ModifyApiKey, path) {
		return nil, "", errForbidden
	}
	id, err := apikey.NewID("key")
	if err != nil {
		return nil, "", err
	}
	k := &apikey.Key{ID: id, AccountID: accountID, Settings: s, CreatedBy: who.Name}
	secret, err := m.newSecret(ctx, k, customSecret)
	if err != nil {
		return nil, "", err
	}
	k.SecretHash, k.DisplayPrefix = apikey.HashSecret(secret), apikey.DisplayPrefix(secret)
	ev := who.Event(apikey.ActionKeyCreated)
	ev.Changes = apikey.Diff(apikey.Settings{}, s)
	if err := m.store.CreateKey(ctx, k, ev); err != nil {
		return nil, "", err
	}
	m.changed(k)
	return k, secret, nil
}

// newSecret makes the secret of key k: generated, a JWT naming the key and
// expiring with it, or the admin's own value.
func (m *Manager) newSecret(ctx context.Context, k *apikey.Key, custom string) (string, error) {
	switch k.AccessType {
	case apikey.AccessCustom:
		return custom, nil
	case apikey.AccessJWT:
		if m.tokens == nil {
			return "", apikey.FieldErrorf(apikey.EINVALID, "access_type", "JWT access keys are not available here; choose a generated or custom value.")
		}
		var roles []string
		for _, g := range k.Roles {
			roles = append(roles, string(g.Role))
		}
		secret, issued, err := m.tokens.SignKey(ctx, k.ID, k.AccountID, roles, k.ExpiresAt)
		k.IssuedJWT = &issued
		return secret, err
	}
	return apikey.GenerateSecret(k.Type)
}

// Update saves new settings over those read at version, and tells whether
// anything changed. The name, account, access type and secret stay as they
// are. Settings the same as the stored ones save nothing: no audit entry,
// no new version.
func (m *Manager) Update(ctx context.Context, who apikey.Actor, id string, version int, s apikey.Settings) (*apikey.Key, bool, error) {
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, false, err
	}
	if !who.CanIn(apikey.ModifyApiKey, path) {
		return nil, false, errForbidden
	}
	s.Name, s.AccessType = k.Name, k.AccessType
	ev := who.Event(apikey.ActionKeyUpdated)
	if ev.Changes = apikey.Diff(k.Settings, s); len(ev.Changes) == 0 {
		return k, false, nil
	}
	k.Settings, k.Version, k.UpdatedBy = s, version, who.Name
	if err := m.store.UpdateKey(ctx, k, ev); err != nil {
		return nil, false, err
	}
	m.changed(k)
	return k, true, nil
}

// maxLatestAttempts bounds UpdateLatest's retries against saves made
// elsewhere (a console edit, another instance): each lost race means
// another save went through, so running out takes a storm of them.
const maxLatestAttempts = 50

// UpdateLatest saves what edit makes of the key as it is now, however
// often someone else saves in between: a change that named no version to
// check is never refused for one (edit runs again on the newer key).
func (m *Manager) UpdateLatest(ctx context.Context, who apikey.Actor, id string, edit func(*apikey.Key) (apikey.Settings, error)) (*apikey.Key, bool, error) {
	h := fnv.New32a()
	h.Write([]byte(id))
	mu := &m.latest[h.Sum32()%uint32(len(m.latest))]
	mu.Lock()
	defer mu.Unlock()
	for attempt := 1; ; attempt++ {
		k, err := m.Get(ctx, who, id)
		if err != nil {
			return nil, false, err
		}
		s, err := edit(k)
		if err != nil {
			return nil, false, err
		}
		saved, changed, err := m.Update(ctx, who, id, k.Version, s)
		var stale *apikey.StaleError
		if errors.As(err, &stale) && attempt < maxLatestAttempts {
			continue
		}
		return saved, changed, err
	}
}

// CanRegenerate tells whether the actor may give key k, in the account with
// the given path, a new secret: ModifyApiKey does for any key;
// RegenerateChromeKey (support) for Chrome keys that hold no more than the
// actor does, since whoever regenerates a key sees its secret.
func (m *Manager) CanRegenerate(ctx context.Context, p *apikey.Principal, k *apikey.Key, path []string) (bool, error) {
	if p.CanIn(apikey.ModifyApiKey, path) {
		return true, nil
	}
	if k.Type != apikey.TypeChrome || !p.CanIn(apikey.RegenerateChromeKey, path) || len(k.AdvancedPermissions) > 0 {
		return false, nil
	}
	var lookupErr error
	covered := p.Covers(k.Roles, path, func(id string) []string {
		pathOf, err := m.store.AccountPath(ctx, id)
		if err != nil && lookupErr == nil {
			lookupErr = err
		}
		return pathOf
	})
	return covered && lookupErr == nil, lookupErr
}

// errBeyondRegenerator refuses support a Chrome key stronger than support.
var errBeyondRegenerator = apikey.Errorf(apikey.EFORBIDDEN,
	"This key holds roles or permissions beyond your own, so only a Global Admin may regenerate it.")

// RegenerateAllowed is CanRegenerate as the error that refuses the action.
func (m *Manager) RegenerateAllowed(ctx context.Context, p *apikey.Principal, k *apikey.Key, path []string) error {
	ok, err := m.CanRegenerate(ctx, p, k, path)
	switch {
	case err != nil:
		return err
	case ok:
		return nil
	case k.Type == apikey.TypeChrome && p.CanIn(apikey.RegenerateChromeKey, path):
		return errBeyondRegenerator
	}
	return errForbidden
}

// Grace periods a regenerate offers: how long the old secret keeps working.
// None is right for a leaked key; the others let clients roll over.
var GracePeriods = []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Regenerate gives the key a new secret, which it returns: a new JWT for a
// JWT access key; for a custom-value key, custom (checked by the caller)
// when given, else a generated secret, which makes it a generated key; a
// generated one for the others. The old secret keeps working for grace
// (never past the key's expiry), or stops at once when grace is zero.
func (m *Manager) Regenerate(ctx context.Context, who apikey.Actor, id string, grace time.Duration, custom string) (*apikey.Key, string, error) {
	if !slices.Contains(GracePeriods, grace) {
		return nil, "", apikey.FieldErrorf(apikey.EINVALID, "grace", "Choose how long the old secret keeps working: immediately, 1 hour, 24 hours or 7 days.")
	}
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, "", err
	}
	if err := m.RegenerateAllowed(ctx, who.Principal, k, path); err != nil {
		return nil, "", err
	}
	switch {
	case custom != "" && k.AccessType != apikey.AccessCustom:
		return nil, "", apikey.FieldErrorf(apikey.EINVALID, "custom_value", "Only a key with a custom value takes a new custom value.")
	case custom == "" && k.AccessType == apikey.AccessCustom:
		k.AccessType = apikey.AccessGenerated
	}
	secret, err := m.newSecret(ctx, k, custom)
	if err != nil {
		return nil, "", err
	}
	hash, prefix := apikey.HashSecret(secret), apikey.DisplayPrefix(secret)
	var until *time.Time
	if grace > 0 {
		t := m.now().Add(grace)
		if k.ExpiresAt != nil && k.ExpiresAt.Before(t) {
			t = *k.ExpiresAt
		}
		until = &t
	}
	ev := who.Event(apikey.ActionKeyRegenerated)
	ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldPreviousSecretUntil, nil, until)}
	if err := m.store.ReplaceSecret(ctx, k, hash, prefix, k.AccessType, until, who.Name, ev); err != nil {
		return nil, "", err
	}
	m.changed(k, k.SecretHash)
	fresh, err := m.store.Key(ctx, k.ID) // as stored: the new version and times
	if err != nil {
		return nil, "", err
	}
	return fresh, secret, nil
}

// EndGracePeriod stops a previous secret still in its grace period.
func (m *Manager) EndGracePeriod(ctx context.Context, who apikey.Actor, id string) (*apikey.Key, error) {
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if err := m.RegenerateAllowed(ctx, who.Principal, k, path); err != nil {
		return nil, err
	}
	if k.PreviousSecretHash == "" {
		return k, nil
	}
	ev := who.Event(apikey.ActionKeyGraceEnded)
	if err := m.store.EndGracePeriod(ctx, k, who.Name, ev); err != nil {
		return nil, err
	}
	m.changed(k, k.PreviousSecretHash)
	k.PreviousSecretHash, k.PreviousValidUntil = "", nil
	return k, nil
}

// SetActive switches the key on or off.
func (m *Manager) SetActive(ctx context.Context, who apikey.Actor, id string, active bool) (*apikey.Key, error) {
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ModifyApiKey, path) {
		return nil, errForbidden
	}
	action := apikey.ActionKeyDeactivated
	if active {
		action = apikey.ActionKeyActivated
	}
	if k.Active == active {
		return k, nil
	}
	if err := m.store.SetKeyActive(ctx, k, active, who.Name, who.Event(action)); err != nil {
		return nil, err
	}
	k.Active = active
	m.changed(k)
	return k, nil
}

// Delete removes the key for good.
func (m *Manager) Delete(ctx context.Context, who apikey.Actor, id string) (*apikey.Key, error) {
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.DeleteApiKey, path) {
		return nil, errForbidden
	}
	if err := m.store.DeleteKey(ctx, k, who.Event(apikey.ActionKeyDeleted)); err != nil {
		return nil, err
	}
	m.changed(k)
	return k, nil
}

// SetEndpointTrust trusts or distrusts an endpoint of the key; distrusting
// also ends the refresh tokens it holds.
func (m *Manager) SetEndpointTrust(ctx context.Context, who apikey.Actor, id, endpointID string, trusted bool) (*apikey.Key, error) {
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ModifyApiKey, path) {
		return nil, errForbidden
	}
	action := apikey.ActionEndpointDrop
	if trusted {
		action = apikey.ActionEndpointTrust
	}
	ev := who.Event(action)
	ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldEndpointTrust, nil, apikey.EndpointTrustData{EndpointID: endpointID, Trusted: trusted})}
	return k, m.store.SetEndpointTrust(ctx, k, endpointID, trusted, ev)
}

// MoveRefusal says why key k cannot move to another account at all, or nil.
func MoveRefusal(k *apikey.Key) error {
	switch {
	case k.Predefined:
		return apikey.FieldErrorf(apikey.EINVALID, "account_id", "A predefined key belongs to its account and moves only with it.")
	case k.AccessType == apikey.AccessJWT:
		return apikey.FieldErrorf(apikey.EINVALID, "account_id", "This key's secret is a JWT that names its account, so it cannot move; make a new key in the other account instead.")
	}
	return nil
}

// Move puts key id, read at version (0: as stored), into account to. The actor must be
// able to change keys both where the key is and where it goes. Predefined
// keys belong to their account (every account has its own set, under the
// same names) and move only with it; a JWT access key names its account
// inside its secret, which a move cannot change. Roles stay as they are:
// an Account Viewer role names its accounts by id, which hold wherever the
// key is, and support reaches the key's account, the new one after a move.
func (m *Manager) Move(ctx context.Context, who apikey.Actor, id string, version int, to string) (*apikey.Key, error) {
	k, path, err := m.load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !who.CanIn(apikey.ModifyApiKey, path) {
		return nil, errForbidden
	}
	if to == "" {
		return nil, apikey.FieldErrorf(apikey.EINVALID, "account_id", "Choose the account the key moves to.")
	}
	toPath, err := m.store.AccountPath(ctx, to)
	if err != nil {
		return nil, err
	}
	switch {
	case len(toPath) == 0:
		return nil, apikey.FieldErrorf(apikey.ENOTFOUND, "account_id", "That account does not exist.")
	case !who.CanIn(apikey.ModifyApiKey, toPath):
		return nil, apikey.FieldErrorf(apikey.EFORBIDDEN, "account_id", "You may not change keys in that account.")
	case to == k.AccountID:
		return k, nil // there already: nothing to change, nothing to record
	}
	if err := MoveRefusal(k); err != nil {
		return nil, err
	}
	if version != 0 {
		k.Version = version
	}
	if err := m.store.MoveKey(ctx, k, to, who.Name, who.Event(apikey.ActionKeyMoved)); err != nil {
		return nil, err
	}
	m.changed(k)
	return k, nil
}
