package store

import (
	"context"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// Each attention rule is counted and listed along its own index, never by
// reading every key of the account: the panel counts all six on every
// view of the keys page.
func TestAttentionPlansUseTheirIndexes(t *testing.T) {
	t.Parallel()
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	now := db.now()
	want := map[apikey.Attention]string{
		apikey.AttentionExpiring:          "api_keys_account_active_expires",
		apikey.AttentionUnused:            "api_keys_account_active_unused",
		apikey.AttentionPredefined:        "api_keys_predefined",
		apikey.AttentionAdminUnrestricted: "api_key_roles_role",
		apikey.AttentionIPRefused:         "api_keys_account_ip_refused",
		apikey.AttentionJWTLong:           "api_keys_account_jwt",
	}
	for _, rule := range apikey.Attentions {
		for _, accounts := range [][]string{{"acc_x"}, {"acc_x", "acc_parent"}} {
			q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: accounts, Attention: rule, Now: now}}
			db.decideIndex(&q)
			where, args := keyFilter(q)
			count := explainSQLite(t, db, `SELECT COUNT(*) FROM (SELECT 1 FROM api_keys`+where+` LIMIT ?) capped`, append(args, 1001)...)
			plans := map[string]string{"count": count}
			for _, order := range []string{"", "-" + apikey.SortByCreated, apikey.SortByExpires, apikey.SortByLastUsed} {
				plans["page "+order] = explainSQLite(t, db, db.keyPageQuery(where, order), append(args, 50, 0)...)
			}
			for what, plan := range plans {
				if !strings.Contains(plan, want[rule]) || strings.Contains(plan, "SCAN api_keys") {
					t.Errorf("%s %s (%d accounts): %s", rule, what, len(accounts), plan)
				}
			}
		}
	}
}

// explainSQLite is SQLite's plan for query, its steps joined by "; ".
func explainSQLite(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.reader.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}
