package store

import (
	"context"
	"database/sql"
)

// AccountPath lists the account id and the ids of every account above it,
// nearest first; empty when the account does not exist.
func (db *DB) AccountPath(ctx context.Context, id string) ([]string, error) {
	var path []string
	err := db.eachRow(ctx, "account path", accountsUp(`(SELECT id FROM accounts WHERE id = ?)`)+` SELECT id FROM up WHERE id IS NOT NULL ORDER BY depth`,
		[]any{id}, func(rows *sql.Rows) error {
			var a string
			if err := rows.Scan(&a); err != nil {
				return err
			}
			path = append(path, a)
			return nil
		})
	return path, err
}

// accountsUp names "up" (id, depth): the account the SQL expression start
// gives (NULL: none) at depth 0, each account above it, and a last NULL.
// Each step reads one parent by primary key. (A join of accounts to up,
// the usual way, PostgreSQL plans as a hash join over the whole table:
// with a thousand accounts, 0.2 ms of every key's load instead of 0.02.)
// It reads the same in SQLite and PostgreSQL.
func accountsUp(start string) string {
	return `WITH RECURSIVE up (id, depth) AS (
			SELECT ` + start + `, 0
			UNION ALL
			SELECT (SELECT a.parent_id FROM accounts a WHERE a.id = up.id), up.depth + 1 FROM up WHERE up.id IS NOT NULL
		)`
}
