package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"keyconsole/internal/apikey"
)

// Bulk is a large amount of data stored at once: the developers' seeding
// command fills databases with it to measure the console at scale. Rows
// go in as given (ids, times and hashes set by the caller), many per
// statement, with no audit event and no key change recorded.
type Bulk struct {
	Accounts []apikey.Account // parents before children
	Keys     []*apikey.Key
	Users    []*apikey.User
	Events   []apikey.AuditEvent
}

// maxParams keeps a statement under both engines' limits on parameters
// (SQLite 32766, PostgreSQL 65535).
const maxParams = 30000

// BulkLoad stores b in one transaction per table.
func (db *DB) BulkLoad(ctx context.Context, b Bulk) error {
	var rows [][]any
	for _, a := range b.Accounts {
		var parent any
		if a.ParentID != "" {
			parent = a.ParentID
		}
		rows = append(rows, []any{a.ID, parent, a.Name, fold(a.Name), formatTime(a.CreatedAt)})
	}
	if err := db.bulkInsert(ctx, "accounts", []string{"id", "parent_id", "name", "name_fold", "created_at"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	var roles, perms, ips, secrets [][]any
	for _, k := range b.Keys {
		secrets = append(secrets, []any{k.SecretHash, k.ID})
		rows = append(rows, []any{k.ID, k.AccountID, k.Name, fold(k.Name), searchFold(k.Name, k.DisplayPrefix), string(k.Type), string(k.AccessType),
			boolInt(k.Active), boolInt(k.AllowUnauthenticated), boolInt(k.AllowUntrustedEndpoints), boolInt(k.AutoEndpointTrust),
			formatTimePtr(k.ExpiresAt), k.SecretHash, k.DisplayPrefix, formatTime(k.CreatedAt), k.CreatedBy,
			formatTime(k.UpdatedAt), k.UpdatedBy, formatTimePtr(k.LastUsedAt), k.Version, boolInt(k.Predefined)})
		for _, g := range k.Roles {
			scopes := g.Accounts
			if g.AllowsAllAccounts() {
				scopes = []string{apikey.AllAccounts}
			}
			for _, s := range scopes {
				roles = append(roles, []any{k.ID, string(g.Role), s})
			}
		}
		for _, p := range k.AdvancedPermissions {
			perms = append(perms, []any{k.ID, p})
		}
		for i, e := range k.AllowedIPs {
			ips = append(ips, []any{k.ID, i, e.Prefix.String(), e.Source})
		}
	}
	err := db.bulkInsert(ctx, "api_keys", []string{"id", "account_id", "name", "name_fold", "search_fold", "type", "access_type",
		"active", "allow_unauthenticated", "allow_untrusted_endpoints", "auto_endpoint_trust",
		"expires_at", "secret_hash", "display_prefix", "created_at", "created_by",
		"updated_at", "updated_by", "last_used_at", "version", "predefined"}, rows)
	if err != nil {
		return err
	}
	if err := db.bulkInsert(ctx, "api_key_secrets", []string{"hash", "key_id"}, secrets); err != nil {
		return err
	}
	if err := db.bulkInsert(ctx, "api_key_roles", []string{"key_id", "role", "scope"}, roles); err != nil {
		return err
	}
	if err := db.bulkInsert(ctx, "api_key_permissions", []string{"key_id", "permission"}, perms); err != nil {
		return err
	}
	if err := db.bulkInsert(ctx, "api_key_allowed_ips", []string{"key_id", "position", "prefix", "source"}, ips); err != nil {
		return err
	}
	rows = rows[:0]
	for _, u := range b.Users {
		rows = append(rows, []any{u.ID, u.AccountID, u.Username, u.PasswordHash, string(u.Role), boolInt(u.Active),
			formatTime(u.CreatedAt), u.CreatedBy, formatTime(u.UpdatedAt), 1})
	}
	err = db.bulkInsert(ctx, "users", []string{"id", "account_id", "username", "password_hash", "role", "active",
		"created_at", "created_by", "updated_at", "version"}, rows)
	if err != nil {
		return err
	}
	if len(b.Events) == 0 {
		return nil
	}
	// The events join the audit chain in the order given, in one transaction.
	return db.inTx(ctx, func(tx *txn) error {
		if err := db.e.queueAudit(ctx, tx); err != nil {
			return err
		}
		var seq int64
		var prev string
		if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
			return err
		}
		rows = rows[:0]
		for i := range b.Events {
			ev := &b.Events[i]
			changes, err := json.Marshal(ev.Changes)
			if err != nil {
				return err
			}
			if ev.Changes == nil {
				changes = []byte("[]")
			}
			seq++
			cols := auditCols(ev, string(changes))
			prev = link(prev, seq, cols[:])
			rows = append(rows, []any{ev.ID, formatTime(ev.At), ev.ActorKind, ev.ActorID, ev.ActorName, fold(ev.ActorName), ev.ClientIP,
				ev.AccountID, ev.TargetID, ev.TargetName, fold(ev.TargetName), ev.Action, string(changes), ev.Reason, seq, prev})
		}
		err := bulkInsertTx(ctx, tx, "audit_events", []string{"id", "at", "actor_kind", "actor_id", "actor_name", "actor_name_fold", "client_ip",
			"account_id", "target_id", "target_name", "target_name_fold", "action", "changes", "reason", "seq", "hash"}, rows)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, seq, prev)
		return err
	})
}

// bulkInsert writes rows into table, as many per statement as the
// parameter limit allows, in one transaction.
func (db *DB) bulkInsert(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *txn) error { return bulkInsertTx(ctx, tx, table, columns, rows) })
}

// bulkInsertTx is bulkInsert inside tx.
func bulkInsertTx(ctx context.Context, tx *txn, table string, columns []string, rows [][]any) error {
	per := max(1, maxParams/len(columns))
	row := "(" + placeholders(len(columns)) + ")"
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*len(columns))
		for _, r := range chunk {
			args = append(args, r...)
		}
		query := `INSERT INTO ` + table + ` (` + strings.Join(columns, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+",", len(chunk)), ",")
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("bulk insert into %s: %w", table, err)
		}
	}
	return nil
}

// Settle readies the database after bulk loads as it would be after a while
// in use (on PostgreSQL: statistics gathered, the visibility map set), so
// that what is measured on a seeded database is what a running one does.
func (db *DB) Settle(ctx context.Context) error {
	tables := []string{"accounts", "api_keys", "api_key_secrets", "api_key_roles", "api_key_permissions", "api_key_allowed_ips", "users", "audit_events"}
	if err := db.e.settle(ctx, db.writer.db, tables); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	return nil
}
