package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"keyconsole/internal/apikey"
)

const keyColumns = `id, account_id, name, type, access_type, active, allow_unauthenticated,
	allow_untrusted_endpoints, auto_endpoint_trust, expires_at, secret_hash, display_prefix,
	created_at, created_by, updated_at, updated_by, last_used_at, last_used_from, version,
	previous_secret_hash, previous_valid_until, predefined`

// CreateKey stores k, setting its ID (unless set), timestamps and version, and records ev
// (when given) in the same transaction. k.CreatedBy, k.SecretHash and
// k.DisplayPrefix must be set. A name already used in the account is an
// ECONFLICT: the UNIQUE constraint decides, not a prior look-up.
func (db *DB) CreateKey(ctx context.Context, k *apikey.Key, ev *apikey.AuditEvent) error {
	err := db.inTx(ctx, func(tx *txn) error { return db.insertKey(ctx, tx, k, ev) })
	if err == nil {
		k.IssuedJWT = nil // recorded
	}
	return err
}

func (db *DB) insertKey(ctx context.Context, tx *txn, k *apikey.Key, ev *apikey.AuditEvent) error {
	// A JWT access key names its id inside its secret, so the id may come set.
	id := k.ID
	if id == "" {
		var err error
		if id, err = apikey.NewID("key"); err != nil {
			return err
		}
	}
	now := db.now()
	_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`, name_fold, search_fold)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', 1, NULL, NULL, ?, ?, ?)`,
		id, k.AccountID, k.Name, string(k.Type), string(k.AccessType), boolInt(k.Active),
		boolInt(k.AllowUnauthenticated), boolInt(k.AllowUntrustedEndpoints), boolInt(k.AutoEndpointTrust),
		formatTimePtr(k.ExpiresAt), k.SecretHash, k.DisplayPrefix,
		formatTime(now), k.CreatedBy, formatTime(now), k.CreatedBy, boolInt(k.Predefined), fold(k.Name), searchFold(k.Name, k.DisplayPrefix))
	if err != nil {
		return db.keyWriteError(err, k.Name)
	}
	if err := db.claimSecrets(ctx, tx, id, k.Name, k.SecretHash); err != nil {
		return err
	}
	if err := insertKeyChildren(ctx, tx, id, &k.Settings); err != nil {
		return err
	}
	if err := db.keyChanged(ctx, tx, id, k.IssuedJWT); err != nil {
		return err
	}
	if err := db.audit(ctx, tx, ev, k.AccountID, id, k.Name); err != nil {
		return err
	}
	k.ID, k.CreatedAt, k.UpdatedAt, k.UpdatedBy, k.Version = id, now, now, k.CreatedBy, 1
	return nil
}

// UpdateKey saves k's settings (not its name, account or secret) when the
// key is in k.AccountID and k.Version is still the stored version, bumps the version and records ev.
// Otherwise it returns an *apikey.StaleError naming who saved in between.
func (db *DB) UpdateKey(ctx context.Context, k *apikey.Key, ev *apikey.AuditEvent) error {
	now := db.now()
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET type = ?, access_type = ?, active = ?,
			allow_unauthenticated = ?, allow_untrusted_endpoints = ?, auto_endpoint_trust = ?, expires_at = ?,
			updated_at = ?, updated_by = ?, version = version + 1
			WHERE id = ? AND account_id = ? AND version = ?`,
			string(k.Type), string(k.AccessType), boolInt(k.Active),
			boolInt(k.AllowUnauthenticated), boolInt(k.AllowUntrustedEndpoints), boolInt(k.AutoEndpointTrust),
			formatTimePtr(k.ExpiresAt), formatTime(now), k.UpdatedBy, k.ID, k.AccountID, k.Version)
		if err != nil {
			return fmt.Errorf("update key %s: %w", k.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return staleOrMissing(ctx, tx, k.ID, k.AccountID)
		}
		for _, table := range childTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE key_id = ?`, k.ID); err != nil {
				return fmt.Errorf("update key %s: clear %s: %w", k.ID, table, err)
			}
		}
		if err := insertKeyChildren(ctx, tx, k.ID, &k.Settings); err != nil {
			return err
		}
		if err := db.keyChanged(ctx, tx, k.ID, nil); err != nil {
			return err
		}
		return db.audit(ctx, tx, ev, k.AccountID, k.ID, k.Name)
	})
	if err != nil {
		return err
	}
	k.UpdatedAt = now
	k.Version++
	return nil
}

// staleOrMissing explains why an update by id and version touched no row.
func staleOrMissing(ctx context.Context, tx *txn, id, accountID string) error {
	var e apikey.StaleError
	var at string
	err := tx.QueryRowContext(ctx, `SELECT updated_by, updated_at, version FROM api_keys WHERE id = ? AND account_id = ?`, id, accountID).Scan(&e.UpdatedBy, &at, &e.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return apikey.Errorf(apikey.ENOTFOUND, "This key no longer exists.")
	}
	if err != nil {
		return fmt.Errorf("read key %s: %w", id, err)
	}
	if e.UpdatedAt, err = parseTime(at); err != nil {
		return err
	}
	return &e
}

// DeleteKey removes k, scoped to its account so that a caller can never
// remove another account's key by guessing its id, and records ev.
func (db *DB) DeleteKey(ctx context.Context, k *apikey.Key, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ? AND account_id = ?`, k.ID, k.AccountID)
		if err != nil {
			return fmt.Errorf("delete key %s: %w", k.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apikey.Errorf(apikey.ENOTFOUND, "No such key.")
		}
		if err := db.keyChanged(ctx, tx, k.ID, nil); err != nil {
			return err
		}
		return db.audit(ctx, tx, ev, k.AccountID, k.ID, k.Name)
	})
}

// ReplaceSecret gives key k a new secret's hash, display prefix and access
// type, bumps its version and records ev. When previousUntil is set the
// current secret keeps working until then; otherwise it stops at once, and
// so does any earlier secret still in a grace period. It holds only while
// the key is still at k.Version: whoever may regenerate was judged on
// that version (support may not regenerate a key that has since gained
// roles), and of two regenerates at once the second fails rather than
// showing a secret that was overwritten at once.
func (db *DB) ReplaceSecret(ctx context.Context, k *apikey.Key, hash, prefix string, access apikey.AccessType, previousUntil *time.Time, by string, ev *apikey.AuditEvent) error {
	var prevHash any
	kept := []string{hash}
	if previousUntil != nil {
		prevHash = k.SecretHash
		kept = append(kept, k.SecretHash)
	}
	err := db.changeKeyThen(ctx, k, k.IssuedJWT, by, ev, `secret_hash = ?, display_prefix = ?, search_fold = ?, access_type = ?, previous_secret_hash = ?, previous_valid_until = ?`,
		[]any{hash, prefix, searchFold(k.Name, prefix), string(access), prevHash, formatTimePtr(previousUntil)},
		func(tx *txn) error { return db.claimSecrets(ctx, tx, k.ID, k.Name, kept...) }, ` AND version = ?`, k.Version)
	if err == nil {
		k.IssuedJWT = nil // recorded
	}
	return db.changedInBetween(ctx, k, err)
}

// EndGracePeriod stops the previous secret of key k at once, while the key
// is still at k.Version (the version its permission was judged on).
func (db *DB) EndGracePeriod(ctx context.Context, k *apikey.Key, by string, ev *apikey.AuditEvent) error {
	err := db.changeKeyThen(ctx, k, nil, by, ev, `previous_secret_hash = NULL, previous_valid_until = NULL`, nil,
		func(tx *txn) error { return db.claimSecrets(ctx, tx, k.ID, k.Name, k.SecretHash) }, ` AND version = ?`, k.Version)
	return db.changedInBetween(ctx, k, err)
}

// claimSecrets makes hashes the secrets that open key id, and no other: a
// hash that opens another key, as its current secret or one still in a
// grace period, is refused by the primary key of api_key_secrets.
func (db *DB) claimSecrets(ctx context.Context, tx *txn, id, name string, hashes ...string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM api_key_secrets WHERE key_id = ?`, id); err != nil {
		return fmt.Errorf("release secrets of key %s: %w", id, err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_key_secrets (hash, key_id) VALUES (?, ?)`, h, id); err != nil {
			return db.keyWriteError(err, name)
		}
	}
	return nil
}

// SetKeyActive switches key k on or off and records ev; a key already so
// is left alone, with no event (of two switches at once, one writes).
func (db *DB) SetKeyActive(ctx context.Context, k *apikey.Key, active bool, by string, ev *apikey.AuditEvent) error {
	err := db.changeKey(ctx, k, nil, by, ev, `active = ?`, []any{boolInt(active)}, ` AND active <> ?`, boolInt(active))
	if errors.Is(err, errNoRow) {
		return db.keyIn(ctx, k)
	}
	return err
}

// changedInBetween explains a guarded change that matched no row: the key
// is gone, or someone changed it since it was read.
func (db *DB) changedInBetween(ctx context.Context, k *apikey.Key, err error) error {
	if !errors.Is(err, errNoRow) {
		return err
	}
	if err := db.keyIn(ctx, k); err != nil {
		return err
	}
	return apikey.Errorf(apikey.ECONFLICT, "Someone else changed this key at the same moment; nothing was changed. Open the key again to see its state.")
}

// keyIn is ENOTFOUND unless key k is still in its account.
func (db *DB) keyIn(ctx context.Context, k *apikey.Key) error {
	stored, err := db.Key(ctx, k.ID)
	if err == nil && stored.AccountID != k.AccountID {
		return apikey.Errorf(apikey.ENOTFOUND, "No such key.")
	}
	return err
}

// errNoRow is a guarded change that matched no row; callers say why.
var errNoRow = errors.New("no row matched")

// changeKey applies one SET clause to key k where the guard (an extra
// "AND ..." condition, or "") holds, and records ev; errNoRow when no row
// matched.
func (db *DB) changeKey(ctx context.Context, k *apikey.Key, issued *apikey.KeyJWT, by string, ev *apikey.AuditEvent, set string, setArgs []any, guard string, guardArgs ...any) error {
	return db.changeKeyThen(ctx, k, issued, by, ev, set, setArgs, nil, guard, guardArgs...)
}

// changeKeyThen is changeKey running then (when given) in the same
// transaction once the row has changed.
func (db *DB) changeKeyThen(ctx context.Context, k *apikey.Key, issued *apikey.KeyJWT, by string, ev *apikey.AuditEvent, set string, setArgs []any, then func(*txn) error, guard string, guardArgs ...any) error {
	now := db.now()
	return db.inTx(ctx, func(tx *txn) error {
		args := append(append(slices.Clone(setArgs), formatTime(now), by, k.ID, k.AccountID), guardArgs...)
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET `+set+`, updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ? AND account_id = ?`+guard, args...)
		if err != nil {
			return db.keyWriteError(err, k.Name)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoRow
		}
		if then != nil {
			if err := then(tx); err != nil {
				return err
			}
		}
		if err := db.keyChanged(ctx, tx, k.ID, issued); err != nil {
			return err
		}
		return db.audit(ctx, tx, ev, k.AccountID, k.ID, k.Name)
	})
}

// audit records ev, when there is one, for the key, user or account it
// concerns (its target), in the target's account.
func (db *DB) audit(ctx context.Context, tx *txn, ev *apikey.AuditEvent, accountID, targetID, targetName string) error {
	if ev == nil {
		return nil
	}
	ev.AccountID, ev.TargetID, ev.TargetName = accountID, targetID, targetName
	return db.insertAudit(ctx, tx, ev)
}

// Key returns the key with id.
func (db *DB) Key(ctx context.Context, id string) (*apikey.Key, error) {
	return db.oneKey(ctx, `WHERE id = ?`, id)
}

func (db *DB) oneKey(ctx context.Context, where string, arg any) (*apikey.Key, error) {
	keys, err := db.queryKeys(ctx, `SELECT `+keyColumns+` FROM api_keys `+where, arg)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such key.")
	}
	return keys[0], nil
}

// queryKeys runs a SELECT of keyColumns and loads each key's lists.
func (db *DB) queryKeys(ctx context.Context, query string, args ...any) ([]*apikey.Key, error) {
	keys, err := db.queryKeyRows(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	if err := db.loadKeyChildren(ctx, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// queryKeyRows runs a SELECT of keyColumns, without the keys' lists.
func (db *DB) queryKeyRows(ctx context.Context, query string, args ...any) ([]*apikey.Key, error) {
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query keys: %w", err)
	}
	defer rows.Close()
	var keys []*apikey.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query keys: %w", err)
	}
	return keys, nil
}

func scanKey(row scanner) (*apikey.Key, error) { return scanKeyWith(row) }

// scanKeyWith reads keyColumns and then the extra columns into extra.
func scanKeyWith(row scanner, extra ...any) (*apikey.Key, error) {
	var k apikey.Key
	var typ, access, created, updated string
	var active, unauth, untrusted, autoTrust, predefined int
	var expires, lastUsed, prevHash, prevUntil sql.NullString
	dest := []any{&k.ID, &k.AccountID, &k.Name, &typ, &access, &active, &unauth, &untrusted, &autoTrust,
		&expires, &k.SecretHash, &k.DisplayPrefix, &created, &k.CreatedBy, &updated, &k.UpdatedBy,
		&lastUsed, &k.LastUsedFrom, &k.Version, &prevHash, &prevUntil, &predefined}
	err := row.Scan(append(dest, extra...)...)
	if err == sql.ErrNoRows {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	k.Type, k.AccessType = apikey.Type(typ), apikey.AccessType(access)
	k.PreviousSecretHash, k.Predefined = prevHash.String, predefined != 0
	k.Active, k.AllowUnauthenticated = active != 0, unauth != 0
	k.AllowUntrustedEndpoints, k.AutoEndpointTrust = untrusted != 0, autoTrust != 0
	if k.CreatedAt, err = parseTime(created); err == nil {
		if k.UpdatedAt, err = parseTime(updated); err == nil {
			if k.ExpiresAt, err = parseTimePtr(expires); err == nil {
				if k.LastUsedAt, err = parseTimePtr(lastUsed); err == nil {
					k.PreviousValidUntil, err = parseTimePtr(prevUntil)
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", k.ID, err)
	}
	return &k, nil
}

// childTables hold a key's lists; each has a key_id column.
var childTables = []string{"api_key_roles", "api_key_permissions", "api_key_allowed_ips", "api_key_headers"}

func insertKeyChildren(ctx context.Context, tx *txn, id string, s *apikey.Settings) error {
	exec := func(what, query string, args ...any) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("store key %s %s: %w", id, what, err)
		}
		return nil
	}
	for _, g := range s.Roles {
		scopes := g.Accounts
		if g.AllowsAllAccounts() {
			scopes = []string{apikey.AllAccounts}
		} else if err := checkScopeAccounts(ctx, tx, scopes); err != nil {
			return err
		}
		for _, scope := range scopes {
			if err := exec("role", `INSERT INTO api_key_roles (key_id, role, scope) VALUES (?, ?, ?)`, id, string(g.Role), scope); err != nil {
				return err
			}
		}
	}
	for _, p := range s.AdvancedPermissions {
		if err := exec("permission", `INSERT INTO api_key_permissions (key_id, permission) VALUES (?, ?)`, id, p); err != nil {
			return err
		}
	}
	for i, e := range s.AllowedIPs {
		if err := exec("allowed IP", `INSERT INTO api_key_allowed_ips (key_id, position, prefix, source) VALUES (?, ?, ?, ?)`,
			id, i, e.Prefix.String(), e.Source); err != nil {
			return err
		}
	}
	for i, h := range s.ResponseHeaders {
		if err := exec("header", `INSERT INTO api_key_headers (key_id, position, name, value, excluded) VALUES (?, ?, ?, ?, ?)`,
			id, i, h.Name, h.Value, boolInt(h.Excluded)); err != nil {
			return err
		}
	}
	return nil
}

// loadKeyChildren fills the lists of keys (roles, permissions, allowed
// IPs, headers), all four read by one statement: on PostgreSQL a
// statement is a round trip, and one for each list cost a page three
// more. Each row is of one list (kind), in that list's order.
func (db *DB) loadKeyChildren(ctx context.Context, keys []*apikey.Key) error {
	if len(keys) == 0 {
		return nil
	}
	byID := make(map[string]*apikey.Key, len(keys))
	ids := make([]any, len(keys))
	for i, k := range keys {
		byID[k.ID] = k
		ids[i] = k.ID
	}
	in := ` WHERE key_id IN (` + placeholders(len(keys)) + `)`
	query := `SELECT 0 AS kind, key_id, 0 AS pos, role AS a, scope AS b, 0 AS excluded FROM api_key_roles` + in + `
		UNION ALL SELECT 1, key_id, 0, permission, '', 0 FROM api_key_permissions` + in + `
		UNION ALL SELECT 2, key_id, position, prefix, source, 0 FROM api_key_allowed_ips` + in + `
		UNION ALL SELECT 3, key_id, position, name, value, excluded FROM api_key_headers` + in + `
		ORDER BY kind, key_id, pos, a, b`
	args := slices.Concat(ids, ids, ids, ids)
	return db.eachRow(ctx, "key lists", query, args, func(rows *sql.Rows) error {
		var kind, pos, excluded int
		var id, a, b string
		if err := rows.Scan(&kind, &id, &pos, &a, &b, &excluded); err != nil {
			return err
		}
		k := byID[id]
		switch kind {
		case 0:
			if n := len(k.Roles); n > 0 && k.Roles[n-1].Role == apikey.Role(a) {
				k.Roles[n-1].Accounts = append(k.Roles[n-1].Accounts, b)
				return nil
			}
			k.Roles = append(k.Roles, apikey.RoleGrant{Role: apikey.Role(a), Accounts: []string{b}})
		case 1:
			k.AdvancedPermissions = append(k.AdvancedPermissions, a)
		case 2:
			p, err := netip.ParsePrefix(a)
			if err != nil {
				return err
			}
			k.AllowedIPs = append(k.AllowedIPs, apikey.IPEntry{Prefix: p, Source: b})
		case 3:
			k.ResponseHeaders = append(k.ResponseHeaders, apikey.Header{Name: a, Value: b, Excluded: excluded != 0})
		}
		return nil
	})
}

// eachRow runs a read query and calls fn for every row.
func (db *DB) eachRow(ctx context.Context, what, query string, args []any, fn func(*sql.Rows) error) error {
	return eachRowOf(ctx, db.reader, what, query, args, fn)
}

// eachRowIn is eachRow inside the transaction tx.
func (db *DB) eachRowIn(ctx context.Context, tx *txn, what, query string, args []any, fn func(*sql.Rows) error) error {
	return eachRowOf(ctx, tx, what, query, args, fn)
}

func eachRowOf(ctx context.Context, q queryer, what, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("load %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("load %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load %s: %w", what, err)
	}
	return nil
}

// keyWriteError turns a constraint failure into a message for the user.
func (db *DB) keyWriteError(err error, name string) error {
	v := db.e.violation(err)
	switch {
	case v.unique("api_keys_secret_unique", "api_keys_previous_secret", "api_key_secrets_unique"):
		return apikey.FieldErrorf(apikey.EINVALID, "custom_value", "That value is another key's secret, or its previous one in a grace period; choose another.")
	case v.unique():
		return apikey.FieldErrorf(apikey.ECONFLICT, "name", "A key named %q already exists in this account.", name)
	case v.foreignKey():
		return apikey.Errorf(apikey.ENOTFOUND, "The account does not exist.")
	}
	return fmt.Errorf("insert key: %w", err)
}
