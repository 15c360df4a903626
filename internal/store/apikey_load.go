package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"keyconsole/internal/apikey"
)

// Verification loads a key whole in one statement: its row, its lists
// and its account's path, the lists aggregated as JSON by the engine.
// The statement is prepared once, so the hot path parses no SQL.

// keyLoad holds the prepared statement of KeyByHash.
type keyLoad struct {
	once sync.Once
	stmt *sql.Stmt
	err  error
}

// keyLoadQuery reads the keys whose current or previous secret hashes to
// the one parameter given twice.
func (db *DB) keyLoadQuery() string {
	e := db.e
	var cols []string
	for _, c := range strings.Split(keyColumns, ",") {
		cols = append(cols, "k."+strings.TrimSpace(c))
	}
	one := `SELECT ` + strings.Join(cols, ", ") + `,
		(SELECT ` + e.jsonAgg(e.jsonArray("role", "scope"), "role, scope") + ` FROM api_key_roles WHERE key_id = k.id),
		(SELECT ` + e.jsonAgg("permission", "permission") + ` FROM api_key_permissions WHERE key_id = k.id),
		(SELECT ` + e.jsonAgg(e.jsonArray("prefix", "source"), "position") + ` FROM api_key_allowed_ips WHERE key_id = k.id),
		(SELECT ` + e.jsonAgg(e.jsonArray("name", "value", "excluded"), "position") + ` FROM api_key_headers WHERE key_id = k.id),
		(` + accountsUp("k.account_id") + ` SELECT ` + e.jsonAgg("id", "depth") + ` FROM up WHERE id IS NOT NULL)
		FROM api_keys k WHERE `
	return one + `k.secret_hash = ? UNION ALL ` + one + `k.previous_secret_hash = ?`
}

// KeyByHash returns the key whose secret, or previous secret still in its
// grace period, hashes to hash, with its account's path. (Whether the
// grace period is over is for the caller to judge, against its own clock.)
func (db *DB) KeyByHash(ctx context.Context, hash string) (*apikey.Key, error) {
	db.keyLoad.once.Do(func() {
		db.keyLoad.stmt, db.keyLoad.err = db.reader.db.PrepareContext(context.Background(), db.e.rebind(db.keyLoadQuery()))
	})
	if db.keyLoad.err != nil {
		return nil, fmt.Errorf("prepare key load: %w", db.keyLoad.err)
	}
	row := db.keyLoad.stmt.QueryRowContext(ctx, hash, hash)
	k, err := scanKeyWhole(row)
	if err == sql.ErrNoRows {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such key.")
	}
	return k, err
}

// scanKeyWhole reads a row of keyLoadQuery.
func scanKeyWhole(row scanner) (*apikey.Key, error) {
	var roles, perms, ips, headers, path []byte
	k, err := scanKeyWith(row, &roles, &perms, &ips, &headers, &path)
	if err != nil {
		return nil, err
	}
	var pairs [][2]string
	if err := json.Unmarshal(roles, &pairs); err != nil {
		return nil, fmt.Errorf("read key %s roles: %w", k.ID, err)
	}
	for _, p := range pairs {
		if n := len(k.Roles); n > 0 && k.Roles[n-1].Role == apikey.Role(p[0]) {
			k.Roles[n-1].Accounts = append(k.Roles[n-1].Accounts, p[1])
			continue
		}
		k.Roles = append(k.Roles, apikey.RoleGrant{Role: apikey.Role(p[0]), Accounts: []string{p[1]}})
	}
	if err := json.Unmarshal(perms, &k.AdvancedPermissions); err != nil {
		return nil, fmt.Errorf("read key %s permissions: %w", k.ID, err)
	}
	pairs = pairs[:0]
	if err := json.Unmarshal(ips, &pairs); err != nil {
		return nil, fmt.Errorf("read key %s allowed IPs: %w", k.ID, err)
	}
	for _, p := range pairs {
		prefix, err := netip.ParsePrefix(p[0])
		if err != nil {
			return nil, fmt.Errorf("read key %s allowed IPs: %w", k.ID, err)
		}
		k.AllowedIPs = append(k.AllowedIPs, apikey.IPEntry{Prefix: prefix, Source: p[1]})
	}
	var hs [][3]any
	if err := json.Unmarshal(headers, &hs); err != nil {
		return nil, fmt.Errorf("read key %s headers: %w", k.ID, err)
	}
	for _, h := range hs {
		name, _ := h[0].(string)
		value, _ := h[1].(string)
		excluded, _ := h[2].(float64)
		k.ResponseHeaders = append(k.ResponseHeaders, apikey.Header{Name: name, Value: value, Excluded: excluded != 0})
	}
	if err := json.Unmarshal(path, &k.AccountPath); err != nil {
		return nil, fmt.Errorf("read key %s account path: %w", k.ID, err)
	}
	if len(k.AdvancedPermissions) == 0 {
		k.AdvancedPermissions = nil
	}
	return k, nil
}
