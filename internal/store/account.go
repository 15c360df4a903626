package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"keyconsole/internal/apikey"
)

// RootAccountName is the name of the account a fresh database starts with.
const RootAccountName = "Root"

// ensureRootAccount gives an empty database its root account.
func (db *DB) ensureRootAccount(ctx context.Context) error {
	return db.inTx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
			return fmt.Errorf("count accounts: %w", err)
		}
		if n > 0 {
			return nil
		}
		// The unique index accounts_one_root refuses a second root should
		// another instance have made one in between.
		return insertAccount(ctx, tx, &apikey.Account{Name: RootAccountName, CreatedAt: db.now()})
	})
}

// CreateAccount stores a new account under a.ParentID and sets a.ID.
func (db *DB) CreateAccount(ctx context.Context, a *apikey.Account) error {
	return db.CreateAccountWithKeys(ctx, a, nil, nil, nil)
}

// CreateAccountWithKeys stores a new account and its first keys in one
// transaction, the account with its audit event ev and each key with its
// own (keyEvents[i] for keys[i]); nil events are not recorded.
func (db *DB) CreateAccountWithKeys(ctx context.Context, a *apikey.Account, ev *apikey.AuditEvent, keys []*apikey.Key, keyEvents []*apikey.AuditEvent) error {
	a.CreatedAt = db.now()
	return db.inTx(ctx, func(tx *txn) error {
		if err := insertAccount(ctx, tx, a); err != nil {
			return err
		}
		if err := db.audit(ctx, tx, ev, a.ID, a.ID, a.Name); err != nil {
			return err
		}
		for i, k := range keys {
			k.AccountID = a.ID
			var kev *apikey.AuditEvent
			if i < len(keyEvents) {
				kev = keyEvents[i]
			}
			if err := db.insertKey(ctx, tx, k, kev); err != nil {
				return err
			}
		}
		return nil
	})
}

// accountUse counts what keeps an account where it is: its keys but the
// predefined ones (those belong to it and go with it), its users and its
// sub-accounts.
func accountUse(ctx context.Context, q queryer, id string) (apikey.AccountUse, error) {
	var u apikey.AccountUse
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM api_keys WHERE account_id = ? AND predefined = 0),
		(SELECT COUNT(*) FROM users WHERE account_id = ?),
		(SELECT COUNT(*) FROM accounts WHERE parent_id = ?)`, id, id, id).Scan(&u.Keys, &u.Users, &u.Children)
	if err != nil {
		return u, fmt.Errorf("count account contents: %w", err)
	}
	return u, nil
}

// subtreeUse counts the keys (but the predefined ones, which stay with
// their accounts) and users of an account and every account below it:
// moving any of them changes who can reach them.
func subtreeUse(ctx context.Context, tx *txn, id string) (apikey.AccountUse, error) {
	var u apikey.AccountUse
	err := tx.QueryRowContext(ctx, subtree+` SELECT
			(SELECT COUNT(*) FROM api_keys WHERE account_id IN (SELECT id FROM down) AND predefined = 0),
			(SELECT COUNT(*) FROM users WHERE account_id IN (SELECT id FROM down))`, id).Scan(&u.Keys, &u.Users)
	if err != nil {
		return u, fmt.Errorf("count sub-account contents: %w", err)
	}
	return u, nil
}

// subtree names "down": an account and every account below it.
const subtree = `WITH RECURSIVE down (id) AS (
			SELECT id FROM accounts WHERE id = ?
			UNION ALL
			SELECT a.id FROM accounts a JOIN down ON a.parent_id = down.id
		)`

// AccountUses counts the contents of the accounts ids: keys up to one past
// countCap (an account of 200,000 keys then costs what one of 10,000
// does), users and sub-accounts in full.
func (db *DB) AccountUses(ctx context.Context, ids []string) (map[string]apikey.AccountUse, error) {
	out := map[string]apikey.AccountUse{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		var n int
		if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM api_keys WHERE account_id = ? LIMIT ?) capped`,
			id, countCap+1).Scan(&n); err != nil {
			return nil, fmt.Errorf("count keys: %w", err)
		}
		out[id] = apikey.AccountUse{Keys: n}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := placeholders(len(ids))
	for _, q := range []struct {
		sql string
		add func(*apikey.AccountUse, int)
	}{
		{`SELECT account_id, COUNT(*) FROM users WHERE account_id IN (` + in + `) GROUP BY account_id`, func(u *apikey.AccountUse, n int) { u.Users = n }},
		{`SELECT parent_id, COUNT(*) FROM accounts WHERE parent_id IN (` + in + `) GROUP BY parent_id`, func(u *apikey.AccountUse, n int) { u.Children = n }},
	} {
		err := db.eachRow(ctx, "account contents", q.sql, args, func(rows *sql.Rows) error {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			u := out[id]
			q.add(&u, n)
			out[id] = u
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// inUse explains why an account with contents cannot be moved or deleted.
func inUse(name string, u apikey.AccountUse, what string) error {
	return apikey.Errorf(apikey.ECONFLICT, "%s cannot be %s: it still has %s. Move or delete them first.", name, what, contents(u, what == "deleted"))
}

// contents says what an account holds, e.g. "1 key and 2 users".
func contents(u apikey.AccountUse, withChildren bool) string {
	var parts []string
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	if u.Keys > 0 {
		parts = append(parts, plural(u.Keys, "key", "keys"))
	}
	if u.Users > 0 {
		parts = append(parts, plural(u.Users, "user", "users"))
	}
	if u.Children > 0 && withChildren {
		parts = append(parts, plural(u.Children, "sub-account", "sub-accounts"))
	}
	return strings.Join(parts, " and ")
}

// DeleteAccount removes an account with the audit event ev (when not
// nil): one with keys of its own, users or sub-accounts, or the root, is
// refused with what is in the way. Its predefined keys go with it, in the
// same transaction, only when withPredefined says the admin saw them
// listed; each removal is recorded for the caches and audited with
// keyEvent() (when not nil). It returns the keys removed.
func (db *DB) DeleteAccount(ctx context.Context, id string, withPredefined bool, ev *apikey.AuditEvent, keyEvent func() *apikey.AuditEvent) ([]*apikey.Key, error) {
	var gone []*apikey.Key
	err := db.inTx(ctx, func(tx *txn) error {
		a, keys, err := db.deletable(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(keys) > 0 && !withPredefined {
			return apikey.Errorf(apikey.ECONFLICT, "Deleting %s also deletes its predefined keys (%s): confirm that on its delete page.", a.Name, keyNames(keys))
		}
		for _, k := range keys {
			if err := db.removeKey(ctx, tx, k, a.ID, keyEvent); err != nil {
				return err
			}
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete account: %w", err)
		}
		if ev != nil && len(keys) > 0 {
			ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldDeletedKeys, keyNameList(keys), nil)}
		}
		gone = keys
		return db.audit(ctx, tx, ev, a.ParentID, a.ID, a.Name)
	})
	return gone, err
}

// removeKey deletes key k of account accountID inside tx, recorded for the
// caches and audited with event() (when not nil).
func (db *DB) removeKey(ctx context.Context, tx *txn, k *apikey.Key, accountID string, event func() *apikey.AuditEvent) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, k.ID); err != nil {
		return fmt.Errorf("delete key %s: %w", k.ID, err)
	}
	if err := db.keyChanged(ctx, tx, k.ID, nil); err != nil {
		return err
	}
	var ev *apikey.AuditEvent
	if event != nil {
		ev = event()
	}
	return db.audit(ctx, tx, ev, accountID, k.ID, k.Name)
}

// AccountDeletion tells what deleting account id would take with it (its
// predefined keys), or why it cannot be deleted, as DeleteAccount would.
func (db *DB) AccountDeletion(ctx context.Context, id string) ([]*apikey.Key, error) {
	_, keys, err := db.deletable(ctx, db.reader, id)
	return keys, err
}

// deletable reads account id and its predefined keys (id, name and
// secret hashes), or says why it cannot be deleted.
func (db *DB) deletable(ctx context.Context, q queryer, id string) (*apikey.Account, []*apikey.Key, error) {
	a, err := db.scanAccount(q.QueryRowContext(ctx, `SELECT id, parent_id, name, created_at FROM accounts WHERE id = ?`, id))
	if err != nil {
		return nil, nil, err
	}
	if a.ParentID == "" {
		return nil, nil, apikey.Errorf(apikey.ECONFLICT, "The root account cannot be deleted.")
	}
	u, err := accountUse(ctx, q, id)
	if err != nil {
		return nil, nil, err
	}
	if u.Keys > 0 || u.Users > 0 || u.Children > 0 {
		return nil, nil, inUse(a.Name, u, "deleted")
	}
	var keys []*apikey.Key
	err = eachRowOf(ctx, q, "predefined keys", `SELECT id, name, secret_hash, COALESCE(previous_secret_hash, '') FROM api_keys
		WHERE account_id = ? AND predefined = 1 ORDER BY name_fold`, []any{id}, func(rows *sql.Rows) error {
		k := &apikey.Key{AccountID: id, Predefined: true}
		keys = append(keys, k)
		return rows.Scan(&k.ID, &k.Name, &k.SecretHash, &k.PreviousSecretHash)
	})
	return a, keys, err
}

// keyNames lists keys by name, for a message.
func keyNames(keys []*apikey.Key) string {
	return strings.Join(keyNameList(keys), ", ")
}

// keyNameList is the names of keys: what the audit trail keeps of keys
// deleted with their account.
func keyNameList(keys []*apikey.Key) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	return names
}

// MoveAccount puts an account under another parent, with the audit event
// ev (when not nil). An account (or one below it) with users or keys of
// its own is refused (they would change who can reach them); predefined
// keys belong to their account and move with it. A move under itself or
// its own sub-accounts is refused too.
func (db *DB) MoveAccount(ctx context.Context, id, parentID string, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		a, err := db.scanAccount(tx.QueryRowContext(ctx, `SELECT id, parent_id, name, created_at FROM accounts WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if a.ParentID == "" {
			return apikey.Errorf(apikey.ECONFLICT, "The root account cannot be moved.")
		}
		own, err := accountUse(ctx, tx, id)
		if err != nil {
			return err
		}
		if own.Keys > 0 || own.Users > 0 {
			return inUse(a.Name, own, "moved")
		}
		below, err := subtreeUse(ctx, tx, id)
		if err != nil {
			return err
		}
		if below.Keys > 0 || below.Users > 0 {
			return apikey.Errorf(apikey.ECONFLICT, "%s cannot be moved: its sub-accounts still have %s. Move or delete them first.", a.Name, contents(below, false))
		}
		var cycle int
		err = tx.QueryRowContext(ctx, accountsUp(`(SELECT id FROM accounts WHERE id = ?)`)+` SELECT COUNT(*) FROM up WHERE id = ?`,
			parentID, id).Scan(&cycle)
		if err != nil {
			return fmt.Errorf("check move: %w", err)
		}
		if cycle > 0 {
			return apikey.FieldErrorf(apikey.EINVALID, "parent_id", "An account cannot move under itself or one of its sub-accounts.")
		}
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET parent_id = ? WHERE id = ?`, parentID, id)
		switch v := tx.e.violation(err); {
		case v.unique("accounts_name_unique"):
			return apikey.Errorf(apikey.ECONFLICT, "%s cannot be moved there: an account of that name is there already.", a.Name)
		case v.foreignKey():
			return apikey.FieldErrorf(apikey.ENOTFOUND, "parent_id", "The new parent account does not exist.")
		}
		if err != nil {
			return fmt.Errorf("move account: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apikey.Errorf(apikey.ENOTFOUND, "No such account.")
		}
		if ev != nil {
			ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldParentID, a.ParentID, parentID)}
		}
		return db.audit(ctx, tx, ev, a.ID, a.ID, a.Name)
	})
}

// accountName is the name of an account in the transaction; its errors
// matter (a failed read aborts a PostgreSQL transaction that could retry).
func accountName(ctx context.Context, tx *txn, id string) (string, error) {
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM accounts WHERE id = ?`, id).Scan(&name); err != nil {
		return "", fmt.Errorf("read account name: %w", err)
	}
	return name, nil
}

func insertAccount(ctx context.Context, tx *txn, a *apikey.Account) error {
	id, err := apikey.NewID("acc")
	if err != nil {
		return err
	}
	var parent any
	if a.ParentID != "" {
		parent = a.ParentID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO accounts (id, parent_id, name, name_fold, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, parent, a.Name, fold(a.Name), formatTime(a.CreatedAt))
	switch v := tx.e.violation(err); {
	case v.unique("accounts_name_unique"):
		// Pickers and switchers show accounts by name.
		return apikey.FieldErrorf(apikey.ECONFLICT, "name", "There is already an account named %q there; choose another name.", a.Name)
	case v.unique("accounts_one_root"):
		return apikey.Errorf(apikey.ECONFLICT, "There is already a root account.")
	case v.foreignKey():
		return apikey.FieldErrorf(apikey.ENOTFOUND, "parent_id", "The parent account does not exist.")
	}
	if err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	a.ID = id
	return nil
}

// RootAccount returns the account without a parent (a unique index keeps it one).
func (db *DB) RootAccount(ctx context.Context) (*apikey.Account, error) {
	return db.scanAccount(db.reader.QueryRowContext(ctx,
		`SELECT id, parent_id, name, created_at FROM accounts WHERE parent_id IS NULL ORDER BY created_at, id LIMIT 1`))
}

// Account returns the account with id.
func (db *DB) Account(ctx context.Context, id string) (*apikey.Account, error) {
	return db.scanAccount(db.reader.QueryRowContext(ctx,
		`SELECT id, parent_id, name, created_at FROM accounts WHERE id = ?`, id))
}

// Accounts lists every account, parents before children where created earlier.
func (db *DB) Accounts(ctx context.Context) ([]apikey.Account, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, parent_id, name, created_at FROM accounts ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []apikey.Account
	for rows.Next() {
		a, err := db.scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// AccountsVersion is the number every change to the accounts moves on
// (triggers of migration 0029, PostgreSQL's 0021).
func (db *DB) AccountsVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.reader.QueryRowContext(ctx, `SELECT version FROM accounts_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("accounts version: %w", err)
	}
	return v, nil
}

type scanner interface{ Scan(dest ...any) error }

func (db *DB) scanAccount(row scanner) (*apikey.Account, error) {
	var a apikey.Account
	var parent sql.NullString
	var created string
	err := row.Scan(&a.ID, &parent, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such account.")
	}
	if err != nil {
		return nil, fmt.Errorf("read account: %w", err)
	}
	a.ParentID = parent.String
	if a.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("read account %s: %w", a.ID, err)
	}
	return &a, nil
}

// PredefinedKeys lists the predefined keys of an account.
func (db *DB) PredefinedKeys(ctx context.Context, accountID string) ([]*apikey.Key, error) {
	return db.queryKeys(ctx, predefinedKeysQuery(db.e), accountID)
}

// predefinedKeysQuery reads an account's predefined keys: a handful among
// its many keys, along their own index.
func predefinedKeysQuery(e engine) string {
	return `SELECT ` + keyColumns + ` FROM api_keys` + e.useIndex("api_keys_predefined") +
		` WHERE account_id = ? AND predefined = 1 ORDER BY name_fold`
}

// checkScopeAccounts refuses an Account Viewer scope that names accounts
// that do not exist: a mistyped id would grant a scope that sees nothing.
func checkScopeAccounts(ctx context.Context, tx *txn, ids []string) error {
	var missing []string
	for _, id := range ids {
		if id == apikey.AllAccounts {
			continue
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, id).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			missing = append(missing, "“"+id+"”")
		case err != nil:
			return fmt.Errorf("check scope account %s: %w", id, err)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return apikey.FieldErrorf(apikey.EINVALID, "role_accounts", "There is no account %s.", missing[0])
	}
	return apikey.FieldErrorf(apikey.EINVALID, "role_accounts", "There are no accounts %s.", strings.Join(missing, ", "))
}
