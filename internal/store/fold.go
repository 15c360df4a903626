package store

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/text/cases"
)

// fold is the case-blind form of a name, made in Go for both engines:
// SQL's LOWER() folds only ASCII in SQLite and follows the collation in
// PostgreSQL, so "Ärzte" and "ärzte" would differ by engine.
func fold(s string) string { return cases.Fold().String(s) }

// searchFold is what a key's search matches: its name and display prefix.
func searchFold(name, prefix string) string { return fold(name) + "\n" + fold(prefix) }

// likeContains is a LIKE pattern for folded text holding s.
func likeContains(s string) string { return "%" + escapeLike(fold(strings.TrimSpace(s))) + "%" }

// globContains is a GLOB pattern for folded text holding s: GLOB, unlike
// LIKE with ESCAPE, is served by SQLite's trigram index.
func globContains(s string) string {
	return "*" + strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`).Replace(fold(strings.TrimSpace(s))) + "*"
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// refoldNames fills the fold columns of a database made before they were
// folded in Go. Names that fold alike under one parent (possible while
// only ASCII was folded) get a number appended, so the new unique
// constraints hold.
func refoldNames(ctx context.Context, tx *txn) error {
	type row struct{ id, scope, name, extra string }
	read := func(query string) ([]row, error) {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.scope, &r.name, &r.extra); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	for _, t := range []struct{ read, write string }{
		{`SELECT id, COALESCE(parent_id, ''), name, '' FROM accounts ORDER BY created_at, id`, `UPDATE accounts SET name = ?, name_fold = ? WHERE id = ?`},
		{`SELECT id, account_id, name, display_prefix FROM api_keys ORDER BY created_at, id`, `UPDATE api_keys SET name = ?, name_fold = ?, search_fold = ? WHERE id = ?`},
	} {
		rows, err := read(t.read)
		if err != nil {
			return fmt.Errorf("refold: %w", err)
		}
		seen := map[string]bool{}
		for _, r := range rows {
			name := r.name
			for n := 2; seen[r.scope+"\x00"+fold(name)]; n++ {
				name = fmt.Sprintf("%s (%d)", r.name, n)
			}
			seen[r.scope+"\x00"+fold(name)] = true
			args := []any{name, fold(name), r.id}
			if strings.HasPrefix(t.write, "UPDATE api_keys") {
				args = []any{name, fold(name), searchFold(name, r.extra), r.id}
			}
			if _, err := tx.ExecContext(ctx, t.write, args...); err != nil {
				return fmt.Errorf("refold: %w", err)
			}
		}
	}
	return refoldAudit(ctx, tx)
}

// refoldAudit fills the audit trail's fold columns in batches by id.
func refoldAudit(ctx context.Context, tx *txn) error {
	type row struct{ id, actor, target string }
	last := ""
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, actor_name, target_name FROM audit_events WHERE id > ? ORDER BY id LIMIT 2000`, last)
		if err != nil {
			return fmt.Errorf("refold audit: %w", err)
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.actor, &r.target); err != nil {
				rows.Close()
				return fmt.Errorf("refold audit: %w", err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("refold audit: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET actor_name_fold = ?, target_name_fold = ? WHERE id = ?`,
				fold(r.actor), fold(r.target), r.id); err != nil {
				return fmt.Errorf("refold audit: %w", err)
			}
		}
		last = batch[len(batch)-1].id
	}
}
