package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
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
	now := db.now()
	for _, order := range listOrders {
		for _, q := range []apikey.KeyQuery{
			{AccountIDs: []string{"acc_x"}, Sort: order, Now: now},
			{AccountIDs: []string{"acc_x"}, Sort: order, Type: apikey.TypeGeneral, Status: apikey.StatusActive, Now: now},
		} {
			text := queryPlan(t, db, keyQuery{KeyQuery: q}, order)
			if !strings.Contains(text, "USING INDEX") && !strings.Contains(text, "USING COVERING INDEX") || strings.Contains(text, "TEMP B-TREE") {
				t.Errorf("order %q, filter %v: %s", order, q.Type != "", text)
			}
			// Below an account with many keys, each account's keys are
			// read along its index and merged as they come; only the
			// page's own rows are sorted.
			q.AccountIDs = []string{"acc_x", "acc_up", "acc_top"}
			query, args := db.mergedPageQuery(byAccount(keyQuery{KeyQuery: q}), order, 550)
			text = explainSQLite(t, db, query, append(args, 50, 500)...)
			if branches := mergedBranch.FindAllString(text, -1); len(branches) != 3 || strings.Count(text, "MERGE (UNION ALL)") != 2 || strings.Count(text, "TEMP B-TREE") != 1 {
				t.Errorf("merged, order %q, filter %v: %s", order, q.Type != "", text)
			}
		}
	}
}

// listOrders are the orders of the keys list, each way.
var listOrders = []string{"", "-name", apikey.SortByCreated, "-" + apikey.SortByCreated, apikey.SortByExpires,
	"-" + apikey.SortByExpires, apikey.SortByLastUsed, "-" + apikey.SortByLastUsed}

// mergedBranch is an account's part of a merged page in SQLite's plan,
// read along one of the indexes of an account's keys, in order.
var mergedBranch = regexp.MustCompile(`(LEFT|RIGHT); SEARCH api_keys USING (COVERING )?INDEX api_keys_account_\w+ \(account_id=\?[^)]*\)`)

// queryPlan is SQLite's plan for a page of the keys q selects, in order.
func queryPlan(t *testing.T, db *DB, q keyQuery, order string) string {
	t.Helper()
	where, args := keyFilter(q)
	return explainSQLite(t, db, db.keyPageQuery(where, order, q.search.scans()), append(args, 50, 0)...)
}

// A search narrow enough for the trigram index finds its keys there, and
// the page reads just those by id, not every key of the account.
func TestKeySearchPlanUsesTrigramIndex(t *testing.T) {
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	var id, parent, unused int
	var detail string
	err := db.reader.QueryRowContext(context.Background(), `EXPLAIN QUERY PLAN `+db.e.keySearchIndex(), "*berlin*").
		Scan(&id, &parent, &unused, &detail)
	if err != nil || !strings.Contains(detail, "VIRTUAL TABLE INDEX 0:G") { // the GLOB handed to FTS5
		t.Errorf("search plan %q %v", detail, err)
	}
	search, err := db.searchKeys(context.Background(), "Berlin", []string{"acc_x"}, "")
	if err != nil || !search.drives {
		t.Fatalf("a search finding nothing is not read along the index: %+v %v", search, err)
	}
	q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{"acc_x"}, Search: "Berlin", Now: db.now()}, search: search}
	if text := queryPlan(t, db, q, ""); !strings.Contains(text, "sqlite_autoindex_api_keys_1") || strings.Contains(text, "api_keys_account") {
		t.Errorf("page plan: %s", text)
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

// On PostgreSQL a search of a large account is found along the pg_trgm
// index, and each order of the list along its own, by the planner's own
// choice once the table has statistics.
func TestKeyListPlansOnPostgres(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	accs := newAccounts(t, db, "Big", "Below")
	acc, below := accs[0], accs[1]
	loadKeys(t, db, 20_000, func(i int) *apikey.Key {
		k := bulkKey(fmt.Sprintf("key_p_%05d", i), acc, fmt.Sprintf("Key %05d", i), *now)
		k.DisplayPrefix = fmt.Sprintf("kc_g_%05x", i*7919)
		return k
	})
	if _, err := db.writer.ExecContext(ctx, `ANALYZE api_keys`); err != nil {
		t.Fatal(err)
	}
	explain := func(q keyQuery, order string) string {
		t.Helper()
		where, args := keyFilter(q)
		var plan []string
		rows, err := db.reader.QueryContext(ctx, `EXPLAIN `+db.keyPageQuery(where, order, false), append(args, 50, 500)...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			rows.Scan(&line)
			plan = append(plan, line)
		}
		return strings.Join(plan, "\n")
	}
	// A name's part, and a display prefix (whose head every key shares).
	for _, term := range []string{"3a7f1", "KC_G_3A7F1"} {
		search, err := db.searchKeys(ctx, term, []string{acc}, "")
		if err != nil {
			t.Fatal(err)
		}
		if text := explain(keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{acc}, Now: *now}, search: search}, ""); !strings.Contains(text, "api_keys_search") {
			t.Errorf("search plan for %s:\n%s", term, text)
		}
	}
	// And every order of the list is read along an index, never sorted whole.
	for _, order := range listOrders {
		for _, q := range []apikey.KeyQuery{
			{AccountIDs: []string{acc}, Sort: order, Now: *now},
			{AccountIDs: []string{acc}, Sort: order, Type: apikey.TypeGeneral, Status: apikey.StatusActive, Now: *now},
		} {
			// The page's ids come along an index, in order (with the
			// vacuumed table of a real database, index-only: the rows
			// skipped are not read); only the page's own rows, found by
			// id, are sorted, at the top.
			text := explain(keyQuery{KeyQuery: q}, order)
			sorts := strings.Count(text, "Sort  (")
			if !strings.Contains(text, " using api_keys_account_") || sorts > 1 || sorts == 1 && !strings.HasPrefix(text, "Sort  (") {
				t.Errorf("order %q, filter %v:\n%s", order, q.Type != "", text)
			}
			// Merged with the keys of an account above: each account's
			// read along an index, in order, and merged as they come
			// (Merge Append); nothing is sorted but the page's own rows.
			q.AccountIDs = []string{below, acc}
			query, args := db.mergedPageQuery(byAccount(keyQuery{KeyQuery: q}), order, 550)
			text = planOf(t, db, `EXPLAIN `+db.e.rebind(query), append(args, 50, 500)...)
			if !strings.Contains(text, " using api_keys_account_") || strings.Contains(text, "Seq Scan") ||
				!strings.Contains(text, "Merge Append") || largestSort(text) > 50 {
				t.Errorf("merged, order %q, filter %v:\n%s", order, q.Type != "", text)
			}
		}
	}
}

// largestSort is the most rows any Sort of a PostgreSQL plan expects.
func largestSort(plan string) int {
	most := 0
	for _, m := range sortRows.FindAllStringSubmatch(plan, -1) {
		n, _ := strconv.Atoi(m[1])
		most = max(most, n)
	}
	return most
}

var sortRows = regexp.MustCompile(`Sort  \(cost=[0-9.]+ rows=(\d+)`)

// A key's load reads its account's path one parent at a time by primary
// key, never the whole accounts table (which PostgreSQL's planner chose
// for a join once a thousand accounts had statistics).
func TestKeyLoadReadsAccountsByKey(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	var bulk Bulk
	chain := accountChain(&bulk, root(t, db), "acc_plan", 1000, 100, *now) // ten levels deep
	parent := chain[len(chain)-1]
	bulk.Keys = []*apikey.Key{{ID: "key_plan", AccountID: parent, SecretHash: "h", DisplayPrefix: "kc_g_plan", CreatedAt: *now, UpdatedAt: *now,
		CreatedBy: "t", UpdatedBy: "t", Version: 1, Settings: apikey.Settings{Name: "k", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}}
	if err := db.BulkLoad(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	// SQLite's words for a read of accounts by key, and of all of it; then
	// PostgreSQL's.
	explain, byKey, whole := `EXPLAIN QUERY PLAN `, "SEARCH a USING", "SCAN a"
	if storetest.Engine() == "postgres" {
		if _, err := db.writer.ExecContext(ctx, `ANALYZE accounts`); err != nil {
			t.Fatal(err)
		}
		explain, byKey, whole = `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) `, "using accounts_pkey on accounts a", "Seq Scan on accounts"
	}
	for what, q := range map[string]struct {
		sql  string
		args []any
	}{
		"key load":     {db.keyLoadQuery(), []any{"h", "h"}},
		"account path": {accountsUp(`(SELECT id FROM accounts WHERE id = ?)`) + ` SELECT id FROM up`, []any{parent}},
	} {
		if text := planOf(t, db, explain+db.e.rebind(q.sql), q.args...); !strings.Contains(text, byKey) || strings.Contains(text, whole) {
			t.Errorf("%s plan:\n%s", what, text)
		}
	}
	k, err := db.KeyByHash(ctx, "h")
	if err != nil || len(k.AccountPath) != 11 || k.AccountPath[0] != parent || k.AccountPath[10] != root(t, db) {
		t.Fatalf("key's path: %v %v", k.AccountPath, err)
	}
}

// planOf is the plan q's EXPLAIN gives, a line a row (the plan's text is
// each row's last column).
func planOf(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.reader.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&plan, *vals[len(vals)-1].(*any))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// On PostgreSQL a list's statements are planned for their arguments every
// time, never kept prepared: from its sixth run a prepared statement may
// be given one plan for every account, and a search's count in an account
// of one key then read the trigram index's every entry (42 ms against
// 0.4 on the seeded million).
func TestListStatementsArePlannedEachTime(t *testing.T) {
	t.Parallel()
	db, _ := openAt(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	acc := newAccounts(t, db, "Big")[0]
	conn, err := db.reader.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	where, args := keyFilter(keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{acc}, Now: db.now()}})
	for range 7 {
		var n int
		if err := conn.QueryRowContext(ctx, db.e.rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM api_keys`+where+` LIMIT ?) capped`),
			append(args, 10)...).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%capped%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the count is kept prepared: %d statements (%v)", n, err)
	}
}

// A search the trigram index cannot serve (under three characters) is
// matched on the name index's entries, not on every key's row: by name,
// the page's ids and the count are read along the index alone, and only
// the page's own rows are then sorted; in other orders, the few keys found
// along it first are read by id.
func TestShortSearchReadsTheNameIndexAlone(t *testing.T) {
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	ctx := context.Background()
	const index = "USING COVERING INDEX api_keys_account_name_status"
	// By name, the page and its count read that index, matching as they go.
	for _, order := range []string{"", "-name"} {
		search, err := db.searchKeys(ctx, "ab", []string{"acc_x"}, order)
		if err != nil || search.drives {
			t.Fatalf("a two-letter search by %q: %+v %v", order, search, err)
		}
		q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{"acc_x"}, Search: "ab", Now: db.now()}, search: search}
		where, args := keyFilter(q)
		if text := queryPlan(t, db, q, order); !strings.Contains(text, index) || strings.Count(text, "TEMP B-TREE") > 1 {
			t.Errorf("page plan by %q: %s", order, text)
		}
		if text := explainSQLite(t, db, keyCountQuery(where), append(args, 10_001)...); !strings.Contains(text, index) {
			t.Errorf("count plan: %s", text)
		}
	}
	// In any other order, the keys it finds there are read by id: the
	// order's index would read each key's row to match it.
	query, args := db.alongNames([]string{"acc_x"}, nameScan("ab"))
	if text := explainSQLite(t, db, query, append(args, nameMatchCap)...); !strings.Contains(text, index) {
		t.Errorf("search plan: %s", text)
	}
	for _, order := range listOrders[2:] {
		search, err := db.searchKeys(ctx, "ab", []string{"acc_x"}, order)
		if err != nil || !search.drives {
			t.Fatalf("a two-letter search finding nothing, by %q: %+v %v", order, search, err)
		}
		q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{"acc_x"}, Search: "ab", Now: db.now()}, search: search}
		if text := queryPlan(t, db, q, order); !strings.Contains(text, "sqlite_autoindex_api_keys_1") || strings.Contains(text, "api_keys_account") {
			t.Errorf("page plan by %q: %s", order, text)
		}
	}
}
