package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// On PostgreSQL, the first uses of 2% of the keys put api_keys past
// autovacuum's threshold for the table, as PostgreSQL reckons it from the
// table's settings; at PostgreSQL's default of 20% they would not be.
// (Whether autovacuum then comes, within its minute, is PostgreSQL's part.)
func TestLastUsesPassAutovacuumThreshold(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	acc := newAccounts(t, db, "Many")[0]
	const keys, used = 10_000, 200
	loadKeys(t, db, keys, func(i int) *apikey.Key {
		return bulkKey(fmt.Sprintf("key_v_%05d", i), acc, fmt.Sprintf("Key %05d", i), *now)
	})
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	// No autovacuum of this table meanwhile: one (for the rows just
	// loaded, say) would set the count of dead rows back to none. The
	// threshold is still read from the table's settings.
	if _, err := db.writer.ExecContext(ctx, `ALTER TABLE api_keys SET (autovacuum_enabled = off)`); err != nil {
		t.Fatal(err)
	}
	// Dead rows, the table's autovacuum threshold (base + factor × rows,
	// with the table's own settings where it has them) and the default one.
	stats := func() (dead, threshold, defaultThreshold float64) {
		t.Helper()
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
		return
	}
	var b apikey.UsageBatch
	for i := range used {
		b.LastUses = append(b.LastUses, apikey.LastUse{KeyID: fmt.Sprintf("key_v_%05d", i*keys/used), At: now.Add(time.Minute), From: "203.0.113.9"})
	}
	if err := db.RecordUsageBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	// A backend passes its counts on when idle, at most once a second
	// (else within ten).
	var dead, threshold, defaultThreshold float64
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		dead, threshold, defaultThreshold = stats()
		if dead >= used || time.Since(start) > 20*time.Second {
			break
		}
	}
	if defaultThreshold < used {
		t.Fatalf("%d dead rows are past even the default threshold (%v): the test shows nothing", used, defaultThreshold)
	}
	if dead < used {
		t.Fatalf("%v dead rows counted after %d last uses", dead, used)
	}
	if dead <= threshold {
		t.Errorf("%v dead rows in %d keys: autovacuum waits for more than %v", dead, keys, threshold)
	}
}
