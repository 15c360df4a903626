package store

import (
	"context"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// Each order of an account's keys is read along an index, never sorted
// whole: with 200,000 keys in one account, a sort is what made pages slow.
// (SQLite's plan; PostgreSQL's planner picks by table size, and the same
// indexes serve it.)
func TestKeyListPlansUseIndexes(t *testing.T) {
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	ctx := context.Background()
	now := db.now()
	for _, order := range []string{"", "-name", apikey.SortByCreated, "-" + apikey.SortByCreated, apikey.SortByExpires, apikey.SortByLastUsed} {
		for _, q := range []apikey.KeyQuery{
			{AccountIDs: []string{"acc_x"}, Sort: order, Now: now},
			{AccountIDs: []string{"acc_x"}, Sort: order, Type: apikey.TypeGeneral, Status: apikey.StatusActive, Now: now},
		} {
			where, args := keyFilter(q)
			rows, err := db.reader.QueryContext(ctx, `EXPLAIN QUERY PLAN `+keyPageQuery(where, order), append(args, 50, 0)...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			text := strings.Join(plan, "; ")
			if !strings.Contains(text, "USING INDEX") && !strings.Contains(text, "USING COVERING INDEX") || strings.Contains(text, "TEMP B-TREE") {
				t.Errorf("order %q, filter %v: %s", order, q.Type != "", text)
			}
		}
	}
}

// An account's predefined keys, counted on every page of its list, are
// found along their own index, not among all the account's keys.
func TestPredefinedKeysPlanUsesItsIndex(t *testing.T) {
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	var id, parent, unused int
	var detail string
	err := db.reader.QueryRowContext(context.Background(), `EXPLAIN QUERY PLAN `+predefinedKeysQuery(db.e), "acc_x").
		Scan(&id, &parent, &unused, &detail)
	if err != nil || !strings.Contains(detail, "api_keys_predefined") {
		t.Fatalf("plan %q %v", detail, err)
	}
}
