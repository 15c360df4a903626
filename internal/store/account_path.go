package store

import (
	"context"
	"database/sql"
)

// AccountPath lists the account id and the ids of every account above it,
// nearest first; empty when the account does not exist.
func (db *DB) AccountPath(ctx context.Context, id string) ([]string, error) {
	var path []string
	// WITH RECURSIVE reads the same in SQLite and PostgreSQL.
	err := db.eachRow(ctx, "account path", `WITH RECURSIVE up (id, parent_id, depth) AS (
			SELECT id, parent_id, 0 FROM accounts WHERE id = ?
			UNION ALL
			SELECT a.id, a.parent_id, up.depth + 1 FROM accounts a JOIN up ON a.id = up.parent_id
		) SELECT id FROM up ORDER BY depth`, []any{id}, func(rows *sql.Rows) error {
		var a string
		if err := rows.Scan(&a); err != nil {
			return err
		}
		path = append(path, a)
		return nil
	})
	return path, err
}
