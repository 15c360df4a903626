package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"keyconsole/internal/apikey"
)

const userColumns = `id, account_id, username, password_hash, role, active, created_at, created_by, updated_at, last_sign_in_at, version, must_change_password, password_version`

// CreateUser stores u and sets its ID, timestamps and version, with the
// audit event ev (when not nil). A taken username is an ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u *apikey.User, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error { return db.insertUser(ctx, tx, u, ev) })
}

func (db *DB) insertUser(ctx context.Context, tx *txn, u *apikey.User, ev *apikey.AuditEvent) error {
	id := u.ID
	if id == "" {
		var err error
		if id, err = apikey.NewID("usr"); err != nil {
			return err
		}
	}
	now := db.now()
	_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?, 0)`,
		id, u.AccountID, u.Username, u.PasswordHash, string(u.Role), boolInt(u.Active),
		formatTime(now), u.CreatedBy, formatTime(now), boolInt(u.MustChangePassword))
	switch v := db.e.violation(err); {
	case v.unique("users_username_unique"):
		return apikey.Errorf(apikey.ECONFLICT, "The username %q is taken.", u.Username)
	case v.foreignKey():
		return apikey.Errorf(apikey.ENOTFOUND, "The account does not exist.")
	case err != nil:
		return fmt.Errorf("insert user: %w", err)
	}
	if err := insertUserScopes(ctx, tx, id, u.RoleAccounts); err != nil {
		return err
	}
	if ev != nil {
		ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldRole, nil, apikey.GrantOf(u.Grant()))}
	}
	if err := db.audit(ctx, tx, ev, u.AccountID, id, u.Username); err != nil {
		return err
	}
	u.ID, u.CreatedAt, u.UpdatedAt, u.Version = id, now, now, 1
	return nil
}

// CreateFirstUser stores u, as CreateUser does, only when the database
// has no user yet, and tells whether it did: of several instances starting
// at once on an empty database, exactly one makes the first admin.
func (db *DB) CreateFirstUser(ctx context.Context, u *apikey.User, ev *apikey.AuditEvent) (bool, error) {
	created := false
	err := db.inTx(ctx, func(tx *txn) error {
		created = false
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if n > 0 {
			return nil
		}
		if err := db.insertUser(ctx, tx, u, ev); err != nil {
			return err
		}
		created = true
		return nil
	})
	if apikey.ErrorCode(err) == apikey.ECONFLICT {
		// Another instance's first user took the name in between.
		return false, nil
	}
	return created, err
}

func insertUserScopes(ctx context.Context, tx *txn, id string, accounts []string) error {
	if err := checkScopeAccounts(ctx, tx, accounts); err != nil {
		return err
	}
	for _, a := range accounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_role_accounts (user_id, account_id) VALUES (?, ?)`, id, a); err != nil {
			return fmt.Errorf("store user scope: %w", err)
		}
	}
	return nil
}

// CountUsers counts every user, active or not.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// User returns the user with id.
func (db *DB) User(ctx context.Context, id string) (*apikey.User, error) {
	return db.oneUser(ctx, `WHERE id = ?`, id)
}

// UserByName returns the user with the (lower-cased) username.
func (db *DB) UserByName(ctx context.Context, username string) (*apikey.User, error) {
	return db.oneUser(ctx, `WHERE username = ?`, username)
}

// ListUsers returns a page of the users q selects, by username, and how
// many there are.
func (db *DB) ListUsers(ctx context.Context, q apikey.UserQuery) ([]*apikey.User, int, error) {
	if len(q.AccountIDs) == 0 {
		return nil, 0, nil
	}
	per := q.PerPage
	if per <= 0 {
		per = apikey.DefaultPerPage
	}
	where, args := ` WHERE account_id IN (`+placeholders(len(q.AccountIDs))+`)`, make([]any, 0, len(q.AccountIDs)+2)
	for _, a := range q.AccountIDs {
		args = append(args, a)
	}
	var accounts int
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&accounts); err != nil {
		return nil, 0, fmt.Errorf("count accounts: %w", err)
	}
	if len(q.AccountIDs) >= accounts {
		// Every account (the root's page): by username along its index.
		where, args = "", args[:0]
	}
	var total int
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	args = append(args, per, (max(q.Page, 1)-1)*per)
	users, err := db.queryUsers(ctx, `SELECT `+userColumns+` FROM users`+where+` ORDER BY username LIMIT ? OFFSET ?`, args...)
	return users, total, err
}

// Users lists every user by username.
func (db *DB) Users(ctx context.Context) ([]*apikey.User, error) {
	return db.queryUsers(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
}

func (db *DB) oneUser(ctx context.Context, where string, arg any) (*apikey.User, error) {
	users, err := db.queryUsers(ctx, `SELECT `+userColumns+` FROM users `+where, arg)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such user.")
	}
	return users[0], nil
}

func (db *DB) queryUsers(ctx context.Context, query string, args ...any) ([]*apikey.User, error) {
	var users []*apikey.User
	byID := map[string]*apikey.User{}
	err := db.eachRow(ctx, "users", query, args, func(rows *sql.Rows) error {
		var u apikey.User
		var role, created, updated string
		var active, mustChange int
		var lastSignIn sql.NullString
		if err := rows.Scan(&u.ID, &u.AccountID, &u.Username, &u.PasswordHash, &role, &active,
			&created, &u.CreatedBy, &updated, &lastSignIn, &u.Version, &mustChange, &u.PasswordVersion); err != nil {
			return err
		}
		u.Role, u.Active, u.MustChangePassword = apikey.Role(role), active != 0, mustChange != 0
		var err error
		if u.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		if u.UpdatedAt, err = parseTime(updated); err != nil {
			return err
		}
		if u.LastSignInAt, err = parseTimePtr(lastSignIn); err != nil {
			return err
		}
		users = append(users, &u)
		byID[u.ID] = &u
		return nil
	})
	if err != nil || len(users) == 0 {
		return users, err
	}
	// Scopes of a page by id; of many users, all of them (an IN list that
	// long would pass the engines' limits on parameters).
	query, ids := `SELECT user_id, account_id FROM user_role_accounts ORDER BY user_id, account_id`, []any(nil)
	if len(users) <= 500 {
		ids = make([]any, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		query = `SELECT user_id, account_id FROM user_role_accounts WHERE user_id IN (` + placeholders(len(ids)) + `) ORDER BY user_id, account_id`
	}
	err = db.eachRow(ctx, "user scopes", query, ids, func(rows *sql.Rows) error {
		var id, account string
		if err := rows.Scan(&id, &account); err != nil {
			return err
		}
		if u := byID[id]; u != nil {
			u.RoleAccounts = append(u.RoleAccounts, account)
		}
		return nil
	})
	return users, err
}

// errLastAdmin refuses a change that would leave nobody able to administer.
var errLastAdmin = apikey.Errorf(apikey.ECONFLICT, "At least one active Global Admin must remain; make another user Global Admin first.")

// SetUserRole changes a user's role and scope, with the audit event ev
// (when not nil). Taking the role from the last active Global Admin is
// refused; the check runs inside the write transaction, so two admins
// demoting each other at once cannot both succeed.
func (db *DB) SetUserRole(ctx context.Context, id string, role apikey.Role, accounts []string, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		before, err := userInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if role != apikey.RoleGlobalAdmin {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET role = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			string(role), formatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("update user role: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_role_accounts WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("update user scope: %w", err)
		}
		if err := insertUserScopes(ctx, tx, id, accounts); err != nil {
			return err
		}
		if ev != nil {
			ev.Changes = nil // this may be a retry
			ch := apikey.NewChange(apikey.FieldRole, apikey.GrantOf(before.Grant()), apikey.GrantOf(apikey.RoleGrant{Role: role, Accounts: accounts}))
			if !bytes.Equal(ch.From, ch.To) {
				ev.Changes = []apikey.Change{ch}
			}
		}
		return db.audit(ctx, tx, ev, before.AccountID, id, before.Username)
	})
}

// userInTx reads what the audit trail says of a user (account, name, role
// and scope) inside a write transaction.
func userInTx(ctx context.Context, tx *txn, id string) (*apikey.User, error) {
	u := &apikey.User{ID: id}
	var role string
	err := tx.QueryRowContext(ctx, `SELECT account_id, username, role FROM users WHERE id = ?`, id).Scan(&u.AccountID, &u.Username, &role)
	u.Role = apikey.Role(role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apikey.Errorf(apikey.ENOTFOUND, "No such user.")
	}
	if err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT account_id FROM user_role_accounts WHERE user_id = ? ORDER BY account_id`, id)
	if err != nil {
		return nil, fmt.Errorf("read user scope: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("read user scope: %w", err)
		}
		u.RoleAccounts = append(u.RoleAccounts, a)
	}
	return u, rows.Err()
}

// SetUserActive switches a user on or off, with the audit event ev (when
// not nil). Switching off ends every session and refresh token of the user
// and is refused for the last active Global Admin.
func (db *DB) SetUserActive(ctx context.Context, id string, active bool, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		before, err := userInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !active {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
			for _, table := range []string{"sessions", "refresh_tokens"} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE user_id = ?`, id); err != nil {
					return fmt.Errorf("end sessions: %w", err)
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET active = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			boolInt(active), formatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		return db.audit(ctx, tx, ev, before.AccountID, id, before.Username)
	})
}

// SetUserPassword stores a new password hash for user id, with the audit
// event ev: mustChange holds the user at the password page until they
// choose their own. It ends every session of the user but the one whose id
// hashes to keepSession ("" for none), and every refresh token; the
// password's version moves on, which ends the user access tokens issued
// before.
func (db *DB) SetUserPassword(ctx context.Context, id, hash string, mustChange bool, keepSession string, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		before, err := userInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		var mustBefore int
		if err := tx.QueryRowContext(ctx, `SELECT must_change_password FROM users WHERE id = ?`, id).Scan(&mustBefore); err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		if ev != nil {
			ev.Changes = nil // this may be a retry
			if (mustBefore != 0) != mustChange {
				ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldMustChangePassword, mustBefore != 0, mustChange)}
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`, id, keepSession); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("end refresh tokens: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = ?,
			password_version = password_version + 1, updated_at = ?, version = version + 1 WHERE id = ?`,
			hash, boolInt(mustChange), formatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("update password: %w", err)
		}
		return db.audit(ctx, tx, ev, before.AccountID, id, before.Username)
	})
}

// DeleteUser removes user id, their scope, sessions and tokens (the
// foreign keys cascade), with the audit event ev (when not nil). Removing
// the last active Global Admin is refused inside the transaction, as a
// demotion is.
func (db *DB) DeleteUser(ctx context.Context, id string, ev *apikey.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		before, err := userInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if ev != nil {
			ev.Changes = []apikey.Change{apikey.NewChange(apikey.FieldRole, apikey.GrantOf(before.Grant()), nil)}
		}
		return db.audit(ctx, tx, ev, before.AccountID, id, before.Username)
	})
}

// keepAnAdmin fails when user id is the only active Global Admin.
func keepAnAdmin(ctx context.Context, tx *txn, id string) error {
	var others, self int
	err := tx.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN id <> ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN id = ? THEN 1 ELSE 0 END), 0)
		FROM users WHERE role = ? AND active = 1`, id, id, string(apikey.RoleGlobalAdmin)).Scan(&others, &self)
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if self == 1 && others == 0 {
		return errLastAdmin
	}
	return nil
}

// RecordSignIn notes a successful sign-in.
func (db *DB) RecordSignIn(ctx context.Context, id string, at time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET last_sign_in_at = ? WHERE id = ?`, formatTime(at), id)
		if err != nil {
			return fmt.Errorf("record sign-in: %w", err)
		}
		return nil
	})
}
