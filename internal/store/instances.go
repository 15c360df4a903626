package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"keyconsole/internal/apikey"
)

// keyChanged records, in the transaction of a change to key id, that the
// key changed: the change gets the next sequence number (read and written
// in one serializable transaction, so numbers follow commit order) and
// every instance listening is woken when the transaction commits.
func (db *DB) keyChanged(ctx context.Context, tx *txn, id string, issued *apikey.KeyJWT) error {
	if err := db.reviseKeyJWTs(ctx, tx, id, issued); err != nil {
		return err
	}
	if err := db.e.queueKeyChanges(ctx, tx); err != nil {
		return fmt.Errorf("record key change: %w", err)
	}
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO key_changes (seq, key_id, at)
		SELECT COALESCE(MAX(seq), 0) + 1, ?, ? FROM key_changes RETURNING seq`, id, formatTime(db.now())).Scan(&seq)
	if err != nil {
		return fmt.Errorf("record key change: %w", err)
	}
	return db.e.notify(ctx, tx, fmt.Sprint(seq))
}

// KeyChangesSince lists up to limit changes after seq, oldest first.
func (db *DB) KeyChangesSince(ctx context.Context, seq int64, limit int) ([]apikey.KeyChange, error) {
	var out []apikey.KeyChange
	err := db.eachRow(ctx, "key changes", `SELECT seq, key_id FROM key_changes WHERE seq > ? ORDER BY seq LIMIT ?`,
		[]any{seq, limit}, func(rows *sql.Rows) error {
			var c apikey.KeyChange
			if err := rows.Scan(&c.Seq, &c.KeyID); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	return out, err
}

// LatestKeyChange is the newest change's number, 0 when there is none.
func (db *DB) LatestKeyChange(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM key_changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("latest key change: %w", err)
	}
	return seq, nil
}

// ListenKeyChanges calls woken once listening has begun and then after
// every committed key change, until ctx ends or the connection is lost,
// whose error it returns. SQLite returns apikey.ErrNoListen at once.
func (db *DB) ListenKeyChanges(ctx context.Context, woken func()) error {
	return db.e.listen(ctx, woken)
}

// SaveInstance writes an instance's heartbeat.
func (db *DB) SaveInstance(ctx context.Context, in apikey.Instance) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO instances (id, name, started_at, seen_at, applied_seq, applied_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, applied_seq = excluded.applied_seq, applied_at = excluded.applied_at`,
			in.ID, in.Name, formatTime(in.StartedAt), formatTime(in.SeenAt), in.AppliedSeq, formatTime(in.AppliedAt))
		if err != nil {
			return fmt.Errorf("save instance: %w", err)
		}
		return nil
	})
}

// RemoveInstance forgets a stopped instance, and instances silent since
// before staleBefore.
func (db *DB) RemoveInstance(ctx context.Context, id string, staleBefore time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM instances WHERE id = ? OR seen_at < ?`, id, formatTime(staleBefore))
		return err
	})
}

// Instances lists the instances heard from since seenAfter, by name.
func (db *DB) Instances(ctx context.Context, seenAfter time.Time) ([]apikey.Instance, error) {
	var out []apikey.Instance
	err := db.eachRow(ctx, "instances", `SELECT id, name, started_at, seen_at, applied_seq, applied_at
		FROM instances WHERE seen_at >= ? ORDER BY name, id`, []any{formatTime(seenAfter)}, func(rows *sql.Rows) error {
		var in apikey.Instance
		var started, seen, applied string
		if err := rows.Scan(&in.ID, &in.Name, &started, &seen, &in.AppliedSeq, &applied); err != nil {
			return err
		}
		var err error
		if in.StartedAt, err = parseTime(started); err == nil {
			if in.SeenAt, err = parseTime(seen); err == nil {
				in.AppliedAt, err = parseTime(applied)
			}
		}
		out = append(out, in)
		return err
	})
	return out, err
}

// KeySync tells whether the newest change to key id has reached every
// instance heard from since seenAfter.
func (db *DB) KeySync(ctx context.Context, id string, seenAfter time.Time) (apikey.SyncStatus, error) {
	var st apikey.SyncStatus
	var seq sql.NullInt64
	var at sql.NullString
	err := db.reader.QueryRowContext(ctx, `SELECT seq, at FROM key_changes WHERE key_id = ? ORDER BY seq DESC LIMIT 1`, id).Scan(&seq, &at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("key sync: %w", err)
	}
	instances, err := db.Instances(ctx, seenAfter)
	if err != nil {
		return st, err
	}
	st.Instances = len(instances)
	for _, in := range instances {
		if seq.Valid && in.AppliedSeq < seq.Int64 {
			since, err := parseTime(at.String)
			if err != nil {
				return st, err
			}
			st.Lagging = append(st.Lagging, apikey.LaggingInstance{Name: in.Name, Since: since})
		}
	}
	return st, nil
}

// PruneKeyChanges drops changes recorded before `before`, keeping the newest.
func (db *DB) PruneKeyChanges(ctx context.Context, before time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM key_changes WHERE at < ? AND seq < (SELECT MAX(seq) FROM key_changes)`, formatTime(before))
		return err
	})
}
