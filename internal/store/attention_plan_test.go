package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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
			count := explainSQLite(t, db, keyCountQuery(where), append(args, 1001)...)
			plans := map[string]string{"count": count}
			for _, order := range []string{"", "-" + apikey.SortByCreated, apikey.SortByExpires, apikey.SortByLastUsed} {
				plans["page "+order] = explainSQLite(t, db, db.keyPageQuery(where, order, false), append(args, 50, 0)...)
			}
			for what, plan := range plans {
				if !strings.Contains(plan, want[rule]) || strings.Contains(plan, "SCAN api_keys") {
					t.Errorf("%s %s (%d accounts): %s", rule, what, len(accounts), plan)
				}
			}
			// The unused keys are counted from their index alone (SQLite
			// computes the indexed COALESCE from the index itself).
			if rule == apikey.AttentionUnused && !strings.Contains(count, "COVERING INDEX "+want[rule]) {
				t.Errorf("%s count (%d accounts) reads the keys' rows: %s", rule, len(accounts), count)
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

// On PostgreSQL, with statistics, the planner picks the same indexes by
// itself: no rule reads the account's keys one by one.
func TestAttentionPlansOnPostgres(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	acc := newAccounts(t, db, "Big")[0]
	loadKeys(t, db, 20_000, func(i int) *apikey.Key {
		used, soon := now.Add(-time.Hour), now.Add(3*24*time.Hour)
		k := bulkKey(fmt.Sprintf("key_a_%05d", i), acc, fmt.Sprintf("Key %05d", i), *now)
		k.DisplayPrefix, k.LastUsedAt = fmt.Sprintf("kc_g_%05x", i), &used
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
		if i%2000 == 0 { // a few of each rule's keys
			k.ExpiresAt, k.LastUsedAt, k.Predefined, k.AccessType = &soon, nil, true, apikey.AccessJWT
			k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}
		}
		return k
	})
	if err := db.Settle(ctx); err != nil { // statistics, and the visibility map autovacuum would set
		t.Fatal(err)
	}
	explain := func(query string, args ...any) string {
		t.Helper()
		rows, err := db.reader.QueryContext(ctx, `EXPLAIN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		return strings.Join(plan, "\n")
	}
	for _, rule := range apikey.Attentions {
		q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{acc}, Attention: rule, Now: *now}}
		db.decideIndex(&q)
		where, args := keyFilter(q)
		for what, plan := range map[string]string{
			"count": explain(keyCountQuery(where), append(args, 1001)...),
			"page":  explain(db.keyPageQuery(where, "", false), append(args, 50, 0)...),
		} {
			if strings.Contains(plan, "Seq Scan on api_keys") || !strings.Contains(plan, "Index") {
				t.Errorf("%s %s:\n%s", rule, what, plan)
			}
			// The unused keys are counted from their index alone.
			if rule == apikey.AttentionUnused && what == "count" && !strings.Contains(plan, "Index Only Scan using api_keys_account_active_unused") {
				t.Errorf("%s count reads the keys' rows:\n%s", rule, plan)
			}
		}
	}
}

// A rule that finds many keys has its pages read along the list's order
// (testing each key) rather than sorting them all: the same keys, in the
// same order, as a sort would give.
func TestAttentionListOfManyKeys(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.DSN(t))
	ctx := context.Background()
	acc := newAccounts(t, db, "Many")[0]
	var want []string
	loadKeys(t, db, 2*attentionSortMax, func(i int) *apikey.Key { // two in three of them found: more than attentionSortMax
		k := bulkKey(fmt.Sprintf("key_m_%05d", i), acc, fmt.Sprintf("Key %05d", (i*7919)%100_000), *now)
		k.DisplayPrefix, k.CreatedAt, k.Active = fmt.Sprintf("kc_g_%05x", i), now.Add(time.Duration(i)*time.Second), i%3 != 0
		if k.Active {
			want = append(want, k.Name)
		}
		return k
	})
	slices.Sort(want)
	for _, order := range []string{"", "-" + apikey.SortByName} {
		page, err := db.ListKeys(ctx, apikey.KeyQuery{AccountIDs: []string{acc}, Attention: apikey.AttentionUnused, Now: *now, Sort: order, Page: 3})
		if err != nil {
			t.Fatal(err)
		}
		exp := slices.Clone(want)
		if order != "" {
			slices.Reverse(exp)
		}
		var got []string
		for _, k := range page.Keys {
			got = append(got, k.Name)
		}
		// Counted as far as the attention panel counts.
		if page.Total != apikey.AttentionCountCap || !page.MoreThan || !slices.Equal(got, exp[100:150]) {
			t.Errorf("order %q: total %d (more than: %v; want more than %d), page 3 %v", order, page.Total, page.MoreThan, apikey.AttentionCountCap, got)
		}
	}
	// Inherited by an account below, the same keys are read along the
	// list's order there too, and merged with its own.
	child := &apikey.Account{ParentID: acc, Name: "Below"}
	if err := db.CreateAccount(ctx, child); err != nil {
		t.Fatal(err)
	}
	newKey(t, db, child.ID, "Key 50000.5")
	q := apikey.KeyQuery{AccountIDs: []string{child.ID, acc}, Attention: apikey.AttentionUnused, Now: *now, Page: 3, PerPage: 50}
	got, truth := pageAndTruth(t, db, q)
	if ids(got.Keys) != ids(truth.Keys) || len(got.Keys) != 50 || got.Total != apikey.AttentionCountCap+1 || !got.MoreThan {
		t.Errorf("below: total %d (more than: %v), page 3\n got %s\nwant %s", got.Total, got.MoreThan, ids(got.Keys), ids(truth.Keys))
	}
	if db.e.name() == "sqlite" {
		kq := keyQuery{KeyQuery: q}
		db.decideIndex(&kq)
		parts, _, err := db.byAccountCounted(ctx, kq, attentionSortMax+1)
		if err != nil {
			t.Fatal(err)
		}
		query, args := db.mergedPageQuery(parts, "", 150)
		// The many found above are read in order, not sorted, and merged
		// with the few of the account's own.
		plan := explainSQLite(t, db, query, append(args, 50, 100)...)
		_, above, _ := strings.Cut(plan, "RIGHT; ")
		above, _, ok := strings.Cut(above, "SCAN page")
		if !ok || !strings.HasPrefix(above, "SEARCH api_keys USING INDEX api_keys_account_name_status") || strings.Contains(above, "TEMP B-TREE") {
			t.Errorf("below: %s", plan)
		}
	}
	// And the plan reads along the order's index, sorting nothing.
	if db.e.name() == "sqlite" {
		for order, index := range orderIndexes {
			q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{acc}, Attention: apikey.AttentionUnused, Now: *now}, indexHint: db.e.useIndex(index)}
			where, args := keyFilter(q)
			if plan := explainSQLite(t, db, db.keyPageQuery(where, order, false), append(args, 50, 0)...); strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("order %s: %s", order, plan)
			}
		}
	}
}
