package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"keyconsole/internal/apikey"
)

// CreateSession records a new session for user under the hashed id, begun
// at the caller's clock (the same clock that judges its timeouts).
func (db *DB) CreateSession(ctx context.Context, idHash, userID string, at time.Time) error {
	now := formatTime(at)
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`,
			idHash, userID, now, now)
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
}

// SessionByHash returns the session and its user, or ENOTFOUND.
func (db *DB) SessionByHash(ctx context.Context, idHash string) (*apikey.Session, error) {
	var s apikey.Session
	var created, seen string
	err := db.reader.QueryRowContext(ctx, `SELECT user_id, created_at, last_seen_at FROM sessions WHERE id_hash = ?`, idHash).
		Scan(&s.UserID, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such session.")
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if s.LastSeenAt, err = parseTime(seen); err != nil {
		return nil, err
	}
	return &s, nil
}

// TouchSession moves a session's last-seen time to at.
func (db *DB) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, formatTime(at), idHash)
		return err
	})
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
		return err
	})
}

// DeleteSessionsBefore removes sessions idle since idleBefore or created
// before createdBefore: the sweep that keeps the table small.
func (db *DB) DeleteSessionsBefore(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`,
			formatTime(idleBefore), formatTime(createdBefore))
		if err != nil {
			return fmt.Errorf("sweep sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
