package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// On PostgreSQL, the last uses of 2% of the keys, written as the usage
// flush writes them, put api_keys past autovacuum's threshold: its pages
// are then marked all-visible again soon, and the list's index-only scans
// stop reading them. (At PostgreSQL's default of 20%, they would not.)
func TestLastUsesBringAutovacuum(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	acc := newAccounts(t, db, "Many")[0]
	const keys, used = 10_000, 200
	var bulk Bulk
	for i := range keys {
		bulk.Keys = append(bulk.Keys, bulkKey(fmt.Sprintf("key_v_%05d", i), acc, fmt.Sprintf("Key %05d", i), *now))
	}
	if err := db.BulkLoad(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	var b apikey.UsageBatch
	for i := range used {
		b.LastUses = append(b.LastUses, apikey.LastUse{KeyID: fmt.Sprintf("key_v_%05d", i*keys/used), At: now.Add(time.Minute), From: "203.0.113.9"})
	}
	if err := db.RecordUsageBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL's own reckoning: dead rows against base + factor × rows,
	// with the table's settings where it has them. (A backend passes its
	// counts on within a second or so of going idle.)
	var dead, threshold, defaultThreshold float64
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		err := db.reader.QueryRowContext(ctx, `
			WITH o AS (SELECT c.reltuples,
				(SELECT split_part(x, '=', 2)::float8 FROM unnest(c.reloptions) x WHERE x LIKE 'autovacuum_vacuum_scale_factor=%') AS factor,
				(SELECT split_part(x, '=', 2)::float8 FROM unnest(c.reloptions) x WHERE x LIKE 'autovacuum_vacuum_threshold=%') AS base
				FROM pg_class c WHERE c.oid = 'api_keys'::regclass)
			SELECT s.n_dead_tup,
				coalesce(o.base, current_setting('autovacuum_vacuum_threshold')::float8) +
					coalesce(o.factor, current_setting('autovacuum_vacuum_scale_factor')::float8) * o.reltuples,
				current_setting('autovacuum_vacuum_threshold')::float8 + current_setting('autovacuum_vacuum_scale_factor')::float8 * o.reltuples
			FROM o, pg_stat_user_tables s WHERE s.relid = 'api_keys'::regclass`).Scan(&dead, &threshold, &defaultThreshold)
		if err != nil {
			t.Fatal(err)
		}
		if dead >= used || time.Since(start) > 10*time.Second {
			break
		}
	}
	if dead < used {
		t.Fatalf("%v dead rows counted after %d last uses", dead, used)
	}
	if dead <= threshold {
		t.Errorf("%v dead rows in %d keys: autovacuum waits for more than %v", dead, keys, threshold)
	}
	if dead > defaultThreshold {
		t.Errorf("%v dead rows are past even the default threshold (%v): the test shows nothing", dead, defaultThreshold)
	}
}
