package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"keyconsole/internal/apikey"
)

// DefaultPerPage is the list's page size.
const DefaultPerPage = 50

// KeyQuery selects a page of keys.
type KeyQuery struct {
	AccountIDs []string // keys of these accounts; empty selects none
	Search     string   // part of the name or of the display prefix
	Type       apikey.Type
	Status     apikey.Status
	Sort       string // one of apikey.SortOrders, optionally prefixed with "-"
	Page       int    // from 1
	PerPage    int
	Offset     int       // when set, rows to skip, instead of Page
	Now        time.Time // decides which keys count as expired
}

// KeyPage is one page of the list and the total it was cut from.
type KeyPage struct {
	Keys    []*apikey.Key
	Total   int
	Page    int
	PerPage int
}

// Pages is the number of pages the total fills (at least 1).
func (p KeyPage) Pages() int {
	if p.Total == 0 || p.PerPage == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// ListKeys returns the page of keys q selects.
func (db *DB) ListKeys(ctx context.Context, q KeyQuery) (KeyPage, error) {
	page := KeyPage{Page: max(q.Page, 1), PerPage: q.PerPage}
	if page.PerPage <= 0 {
		page.PerPage = DefaultPerPage
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

func keyFilter(q KeyQuery) (string, []any) {
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
