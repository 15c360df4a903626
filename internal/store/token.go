package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"keyconsole/internal/apikey"
)

// SigningKeys lists the signing keys, newest first.
func (db *DB) SigningKeys(ctx context.Context) ([]apikey.SigningKey, error) {
	var out []apikey.SigningKey
	err := db.eachRow(ctx, "signing keys", `SELECT kid, private_key, created_at FROM signing_keys ORDER BY created_at DESC, kid`, nil,
		func(rows *sql.Rows) error {
			var k apikey.SigningKey
			var at string
			if err := rows.Scan(&k.KID, &k.PrivateKey, &at); err != nil {
				return err
			}
			var err error
			k.CreatedAt, err = parseTime(at)
			out = append(out, k)
			return err
		})
	return out, err
}

// EnsureSigningKey stores k when there is no signing key yet and returns
// the signing keys, newest first: instances starting at once on an empty
// database agree on one key.
func (db *DB) EnsureSigningKey(ctx context.Context, k apikey.SigningKey) ([]apikey.SigningKey, error) {
	err := db.inTx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM signing_keys`).Scan(&n); err != nil {
			return fmt.Errorf("count signing keys: %w", err)
		}
		if n > 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (kid, private_key, created_at) VALUES (?, ?, ?)`,
			k.KID, k.PrivateKey, formatTime(k.CreatedAt))
		if err != nil {
			return fmt.Errorf("add signing key: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.SigningKeys(ctx)
}

// SeeEndpoint records a sign-in from an endpoint: a new one is stored with
// trustedIfNew, a known one keeps its trust and gets the new name and time.
func (db *DB) SeeEndpoint(ctx context.Context, keyID, endpointID, name string, trustedIfNew bool, at time.Time) (*apikey.Endpoint, error) {
	var e *apikey.Endpoint
	err := db.inTx(ctx, func(tx *txn) error {
		// INSERT ... ON CONFLICT DO UPDATE reads the same in SQLite and PostgreSQL.
		_, err := tx.ExecContext(ctx, `INSERT INTO endpoints (key_id, endpoint_id, name, trusted, first_seen_at, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (key_id, endpoint_id) DO UPDATE SET name = excluded.name, last_seen_at = excluded.last_seen_at`,
			keyID, endpointID, name, boolInt(trustedIfNew), formatTime(at), formatTime(at))
		if err != nil {
			return fmt.Errorf("record endpoint: %w", err)
		}
		e, err = scanEndpoint(tx.QueryRowContext(ctx, `SELECT key_id, endpoint_id, name, trusted, first_seen_at, last_seen_at
			FROM endpoints WHERE key_id = ? AND endpoint_id = ?`, keyID, endpointID))
		return err
	})
	return e, err
}

// Endpoint returns one endpoint of a key.
func (db *DB) Endpoint(ctx context.Context, keyID, endpointID string) (*apikey.Endpoint, error) {
	return scanEndpoint(db.reader.QueryRowContext(ctx, `SELECT key_id, endpoint_id, name, trusted, first_seen_at, last_seen_at
		FROM endpoints WHERE key_id = ? AND endpoint_id = ?`, keyID, endpointID))
}

// Endpoints lists a key's endpoints, most recently seen first.
func (db *DB) Endpoints(ctx context.Context, keyID string) ([]apikey.Endpoint, error) {
	var out []apikey.Endpoint
	err := db.eachRow(ctx, "endpoints", `SELECT key_id, endpoint_id, name, trusted, first_seen_at, last_seen_at
		FROM endpoints WHERE key_id = ? ORDER BY last_seen_at DESC, endpoint_id`, []any{keyID}, func(rows *sql.Rows) error {
		e, err := scanEndpoint(rows)
		if err == nil {
			out = append(out, *e)
		}
		return err
	})
	return out, err
}

// SetEndpointTrust trusts or distrusts an endpoint; distrusting also ends
// its refresh tokens. ev (when given) is recorded for the key k.
func (db *DB) SetEndpointTrust(ctx context.Context, k *apikey.Key, endpointID string, trusted bool, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE endpoints SET trusted = ? WHERE key_id = ? AND endpoint_id = ?`, boolInt(trusted), k.ID, endpointID)
		if err != nil {
			return fmt.Errorf("set endpoint trust: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apikey.Errorf(apikey.ENOTFOUND, "No such endpoint.")
		}
		if !trusted {
			if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE key_id = ? AND endpoint_id = ?`, k.ID, endpointID); err != nil {
				return fmt.Errorf("end endpoint tokens: %w", err)
			}
		}
		return db.audit(ctx, tx, ev, k.AccountID, k.ID, k.Name)
	})
}

func scanEndpoint(row scanner) (*apikey.Endpoint, error) {
	var e apikey.Endpoint
	var trusted int
	var first, last string
	err := row.Scan(&e.KeyID, &e.EndpointID, &e.Name, &trusted, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such endpoint.")
	}
	if err != nil {
		return nil, fmt.Errorf("read endpoint: %w", err)
	}
	e.Trusted = trusted != 0
	if e.FirstSeenAt, err = parseTime(first); err != nil {
		return nil, err
	}
	if e.LastSeenAt, err = parseTime(last); err != nil {
		return nil, err
	}
	return &e, nil
}

// AddRefreshToken stores a refresh token, replacing the one it rotates
// (oldHash, when given) in the same transaction: a refresh token works once.
func (db *DB) AddRefreshToken(ctx context.Context, t apikey.RefreshToken, oldHash string, at time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		if oldHash != "" {
			res, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE token_hash = ?`, oldHash)
			if err != nil {
				return fmt.Errorf("rotate refresh token: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apikey.Errorf(apikey.ENOTFOUND, "This refresh token was already used or ended.")
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, user_id, key_id, endpoint_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, t.Hash, t.UserID, t.KeyID, t.EndpointID, formatTime(at), formatTime(t.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store refresh token: %w", err)
		}
		return nil
	})
}

// RefreshTokenByHash returns a stored refresh token.
func (db *DB) RefreshTokenByHash(ctx context.Context, hash string) (*apikey.RefreshToken, error) {
	var t apikey.RefreshToken
	var exp string
	err := db.reader.QueryRowContext(ctx, `SELECT token_hash, user_id, key_id, endpoint_id, expires_at FROM refresh_tokens WHERE token_hash = ?`, hash).
		Scan(&t.Hash, &t.UserID, &t.KeyID, &t.EndpointID, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "Unknown refresh token.")
	}
	if err != nil {
		return nil, fmt.Errorf("read refresh token: %w", err)
	}
	t.ExpiresAt, err = parseTime(exp)
	return &t, err
}

// DeleteRefreshToken ends a refresh token; an unknown one is no error.
func (db *DB) DeleteRefreshToken(ctx context.Context, hash string) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE token_hash = ?`, hash)
		return err
	})
}
