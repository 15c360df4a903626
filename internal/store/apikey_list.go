package store

import (
	"context"
	"fmt"
	"strings"

	"keyconsole/internal/apikey"
)

// ListKeys returns the page of keys q selects.
func (db *DB) ListKeys(ctx context.Context, q apikey.KeyQuery) (apikey.KeyPage, error) {
	page := apikey.KeyPage{Page: max(q.Page, 1), PerPage: q.PerPage}
	if page.PerPage <= 0 {
		page.PerPage = apikey.DefaultPerPage
	}
	if len(q.AccountIDs) == 0 {
		return page, nil
	}
	where, args := keyFilter(q)
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`+where, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("count keys: %w", err)
	}
	offset := (page.Page - 1) * page.PerPage
	if q.Offset > 0 {
		offset = q.Offset
	}
	args = append(args, page.PerPage, offset)
	keys, err := db.queryKeys(ctx, `SELECT `+keyColumns+` FROM api_keys`+where+` ORDER BY `+keyOrder(q.Sort)+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return page, err
	}
	page.Keys = keys
	return page, nil
}

func keyFilter(q apikey.KeyQuery) (string, []any) {
	var conds []string
	var args []any
	conds = append(conds, "account_id IN ("+placeholders(len(q.AccountIDs))+")")
	for _, id := range q.AccountIDs {
		args = append(args, id)
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		conds = append(conds, `search_fold LIKE ? ESCAPE '\'`)
		args = append(args, likeContains(s))
	}
	if q.Type != "" {
		conds = append(conds, "type = ?")
		args = append(args, string(q.Type))
	}
	now := formatTime(q.Now)
	switch q.Status {
	case apikey.StatusActive:
		conds = append(conds, "active = 1 AND (expires_at IS NULL OR expires_at > ?)")
		args = append(args, now)
	case apikey.StatusInactive:
		conds = append(conds, "active = 0")
	case apikey.StatusExpired:
		conds = append(conds, "active = 1 AND expires_at <= ?")
		args = append(args, now)
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// keyOrder maps a sort order to SQL. Keys that never expire or were never used
// sort last either way; the id breaks ties so pages never overlap.
func keyOrder(sort string) string {
	dir := "ASC"
	if strings.HasPrefix(sort, "-") {
		dir, sort = "DESC", sort[1:]
	}
	nullsLast := func(col string) string {
		return "CASE WHEN " + col + " IS NULL THEN 1 ELSE 0 END, " + col + " " + dir
	}
	switch sort {
	case apikey.SortByCreated:
		return "created_at " + dir + ", id"
	case apikey.SortByExpires:
		return nullsLast("expires_at") + ", name_fold, id"
	case apikey.SortByLastUsed:
		return nullsLast("last_used_at") + ", name_fold, id"
	}
	return "name_fold " + dir + ", id"
}
