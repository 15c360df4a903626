package store

import (
	"context"
	"database/sql"
	"errors"

	"keyconsole/internal/apikey"
)

// MoveKey puts key k into account to while the key is still at k.Version
// in k.AccountID, and is not predefined (those belong to their account):
// its version moves on, caches are told, and ev (when not nil) names both
// accounts, recorded in the one the key is now in. A key of the same name
// there is an ECONFLICT on account_id.
func (db *DB) MoveKey(ctx context.Context, k *apikey.Key, to, by string, ev *apikey.AuditEvent) error {
	now := db.now()
	err := db.inTx(ctx, func(tx *txn) error {
		toName, err := accountName(ctx, tx, to)
		if errors.Is(err, sql.ErrNoRows) {
			return apikey.FieldErrorf(apikey.ENOTFOUND, "account_id", "That account does not exist.")
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET account_id = ?, updated_at = ?, updated_by = ?, version = version + 1
			WHERE id = ? AND account_id = ? AND version = ? AND predefined = 0`,
			to, formatTime(now), by, k.ID, k.AccountID, k.Version)
		if v := tx.e.violation(err); v.unique() {
			return apikey.FieldErrorf(apikey.ECONFLICT, "account_id", "%s already has a key named %q; rename one of them first.", toName, k.Name)
		} else if v.foreignKey() {
			return apikey.FieldErrorf(apikey.ENOTFOUND, "account_id", "That account does not exist.")
		}
		if err != nil {
			return db.keyWriteError(err, k.Name)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return staleOrMissing(ctx, tx, k.ID, k.AccountID)
		}
		if err := db.keyChanged(ctx, tx, k.ID, nil); err != nil {
			return err
		}
		if ev != nil {
			ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldAccountID, k.AccountID, to)}
		}
		return db.audit(ctx, tx, ev, to, k.ID, k.Name)
	})
	if err != nil {
		return err
	}
	k.AccountID, k.UpdatedAt, k.UpdatedBy = to, now, by
	k.Version++
	return nil
}
