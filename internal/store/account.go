package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"keyconsole/internal/apikey"
)

// RootAccountName is the name of the account a fresh database starts with.
const RootAccountName = "Root"

// ensureRootAccount gives an empty database its root account.
func (db *DB) ensureRootAccount(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
			return fmt.Errorf("count accounts: %w", err)
		}
		if n > 0 {
			return nil
		}
		return insertAccount(ctx, tx, &apikey.Account{Name: RootAccountName, CreatedAt: db.now()})
	})
}

// CreateAccount stores a new account under a.ParentID and sets a.ID.
func (db *DB) CreateAccount(ctx context.Context, a *apikey.Account) error {
	a.CreatedAt = db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error { return insertAccount(ctx, tx, a) })
}

func insertAccount(ctx context.Context, tx *sql.Tx, a *apikey.Account) error {
	id, err := apikey.NewID("acc")
	if err != nil {
		return err
	}
	var parent any
	if a.ParentID != "" {
		parent = a.ParentID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO accounts (id, parent_id, name, created_at) VALUES (?, ?, ?, ?)`,
		id, parent, a.Name, formatTime(a.CreatedAt))
	if isForeignKeyViolation(err) {
		return apikey.Errorf(apikey.ENOTFOUND, "The parent account does not exist.")
	}
	if err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	a.ID = id
	return nil
}

// RootAccount returns the account without a parent (the oldest, should there be several).
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
