package keys

import (
	"context"

	"keyconsole/internal/apikey"
)

// DeactivatePredefined switches off the active predefined keys of an
// account, once the admin has keys of their own.
func (m *Manager) DeactivatePredefined(ctx context.Context, who apikey.Actor, accountID string) (int, error) {
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
