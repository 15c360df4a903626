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

// auditTrail bulk-loads n events, the i-th made by event(i) at a second
// of its own, and returns them as stored.
func auditTrail(t *testing.T, db *DB, now time.Time, n int, event func(i int) apikey.AuditEvent) []apikey.AuditEvent {
	t.Helper()
	events := make([]apikey.AuditEvent, n)
	for i := range events {
		ev := event(i)
		ev.ID, ev.At, ev.ActorKind = fmt.Sprintf("evt_%05d", i), now.Add(time.Duration(i)*time.Second), apikey.PrincipalUser
		events[i] = ev
	}
	if err := db.BulkLoad(context.Background(), Bulk{Events: events}); err != nil {
		t.Fatal(err)
	}
	return events
}

// auditScan is what q selects among events, newest first, by a scan in Go.
func auditScan(events []apikey.AuditEvent, q apikey.AuditQuery) []string {
	has := func(name, part string) bool { return strings.Contains(fold(name), fold(strings.TrimSpace(part))) }
	var out []apikey.AuditEvent
	for _, ev := range events {
		if q.Actor != "" && !has(ev.ActorName, q.Actor) || q.Key != "" && ev.TargetID != q.Key && !has(ev.TargetName, q.Key) ||
			q.Action != "" && ev.Action != q.Action || len(q.Accounts) > 0 && !slices.Contains(q.Accounts, ev.AccountID) ||
			q.From != nil && ev.At.Before(*q.From) || q.To != nil && !ev.At.Before(*q.To) {
			continue
		}
		out = append(out, ev)
	}
	slices.SortFunc(out, func(a, b apikey.AuditEvent) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	ids := make([]string, len(out))
	for i, ev := range out {
		ids[i] = ev.ID
	}
	return ids
}

// Every filter of the audit trail, alone and together, finds what a scan
// of every event finds, page by page and in the export: parts of names in
// any case (along the trigram index on SQLite, where they are three
// characters or more), a target's exact id, LIKE's and GLOB's own
// characters taken as themselves, a rare action.
func TestAuditFiltersMatchAScan(t *testing.T) {
	db, now := openTest(t)
	ctx := context.Background()
	defer func(n int) { auditBatch = n }(auditBatch)
	auditBatch = 7 // the export's batches each start where the last ended, whatever drives the read
	actors := []string{"Anna Schmidt", "Ärzte Admin", "bob_smith", "100% sure", "star*name", "q?mark [x]", "User 0001"}
	accounts := []string{"acc_a", "acc_b", "acc_c"}
	events := auditTrail(t, db, *now, 300, func(i int) apikey.AuditEvent {
		action := apikey.ActionKeyUpdated
		if i%97 == 0 {
			action = apikey.ActionUserDeactivated
		}
		return apikey.AuditEvent{ActorName: actors[i%len(actors)], AccountID: accounts[i%len(accounts)],
			TargetID: fmt.Sprintf("key_%04d", i%40), TargetName: fmt.Sprintf("Key %04d", i%40), Action: action}
	})
	from, to := now.Add(50*time.Second), now.Add(200*time.Second)
	var queries []apikey.AuditQuery
	for _, actor := range []string{"anna", "ANNA SCH", "ärzte", "ÄRZTE", "an", "b", "_sm", "100%", "r*n", "?mark [", "nobody here", " user 00 "} {
		queries = append(queries, apikey.AuditQuery{Actor: actor})
	}
	for _, key := range []string{"key_0007", "KEY 0007", "0007", "ey 00", "y_0", "nothing"} {
		queries = append(queries, apikey.AuditQuery{Key: key})
	}
	queries = append(queries,
		apikey.AuditQuery{Action: apikey.ActionUserDeactivated},
		apikey.AuditQuery{Actor: "anna", Key: "key 000"},
		apikey.AuditQuery{Actor: "smith", Action: apikey.ActionUserDeactivated},
		apikey.AuditQuery{Actor: "admin", Accounts: []string{"acc_b", "acc_c"}},
		apikey.AuditQuery{Key: "key_0012", From: &from, To: &to},
		apikey.AuditQuery{Actor: "sure", Key: "0003", Accounts: []string{"acc_a"}, From: &from},
		// Several accounts, each read along its own index and merged.
		apikey.AuditQuery{Accounts: []string{"acc_a", "acc_b"}},
		apikey.AuditQuery{Accounts: []string{"acc_c", "acc_a", "acc_b"}, Action: apikey.ActionKeyUpdated, From: &from, To: &to},
		apikey.AuditQuery{Actor: "an", Accounts: []string{"acc_a", "acc_c"}},
		apikey.AuditQuery{Accounts: []string{"acc_b", "acc_gone"}, To: &to},
	)
	for _, q := range queries {
		want := auditScan(events, q)
		var listed []string
		for page := 1; page == 1 || len(listed) < len(want); page++ {
			q.Page, q.PerPage = page, 7
			got, total, err := db.ListAudit(ctx, q)
			if err != nil || total != len(want) || len(got) == 0 && len(want) > 0 {
				t.Fatalf("%+v: %d events, total %d, want %d: %v", q, len(got), total, len(want), err)
			}
			for _, ev := range got {
				listed = append(listed, ev.ID)
			}
		}
		q.Page, q.PerPage = 0, 0
		var exported []string
		err := db.EachAudit(ctx, q, func(ev apikey.AuditEvent) error {
			if exported = append(exported, ev.ID); len(exported) > len(want) {
				return fmt.Errorf("more events exported than match")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if !slices.Equal(listed, want) || !slices.Equal(exported, want) {
			t.Errorf("%+v:\nlisted   %v\nexported %v\nwant     %v", q, listed, exported, want)
		}
	}
}

// Pages of several accounts' events, merged, hold every event once in
// order where events of different accounts share their time, across the
// pages' edges.
func TestAuditPagesOfAccountsWithTies(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	accounts := []string{"acc_a", "acc_b", "acc_c"}
	events := make([]apikey.AuditEvent, 60)
	for i := range events {
		events[i] = apikey.AuditEvent{ID: fmt.Sprintf("evt_%02d", (i*37)%60), At: now.Add(time.Duration(i/3) * time.Second), // three a second
			ActorKind: apikey.PrincipalUser, ActorName: "anna", AccountID: accounts[i%3], TargetID: "key_1", TargetName: "Key 1",
			Action: []string{apikey.ActionKeyUpdated, apikey.ActionKeyCreated}[i/2%2]}
	}
	if err := db.BulkLoad(ctx, Bulk{Events: events}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []apikey.AuditQuery{{Accounts: accounts}, {Accounts: accounts[1:], Action: apikey.ActionKeyCreated}} {
		want := auditScan(events, q)
		var listed []string
		for page := 1; len(listed) < len(want) && page < 20; page++ {
			q.Page, q.PerPage = page, 7
			got, _, err := db.ListAudit(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range got {
				listed = append(listed, ev.ID)
			}
		}
		if !slices.Equal(listed, want) {
			t.Errorf("%+v:\nlisted %v\nwant   %v", q, listed, want)
		}
	}
}

// A name part more common than the count's cap is matched along the
// events' time: the first page is the newest matches, and the total says
// "more than" without counting them; with another filter it is counted.
func TestAuditNameFilterOfACommonPart(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	n := apikey.AuditCountCap + 60
	events := auditTrail(t, db, *now, n, func(i int) apikey.AuditEvent {
		account := "acc_a"
		if i%10 == 0 {
			account = "acc_b"
		}
		first := map[bool]string{true: " first"}[i < apikey.AuditCountCap]
		return apikey.AuditEvent{ActorName: fmt.Sprintf("Common actor %05d%s", i, first), AccountID: account,
			TargetID: "key_a", TargetName: "k", Action: apikey.ActionKeyUpdated}
	})
	for _, c := range []struct {
		q     apikey.AuditQuery
		total int
	}{
		{apikey.AuditQuery{Actor: "common"}, apikey.AuditCountCap + 1},
		{apikey.AuditQuery{Actor: "common", Accounts: []string{"acc_b"}}, (n + 9) / 10},
		{apikey.AuditQuery{Actor: "actor 0999"}, 10},
		{apikey.AuditQuery{Actor: "first"}, apikey.AuditCountCap}, // as many as the cap: counted, not "more than"
	} {
		c.q.Page, c.q.PerPage = 2, 50
		got, total, err := db.ListAudit(ctx, c.q)
		want := auditScan(events, c.q)
		if err != nil || total != c.total || len(got) != min(50, max(len(want)-50, 0)) {
			t.Fatalf("%+v: %d events, total %d, want %d: %v", c.q, len(got), total, c.total, err)
		}
		for i, ev := range got {
			if ev.ID != want[50+i] {
				t.Fatalf("%+v: event %d is %s, want %s", c.q, 50+i, ev.ID, want[50+i])
			}
		}
	}
}

// On SQLite, the events a name part finds along the trigram index drive
// the page's read (by their place in the chain), whatever else filters
// it; a target's id is read along its index, and an action along its own.
func TestAuditFilterPlansUseIndexes(t *testing.T) {
	t.Parallel()
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	ctx := context.Background()
	var id, parent, unused int
	var detail string
	err := db.reader.QueryRowContext(ctx, `EXPLAIN QUERY PLAN `+db.e.auditSearchIndex("actor"), "*anna*", 10).
		Scan(&id, &parent, &unused, &detail)
	if err != nil || !strings.Contains(detail, "VIRTUAL TABLE INDEX 0:G") { // the GLOB handed to FTS5
		t.Errorf("search plan %q %v", detail, err)
	}
	from := db.now()
	for _, c := range []struct {
		q             apikey.AuditQuery
		want, refused string
	}{
		{apikey.AuditQuery{Actor: "anna"}, "INDEX audit_events_seq", "SCAN audit_events"},
		{apikey.AuditQuery{Actor: "anna", Accounts: []string{"acc_a"}, Action: apikey.ActionKeyUpdated, From: &from}, "INDEX audit_events_seq", "audit_events_a"},
		{apikey.AuditQuery{Key: "key_0001"}, "USING INDEX audit_events_key (target_id=?)", "SCAN audit_events"},
		{apikey.AuditQuery{Action: apikey.ActionUserDeactivated}, "audit_events_action_at", "TEMP B-TREE"},
		// An action in an account: not every event of the action.
		{apikey.AuditQuery{Action: apikey.ActionKeyUpdated, Accounts: []string{"acc_a"}}, "audit_events_account_action_at (account_id=? AND action=?)", "TEMP B-TREE"},
	} {
		q, err := db.auditQuery(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		where, args := auditFilter(q, nil)
		for _, query := range []string{auditColumns + where + ` ORDER BY at DESC, id DESC LIMIT 50`, `SELECT COUNT(*) FROM (SELECT 1 FROM audit_events` + where + ` LIMIT 10001)`} {
			if text := explainSQLite(t, db, query, args...); !strings.Contains(text, c.want) || strings.Contains(text, c.refused) {
				t.Errorf("%+v: %s", c.q, text)
			}
		}
	}
}

// auditPageOf is the query of in's page and its filter's, with their
// arguments, as ListAudit makes them.
func auditPageOf(t *testing.T, db *DB, in apikey.AuditQuery) (page string, pageArgs []any, where string, args []any) {
	t.Helper()
	q, err := db.auditQuery(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	where, args = auditFilter(q, nil)
	page, pageArgs = db.auditPageQuery(q, where, args)
	return page, pageArgs, where, args
}

// A page of the events of several accounts is read along each account's
// index and merged, the page's rows read alone: no event of theirs before
// the page is sorted (SQLite).
func TestAuditPagesOfAccountsAreMerged(t *testing.T) {
	t.Parallel()
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	from := db.now()
	for _, c := range []struct {
		q    apikey.AuditQuery
		want string
	}{
		{apikey.AuditQuery{Accounts: []string{"acc_a", "acc_b"}}, "COVERING INDEX audit_events_account_at (account_id=?)"},
		{apikey.AuditQuery{Accounts: []string{"acc_a", "acc_b"}, From: &from}, "COVERING INDEX audit_events_account_at (account_id=? AND at>?)"},
		{apikey.AuditQuery{Accounts: []string{"acc_a", "acc_b"}, Action: apikey.ActionKeyUpdated}, "COVERING INDEX audit_events_account_action_at (account_id=? AND action=?)"},
	} {
		c.q.Page, c.q.PerPage = 100, 50
		query, args, _, _ := auditPageOf(t, db, c.q)
		// The page's own rows, and they alone, are sorted.
		text := explainSQLite(t, db, query, args...)
		merge, _, _ := strings.Cut(text[strings.Index(text, "MERGE (UNION ALL)")+1:], "SCAN page")
		if !strings.Contains(text, "MERGE (UNION ALL)") || strings.Count(merge, c.want) != 2 || strings.Contains(merge, "TEMP B-TREE") {
			t.Errorf("%+v:\n%s", c.q, text)
		}
	}
}

// On PostgreSQL, with statistics, the planner reads the trigram indexes
// and the action's indexes by itself, and a page of a part most events
// have along the events' time.
func TestAuditFilterPlansOnPostgres(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	auditTrail(t, db, *now, 20_000, func(i int) apikey.AuditEvent {
		action := apikey.ActionKeyUpdated
		if i%5000 == 0 {
			action = apikey.ActionUserDeactivated
		}
		return apikey.AuditEvent{ActorName: fmt.Sprintf("user %05d", i%2000), AccountID: fmt.Sprintf("acc_%02d", i%20),
			TargetID: fmt.Sprintf("key_%05d", i), TargetName: fmt.Sprintf("Key %05d", i), Action: action}
	})
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    apikey.AuditQuery
		want []string
	}{
		{apikey.AuditQuery{Actor: "user 01234"}, []string{"audit_events_actor_trgm"}},
		{apikey.AuditQuery{Key: "key 01234"}, []string{"audit_events_key", "audit_events_target_trgm"}},
		{apikey.AuditQuery{Action: apikey.ActionUserDeactivated}, []string{"audit_events_action_at"}},
		// Below an account: the trigram index asked once, not for each account.
		{apikey.AuditQuery{Actor: "user 01234", Accounts: []string{"acc_01", "acc_02", "acc_03"}}, []string{"audit_events_actor_trgm"}},
	} {
		c.q.Page, c.q.PerPage = 1, 50
		page, pageArgs, where, args := auditPageOf(t, db, c.q)
		for i, text := range []string{planOf(t, db, `EXPLAIN `+db.e.rebind(page), pageArgs...),
			planOf(t, db, `EXPLAIN `+db.e.rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM audit_events`+where+` LIMIT 10001) c`), args...)} {
			for _, index := range c.want {
				if !strings.Contains(text, index) || strings.Contains(text, "Seq Scan") || i == 0 && strings.Count(text, "_trgm") > 1 {
					t.Errorf("%+v:\n%s", c.q, text)
				}
			}
		}
	}
	// A deep page's ids along an index, none sorted; several accounts'
	// each along the account's index, merged.
	for _, c := range []struct {
		q     apikey.AuditQuery
		want  string
		times int
	}{
		{apikey.AuditQuery{}, "Index Only Scan Backward using audit_events_at_id", 1},
		{apikey.AuditQuery{Accounts: []string{"acc_01", "acc_02"}}, "audit_events_account_at", 2},
	} {
		c.q.Page, c.q.PerPage = 20, 50
		query, args, _, _ := auditPageOf(t, db, c.q)
		if text := planOf(t, db, `EXPLAIN `+db.e.rebind(query), args...); strings.Count(text, c.want) != c.times || largestSort(text) > 1000 {
			t.Errorf("%+v:\n%s", c.q, text)
		}
	}
	// A part most events have: the page is read along the time index,
	// not sorted whole (the count may read the table: it stops at the cap).
	q, err := db.auditQuery(ctx, apikey.AuditQuery{Actor: "user 0"})
	if err != nil {
		t.Fatal(err)
	}
	where, args := auditFilter(q, nil)
	if text := planOf(t, db, `EXPLAIN `+db.e.rebind(auditColumns+where+` ORDER BY at DESC, id DESC LIMIT 50`), args...); !strings.Contains(text, "audit_events_at") || largestSort(text) > 1000 {
		t.Errorf("a common part's page:\n%s", text)
	}
}

// On PostgreSQL, with a trail big enough for the planner to weigh its
// indexes: a page of an action in big accounts, and its count, are read
// along the account's and action's index, not the account's events tested
// one by one; and a part of a name under three characters is not asked of
// a trigram index, which cannot find it.
func TestAuditPlansOfABigTrailOnPostgres(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	// Stored out of time order, so that the planner's choice is by the
	// index's selectivity, not by how well the time order follows the
	// table's.
	const n = 100_000
	actions := []string{apikey.ActionKeyCreated, apikey.ActionKeyUpdated, apikey.ActionKeyRegenerated, apikey.ActionKeyDeactivated}
	events := make([]apikey.AuditEvent, n)
	for i := range events {
		events[i] = apikey.AuditEvent{ID: fmt.Sprintf("evt_%06d", i), At: now.Add(time.Duration(i*7919%n) * time.Second),
			ActorKind: apikey.PrincipalUser, ActorName: "anna", AccountID: fmt.Sprintf("acc_%02d", i%5),
			TargetID: "key_1", TargetName: "Key 1", Action: actions[i/5%4]}
	}
	if err := db.BulkLoad(ctx, Bulk{Events: events}); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, accounts := range [][]string{{"acc_00"}, {"acc_01", "acc_02"}} {
		page, pageArgs, where, args := auditPageOf(t, db, apikey.AuditQuery{Accounts: accounts, Action: apikey.ActionKeyUpdated, Page: 20, PerPage: 50})
		// The page's ids from the index alone; its count along the index.
		if text := planOf(t, db, `EXPLAIN `+db.e.rebind(page), pageArgs...); strings.Count(text, "Index Only Scan Backward using audit_events_account_action_at") != len(accounts) || largestSort(text) > 1000 {
			t.Errorf("%v page:\n%s", accounts, text)
		}
		count := `EXPLAIN SELECT COUNT(*) FROM (SELECT 1 FROM audit_events` + where + ` LIMIT 10001) c`
		if text := planOf(t, db, db.e.rebind(count), args...); !strings.Contains(text, "audit_events_account_action_at") {
			t.Errorf("%v count:\n%s", accounts, text)
		}
	}
	// A part under three characters, which no trigram index finds, is not
	// asked of one: the planner read every entry of it (0.7 s for a million).
	for _, in := range []apikey.AuditQuery{{Actor: "zq"}, {Key: "qz", Accounts: []string{"acc_01", "acc_02"}}} {
		page, pageArgs, where, args := auditPageOf(t, db, in)
		for _, text := range []string{planOf(t, db, `EXPLAIN `+db.e.rebind(page), pageArgs...),
			planOf(t, db, `EXPLAIN `+db.e.rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM audit_events`+where+` LIMIT 10001) c`), args...)} {
			if strings.Contains(text, "_trgm") {
				t.Errorf("%+v:\n%s", in, text)
			}
		}
	}
}

// A database that had events before the trigram indexes gets them all
// indexed by the migration, and a name folded again is found by its new
// fold (SQLite).
func TestAuditSearchIndexesEventsBeforeIt(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.SQLiteDSN(t))
	ctx := context.Background()
	events := auditTrail(t, db, *now, 50, func(i int) apikey.AuditEvent {
		return apikey.AuditEvent{ActorName: fmt.Sprintf("Actor %02d", i), AccountID: "acc_a", TargetID: "key_a", TargetName: "Target", Action: apikey.ActionKeyUpdated}
	})
	for _, stmt := range []string{`DROP TABLE audit_search_actor`, `DROP TABLE audit_search_target`, `DROP TRIGGER audit_search_insert`,
		`DROP TRIGGER audit_search_refold`, `DROP INDEX audit_events_action_at`, `DROP INDEX audit_events_account_action_at`,
		`DELETE FROM schema_migrations WHERE name = '0032_audit_search.sql'`} {
		if _, err := db.writer.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	q := apikey.AuditQuery{Actor: "actor 1", PerPage: 50}
	got, total, err := db.ListAudit(ctx, q)
	if aq, _ := db.auditQuery(ctx, q); err != nil || !aq.actor.drives || total != 10 || len(got) != 10 || got[0].ID != auditScan(events, q)[0] {
		t.Fatalf("after the migration: %d events, total %d, read along the index %v: %v", len(got), total, aq.actor.drives, err)
	}
	if _, err := db.writer.ExecContext(ctx, `UPDATE audit_events SET actor_name_fold = 'renamed' WHERE id = ?`, events[7].ID); err != nil {
		t.Fatal(err)
	}
	if got, total, err := db.ListAudit(ctx, apikey.AuditQuery{Actor: "renamed", PerPage: 50}); err != nil || total != 1 || len(got) != 1 || got[0].ID != events[7].ID {
		t.Fatalf("folded again: %v, total %d: %v", got, total, err)
	}
}
