package store

import (
	"context"
	"database/sql"
	"fmt"
	"keyconsole/internal/apikey"
	"strings"
	"time"
)

// RecordUsage adds a batch of counts and last uses in one transaction,
// many rows per statement. Keys deleted since the requests are skipped,
// not an error.
func (db *DB) RecordUsage(ctx context.Context, uses []apikey.LastUse, counts []apikey.UsageCount) error {
	const per = 500
	return db.inTx(ctx, func(tx *txn) error {
		for start := 0; start < len(uses); start += per {
			chunk := uses[start:min(start+per, len(uses))]
			args := make([]any, 0, 3*len(chunk))
			for _, u := range chunk {
				args = append(args, u.KeyID, formatTime(u.At), u.From)
			}
			_, err := tx.ExecContext(ctx, `WITH v (id, at, ip) AS (VALUES `+valueRows(len(chunk), "?, ?, ?")+`)
				UPDATE api_keys SET last_used_at = v.at, last_used_from = v.ip FROM v
				WHERE api_keys.id = v.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < v.at)`, args...)
			if err != nil {
				return fmt.Errorf("record last use: %w", err)
			}
		}
		if err := recordIPRefusals(ctx, tx, counts); err != nil {
			return err
		}
		for start := 0; start < len(counts); start += per {
			chunk := counts[start:min(start+per, len(counts))]
			args := make([]any, 0, 4*len(chunk))
			for _, c := range chunk {
				args = append(args, c.KeyID, c.Day, c.Code, c.Count)
			}
			// INSERT ... ON CONFLICT DO UPDATE reads the same in SQLite and
			// PostgreSQL; "WHERE true" tells SQLite's parser the SELECT ended.
			_, err := tx.ExecContext(ctx, `WITH v (key_id, day, code, count) AS (VALUES `+valueRows(len(chunk), "?, ?, ?, CAST(? AS INTEGER)")+`)
				INSERT INTO api_key_usage (key_id, day, code, count)
				SELECT v.key_id, v.day, v.code, v.count FROM v JOIN api_keys k ON k.id = v.key_id WHERE true
				ON CONFLICT (key_id, day, code) DO UPDATE SET count = api_key_usage.count + excluded.count`, args...)
			if err != nil {
				return fmt.Errorf("record usage: %w", err)
			}
		}
		return nil
	})
}

// recordIPRefusals moves each key's last refusal for its client address
// (IP_NOT_ALLOWED) to the latest of counts, never back.
func recordIPRefusals(ctx context.Context, tx *txn, counts []apikey.UsageCount) error {
	latest := map[string]time.Time{} // one row a key: an UPDATE FROM picks any of several
	for _, c := range counts {
		if c.Code == apikey.CodeIPNotAllowed && c.Latest.After(latest[c.KeyID]) {
			latest[c.KeyID] = c.Latest
		}
	}
	args := make([]any, 0, 2*len(latest))
	for id, at := range latest {
		args = append(args, id, formatTime(at))
	}
	const per = 500
	for start := 0; start < len(args); start += 2 * per {
		chunk := args[start:min(start+2*per, len(args))]
		_, err := tx.ExecContext(ctx, `WITH v (id, at) AS (VALUES `+valueRows(len(chunk)/2, "?, ?")+`)
			UPDATE api_keys SET last_ip_refused_at = v.at FROM v
			WHERE api_keys.id = v.id AND (api_keys.last_ip_refused_at IS NULL OR api_keys.last_ip_refused_at < v.at)`, chunk...)
		if err != nil {
			return fmt.Errorf("record IP refusal: %w", err)
		}
	}
	return nil
}

// valueRows is n rows of a VALUES list, each (row).
func valueRows(n int, row string) string {
	return strings.TrimSuffix(strings.Repeat("("+row+"),", n), ",")
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

// PruneUsage removes the daily counts of days before the day given
// (YYYY-MM-DD), a thousand rows a transaction so that writers never wait
// long, and returns how many went.
func (db *DB) PruneUsage(ctx context.Context, before string) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.inTx(ctx, func(tx *txn) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM api_key_usage WHERE (key_id, day, code) IN
				(SELECT key_id, day, code FROM api_key_usage WHERE day < ? LIMIT 1000)`, before)
			if err != nil {
				return fmt.Errorf("prune usage: %w", err)
			}
			n, err = res.RowsAffected()
			return err
		})
		total += n
		if err != nil || n < 1000 {
			return total, err
		}
	}
}
