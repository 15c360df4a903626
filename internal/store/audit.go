package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"keyconsole/internal/apikey"
)

// insertAudit writes ev inside the transaction of the change it records, so
// a change and its audit row are stored together or not at all.
func (db *DB) insertAudit(ctx context.Context, tx *sql.Tx, ev *apikey.AuditEvent) error {
	id, err := apikey.NewID("evt")
	if err != nil {
		return err
	}
	changes := ev.Changes
	if changes == nil {
		changes = []apikey.Change{}
	}
	body, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	ev.ID, ev.At = id, db.now()
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events
		(id, at, actor_kind, actor_id, actor_name, client_ip, account_id, key_id, key_name, action, changes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, formatTime(ev.At), ev.ActorKind, ev.ActorID, ev.ActorName, ev.ClientIP,
		ev.AccountID, ev.KeyID, ev.KeyName, ev.Action, string(body))
	if err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return nil
}

// KeyAudit lists the newest events of one key, newest first.
func (db *DB) KeyAudit(ctx context.Context, keyID string, limit int) ([]apikey.AuditEvent, error) {
	var out []apikey.AuditEvent
	err := db.eachRow(ctx, "audit events", `SELECT id, at, actor_kind, actor_id, actor_name, client_ip,
		account_id, key_id, key_name, action, changes FROM audit_events WHERE key_id = ? ORDER BY at DESC, id DESC LIMIT ?`,
		[]any{keyID, limit}, func(rows *sql.Rows) error {
			var ev apikey.AuditEvent
			var at, changes string
			if err := rows.Scan(&ev.ID, &at, &ev.ActorKind, &ev.ActorID, &ev.ActorName, &ev.ClientIP,
				&ev.AccountID, &ev.KeyID, &ev.KeyName, &ev.Action, &changes); err != nil {
				return err
			}
			var err error
			if ev.At, err = parseTime(at); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(changes), &ev.Changes); err != nil {
				return err
			}
			out = append(out, ev)
			return nil
		})
	return out, err
}
