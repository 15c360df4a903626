package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// auditedKeys creates n keys, each with its audit entry, and returns the
// ids of the entries in chain order.
func auditedKeys(t *testing.T, db *DB, n int) []string {
	t.Helper()
	acct := root(t, db)
	for range n {
		k := &apikey.Key{AccountID: acct, CreatedBy: "admin", SecretHash: fmt.Sprintf("%032x%032x", rand.Uint64(), rand.Uint64()), DisplayPrefix: "kc_g_",
			Settings: apikey.Settings{Name: fmt.Sprintf("chained %x", rand.Uint64()), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
		ev := &apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorID: "usr_1", ActorName: "admin", Action: apikey.ActionKeyCreated}
		if err := db.CreateKey(context.Background(), k, ev); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := queryNames(context.Background(), db.reader, `SELECT id FROM audit_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func exec(t *testing.T, db *DB, query string, args ...any) {
	t.Helper()
	if _, err := db.writer.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// TestAuditChain: a whole chain passes and counts its entries; an entry
// changed, removed or inserted, or the newest removed, is each found and
// named, and the outcome is kept for the audit page.
func TestAuditChain(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		tamper func(t *testing.T, db *DB, ids []string)
		want   func(ids []string) string
	}{
		{"whole", func(*testing.T, *DB, []string) {}, func([]string) string { return "" }},
		{"changed", func(t *testing.T, db *DB, ids []string) {
			exec(t, db, `UPDATE audit_events SET actor_name = 'someone else' WHERE id = ?`, ids[3])
		}, func(ids []string) string { return "entry " + ids[3] + " (number 4) was changed" }},
		{"removed", func(t *testing.T, db *DB, ids []string) {
			exec(t, db, `DELETE FROM audit_events WHERE id = ?`, ids[3])
		}, func(ids []string) string { return "entries 4 to 4 were removed, before entry " + ids[4] }},
		{"inserted", func(t *testing.T, db *DB, ids []string) {
			// Made room for, as a careful forger would: the later entries renumbered.
			exec(t, db, `UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 4`)
			exec(t, db, `UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000`)
			exec(t, db, `INSERT INTO audit_events (id, at, actor_kind, actor_id, actor_name, client_ip, account_id, target_id, target_name, action, changes, seq, hash)
				SELECT 'evt_forged', at, actor_kind, actor_id, actor_name, client_ip, account_id, target_id, target_name, action, changes, 4, hash FROM audit_events WHERE seq = 3`)
			exec(t, db, `UPDATE audit_head SET seq = seq + 1`)
		}, func([]string) string { return "entry evt_forged (number 4) was inserted" }},
		{"inserted outside", func(t *testing.T, db *DB, ids []string) {
			exec(t, db, `INSERT INTO audit_events (id, at, actor_kind, actor_id, actor_name, client_ip, account_id, target_id, target_name, action, changes)
				SELECT 'evt_stray', at, actor_kind, actor_id, actor_name, client_ip, account_id, target_id, target_name, action, changes FROM audit_events WHERE seq = 3`)
		}, func([]string) string { return "entry evt_stray was inserted" }},
		{"newest removed", func(t *testing.T, db *DB, ids []string) {
			exec(t, db, `DELETE FROM audit_events WHERE id = ?`, ids[len(ids)-1])
		}, func(ids []string) string {
			return fmt.Sprintf("the chain has %d, its head says %d", len(ids)-1, len(ids))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db, _ := openTest(t)
			ids := auditedKeys(t, db, 8)
			exec(t, db, storetest.DropAuditGuards(storetest.Engine()))
			c.tamper(t, db, ids)
			check, err := db.VerifyAudit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := c.want(ids)
			if (want == "") != (check.Problem == "") || !strings.Contains(check.Problem, want) {
				t.Fatalf("found %q, want %q", check.Problem, want)
			}
			if want == "" && check.Entries != int64(len(ids)) {
				t.Fatalf("%d entries counted of %d", check.Entries, len(ids))
			}
			last, err := db.LastAuditCheck(context.Background())
			if err != nil || last.Problem != check.Problem || last.At.IsZero() {
				t.Fatalf("kept %+v: %v", last, err)
			}
		})
	}
}

// TestAuditChainConcurrentWriters: writers that audit at the same moment
// queue on the chain's head; the chain stays whole and counts them all.
func TestAuditChainConcurrentWriters(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	acct := root(t, db)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				k := &apikey.Key{AccountID: acct, CreatedBy: "admin", SecretHash: fmt.Sprintf("%032x%032x", w+1, i+1), DisplayPrefix: "kc_g_",
					Settings: apikey.Settings{Name: fmt.Sprintf("writer %d key %d", w, i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
				if err := db.CreateKey(context.Background(), k, &apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorID: "usr_1", ActorName: "admin", Action: apikey.ActionKeyCreated}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	check, err := db.VerifyAudit(context.Background())
	if err != nil || check.Problem != "" || check.Entries != 60 {
		t.Fatalf("%+v: %v", check, err)
	}
}

// TestAuditChainOfOlderEntries: entries written before the chain existed
// are linked by the migration's step, oldest first.
func TestAuditChainOfOlderEntries(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	auditedKeys(t, db, 5)
	// Unlinked, as entries written before the chain were (the guard came later).
	exec(t, db, storetest.DropAuditGuards(storetest.Engine()))
	exec(t, db, `UPDATE audit_events SET seq = NULL, hash = ''`)
	exec(t, db, `UPDATE audit_head SET seq = 0, hash = ''`)
	if err := db.inTx(context.Background(), func(tx *txn) error { return chainExisting(context.Background(), tx) }); err != nil {
		t.Fatal(err)
	}
	auditedKeys(t, db, 2) // and new entries link on
	if check, err := db.VerifyAudit(context.Background()); err != nil || check.Problem != "" || check.Entries != 7 {
		t.Fatalf("%+v: %v", check, err)
	}
}

// TestAuditEntriesAppendOnly: the database itself refuses to delete an
// entry, change what it records or move it in the chain, even to code
// holding a connection; the search columns may still be rewritten, and
// unlinked entries linked once.
func TestAuditEntriesAppendOnly(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ids := auditedKeys(t, db, 3)
	ctx := context.Background()
	for _, q := range []string{
		`DELETE FROM audit_events WHERE id = ?`,
		`UPDATE audit_events SET actor_name = 'someone else' WHERE id = ?`,
		`UPDATE audit_events SET changes = '[]', reason = 'rewritten' WHERE id = ?`,
		`UPDATE audit_events SET seq = seq + 100 WHERE id = ?`,
		`UPDATE audit_events SET hash = 'x' WHERE id = ?`,
	} {
		if _, err := db.writer.ExecContext(ctx, q, ids[1]); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	if storetest.Engine() == "postgres" {
		if _, err := db.writer.ExecContext(ctx, `TRUNCATE audit_events`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("truncate: %v", err)
		}
	}
	exec(t, db, `UPDATE audit_events SET actor_name_fold = 'refolded' WHERE id = ?`, ids[1])
	if check, err := db.VerifyAudit(ctx); err != nil || check.Problem != "" || check.Entries != 3 {
		t.Fatalf("%+v: %v", check, err)
	}
}
