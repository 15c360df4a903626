package keys

import (
	"context"

	"keyconsole/internal/apikey"
)

// DeactivatePredefined switches off the active predefined keys of an
// account, once the admin has keys of their own, and returns those it
// switched off.
func (m *Manager) DeactivatePredefined(ctx context.Context, who apikey.Actor, accountID string) ([]*apikey.Key, error) {
	keys, err := m.store.PredefinedKeys(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var off []*apikey.Key
	for _, k := range keys {
		if !k.Active {
			continue
		}
		if _, err := m.SetActive(ctx, who, k.ID, false); err != nil {
			return off, err
		}
		off = append(off, k)
	}
	return off, nil
}
