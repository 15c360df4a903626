package store

import (
	"context"
	"database/sql"
	"fmt"
	"keyconsole/internal/apikey"
)

// RecordUsage adds a batch of counts and last uses in one transaction. Keys
// deleted since the requests are skipped, not an error.
func (db *DB) RecordUsage(ctx context.Context, uses []apikey.LastUse, counts []apikey.UsageCount) error {
	return db.inTx(ctx, func(tx *txn) error {
		for _, u := range uses {
			_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ?, last_used_from = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				formatTime(u.At), u.From, u.KeyID, formatTime(u.At))
			if err != nil {
				return fmt.Errorf("record last use: %w", err)
			}
		}
		for _, c := range counts {
			// INSERT ... ON CONFLICT DO UPDATE reads the same in SQLite and PostgreSQL.
			_, err := tx.ExecContext(ctx, `INSERT INTO api_key_usage (key_id, day, code, count)
				SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?)
				ON CONFLICT (key_id, day, code) DO UPDATE SET count = api_key_usage.count + excluded.count`,
				c.KeyID, c.Day, c.Code, c.Count, c.KeyID)
			if err != nil {
				return fmt.Errorf("record usage: %w", err)
			}
		}
		return nil
	})
}

// KeyUsage lists a key's daily counts from the day since on, oldest first.
func (db *DB) KeyUsage(ctx context.Context, keyID, since string) ([]apikey.UsageCount, error) {
	var out []apikey.UsageCount
	err := db.eachRow(ctx, "usage", `SELECT key_id, day, code, count FROM api_key_usage
		WHERE key_id = ? AND day >= ? ORDER BY day, code`, []any{keyID, since}, func(rows *sql.Rows) error {
		var c apikey.UsageCount
		if err := rows.Scan(&c.KeyID, &c.Day, &c.Code, &c.Count); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}
