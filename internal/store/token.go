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
	err := db.eachRow(ctx, "signing keys", `SELECT kid, private_key, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid`, nil,
		func(rows *sql.Rows) error {
			var k apikey.SigningKey
			var at string
			var retired sql.NullString
			if err := rows.Scan(&k.KID, &k.PrivateKey, &at, &retired); err != nil {
				return err
			}
			var err error
			if k.CreatedAt, err = parseTime(at); err == nil {
				k.RetiredAt, err = parseTimePtr(retired)
			}
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
		return insertSigningKey(ctx, tx, k)
	})
	if err != nil {
		return nil, err
	}
	return db.SigningKeys(ctx)
}

// RotateSigningKey retires every signing key still signing and adds k,
// which signs from now on.
func (db *DB) RotateSigningKey(ctx context.Context, k apikey.SigningKey) error {
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL`, formatTime(k.CreatedAt)); err != nil {
			return fmt.Errorf("retire signing keys: %w", err)
		}
		return insertSigningKey(ctx, tx, k)
	})
}

func insertSigningKey(ctx context.Context, tx *txn, k apikey.SigningKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (kid, private_key, created_at) VALUES (?, ?, ?)`,
		k.KID, k.PrivateKey, formatTime(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("add signing key: %w", err)
	}
	return nil
}

// reviseKeyJWTs records the JWT a change to key id issued (when one did)
// and brings the revocation times of the key's unexpired JWTs in line with
// the key as the change left it: the current JWT is revoked at the key's
// expiry when that comes first, a previous one at the end of its grace
// period, and every JWT of a deactivated or deleted key, or one replaced,
// at once. A reactivated key's current JWT is valid again.
func (db *DB) reviseKeyJWTs(ctx context.Context, tx *txn, id string, issued *apikey.KeyJWT) error {
	now := db.now()
	if issued != nil {
		_, err := tx.ExecContext(ctx, `INSERT INTO key_jwts (jti, key_id, secret_hash, expires_at) VALUES (?, ?, ?, ?)`,
			issued.ID, id, issued.SecretHash, formatTime(issued.ExpiresAt))
		if err != nil {
			return fmt.Errorf("record key JWT: %w", err)
		}
	}
	var active int
	var hash string
	var expires, prevHash, prevUntil sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT active, expires_at, secret_hash, previous_secret_hash, previous_valid_until FROM api_keys WHERE id = ?`, id).
		Scan(&active, &expires, &hash, &prevHash, &prevUntil)
	gone := errors.Is(err, sql.ErrNoRows)
	if err != nil && !gone {
		return fmt.Errorf("read key %s: %w", id, err)
	}
	type jwtRow struct{ jti, hash, exp string }
	var rows []jwtRow
	revoked := map[string]sql.NullString{}
	err = db.eachRowIn(ctx, tx, "key JWTs", `SELECT jti, secret_hash, expires_at, revoked_at FROM key_jwts WHERE key_id = ? AND expires_at > ?`,
		[]any{id, formatTime(now)}, func(r *sql.Rows) error {
			var j jwtRow
			var rev sql.NullString
			if err := r.Scan(&j.jti, &j.hash, &j.exp, &rev); err != nil {
				return err
			}
			rows, revoked[j.jti] = append(rows, j), rev
			return nil
		})
	if err != nil {
		return err
	}
	at := formatTime(now)
	earliest := func(a, b sql.NullString) sql.NullString { // NULL is never
		if !a.Valid || (b.Valid && b.String < a.String) {
			return b
		}
		return a
	}
	for _, j := range rows {
		was := revoked[j.jti]
		want := earliest(was, sql.NullString{String: at, Valid: true})
		switch {
		case gone || active == 0:
		case j.hash == hash:
			want = sql.NullString{}
			if expires.Valid && expires.String < j.exp {
				want = expires
			}
		case prevHash.Valid && j.hash == prevHash.String && prevUntil.Valid:
			want = earliest(prevUntil, expires)
		}
		if want == was {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE key_jwts SET revoked_at = ? WHERE jti = ?`, want, j.jti); err != nil {
			return fmt.Errorf("revise key JWT: %w", err)
		}
	}
	return nil
}

// RevokedJWTs lists the JWTs of JWT access keys revoked by now that have
// not expired yet, soonest to expire first. Now is the database's clock,
// the one revocations are written with.
func (db *DB) RevokedJWTs(ctx context.Context) ([]apikey.KeyJWT, error) {
	var out []apikey.KeyJWT
	at := formatTime(db.now())
	err := db.eachRow(ctx, "revoked JWTs", `SELECT jti, key_id, secret_hash, expires_at, revoked_at FROM key_jwts
		WHERE revoked_at IS NOT NULL AND expires_at > ? AND revoked_at <= ? ORDER BY expires_at, jti`, []any{at, at},
		func(rows *sql.Rows) error {
			j, err := scanKeyJWT(rows)
			if err == nil {
				out = append(out, *j)
			}
			return err
		})
	return out, err
}

// KeyJWT returns the JWT of key keyID whose secret has hash; ENOTFOUND for
// JWT access keys made before JWTs were recorded.
func (db *DB) KeyJWT(ctx context.Context, keyID, hash string) (*apikey.KeyJWT, error) {
	j, err := scanKeyJWT(db.reader.QueryRowContext(ctx, `SELECT jti, key_id, secret_hash, expires_at, revoked_at FROM key_jwts
		WHERE key_id = ? AND secret_hash = ?`, keyID, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No JWT is recorded for this key.")
	}
	return j, err
}

func scanKeyJWT(row scanner) (*apikey.KeyJWT, error) {
	var j apikey.KeyJWT
	var exp string
	var rev sql.NullString
	if err := row.Scan(&j.ID, &j.KeyID, &j.SecretHash, &exp, &rev); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("read key JWT: %w", err)
	}
	var err error
	if j.ExpiresAt, err = parseTime(exp); err == nil {
		j.RevokedAt, err = parseTimePtr(rev)
	}
	return &j, err
}

// RegisterEndpoint stores a new endpoint of a key with the hash of the
// credential it was just given, trusted when trustedIfNew; an endpoint
// stored before endpoints had credentials is claimed the same way (its
// name kept). It answers false, changing nothing, when the endpoint exists
// with a credential already: the caller must present that one.
func (db *DB) RegisterEndpoint(ctx context.Context, keyID, endpointID, name, secretHash string, trustedIfNew bool, at time.Time) (bool, error) {
	var stored bool
	err := db.inTx(ctx, func(tx *txn) error {
		// INSERT ... ON CONFLICT DO UPDATE ... WHERE reads the same in SQLite and PostgreSQL.
		res, err := tx.ExecContext(ctx, `INSERT INTO endpoints (key_id, endpoint_id, name, trusted, first_seen_at, last_seen_at, secret_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key_id, endpoint_id) DO UPDATE SET secret_hash = excluded.secret_hash, trusted = excluded.trusted,
				last_seen_at = excluded.last_seen_at
			WHERE endpoints.secret_hash = ''`,
			keyID, endpointID, name, boolInt(trustedIfNew), formatTime(at), formatTime(at), secretHash)
		if err != nil {
			return fmt.Errorf("record endpoint: %w", err)
		}
		n, err := res.RowsAffected()
		stored = n > 0
		return err
	})
	return stored, err
}

// TouchEndpoint records a sign-in from a known endpoint: its last-seen time.
func (db *DB) TouchEndpoint(ctx context.Context, keyID, endpointID string, at time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE endpoints SET last_seen_at = ? WHERE key_id = ? AND endpoint_id = ?`, formatTime(at), keyID, endpointID)
		if err != nil {
			return fmt.Errorf("record endpoint: %w", err)
		}
		return nil
	})
}

// Endpoint returns one endpoint of a key.
func (db *DB) Endpoint(ctx context.Context, keyID, endpointID string) (*apikey.Endpoint, error) {
	return scanEndpoint(db.reader.QueryRowContext(ctx, `SELECT key_id, endpoint_id, name, trusted, secret_hash, first_seen_at, last_seen_at
		FROM endpoints WHERE key_id = ? AND endpoint_id = ?`, keyID, endpointID))
}

// Endpoints lists a key's endpoints, most recently seen first.
func (db *DB) Endpoints(ctx context.Context, keyID string) ([]apikey.Endpoint, error) {
	var out []apikey.Endpoint
	err := db.eachRow(ctx, "endpoints", `SELECT key_id, endpoint_id, name, trusted, secret_hash, first_seen_at, last_seen_at
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
	err := row.Scan(&e.KeyID, &e.EndpointID, &e.Name, &trusted, &e.SecretHash, &first, &last)
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

// AddRefreshToken stores a refresh token, marking the one it replaces
// (oldHash, when given) used in the same transaction: a refresh token works
// once, and its reuse is recognised (RefreshTokenByHash tells UsedAt).
func (db *DB) AddRefreshToken(ctx context.Context, t apikey.RefreshToken, oldHash string, at time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		if oldHash != "" {
			res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, formatTime(at), oldHash)
			if err != nil {
				return fmt.Errorf("rotate refresh token: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apikey.Errorf(apikey.ENOTFOUND, "This refresh token was already used or ended.")
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, user_id, key_id, endpoint_id, chain_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, t.Hash, t.UserID, t.KeyID, t.EndpointID, t.ChainID, formatTime(at), formatTime(t.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store refresh token: %w", err)
		}
		return nil
	})
}

// RefreshTokenByHash returns a stored refresh token, used or not.
func (db *DB) RefreshTokenByHash(ctx context.Context, hash string) (*apikey.RefreshToken, error) {
	var t apikey.RefreshToken
	var exp string
	var used sql.NullString
	err := db.reader.QueryRowContext(ctx, `SELECT token_hash, user_id, key_id, endpoint_id, chain_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = ?`, hash).
		Scan(&t.Hash, &t.UserID, &t.KeyID, &t.EndpointID, &t.ChainID, &exp, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "Unknown refresh token.")
	}
	if err != nil {
		return nil, fmt.Errorf("read refresh token: %w", err)
	}
	if t.ExpiresAt, err = parseTime(exp); err == nil {
		t.UsedAt, err = parseTimePtr(used)
	}
	return &t, err
}

// EndRefreshChain ends every refresh token descending from one sign-in,
// and with them (RefreshChainLive) the access tokens they gave.
func (db *DB) EndRefreshChain(ctx context.Context, chainID string) error {
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE chain_id = ?`, chainID); err != nil {
			return fmt.Errorf("end refresh tokens: %w", err)
		}
		return nil
	})
}

// RefreshChainLive tells whether the sign-in chainID of user userID still
// holds an unused refresh token at now: its access tokens stand only so
// long (a sign-out, a detected reuse, distrusting the endpoint or
// deactivating the user removes them for good).
func (db *DB) RefreshChainLive(ctx context.Context, chainID, userID string, now time.Time) (bool, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM refresh_tokens
		WHERE chain_id = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?`, chainID, userID, formatTime(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read refresh tokens: %w", err)
	}
	return n > 0, nil
}

// DeleteExpiredTokens removes the refresh tokens, used or not, and the
// recorded JWTs of JWT access keys that expired before now: nothing reads
// them any more (an expired JWT is off the revocation list).
func (db *DB) DeleteExpiredTokens(ctx context.Context, now time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		for _, table := range []string{"refresh_tokens", "key_jwts"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, formatTime(now)); err != nil {
				return fmt.Errorf("sweep %s: %w", table, err)
			}
		}
		return nil
	})
}
