package usage

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

// A key's latest refusal for its client address is written by the flush
// (kept through a failed one), to the second, so that the keys list can
// tell refusals of the last 24 hours from older ones; other outcomes do
// not move it.
func TestFlushWritesLatestIPRefusal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := storetest.DSN(t)
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := db.RootAccount(ctx)
	k := newKey(t, db, root.ID, "k")
	r := New(db, nil)
	latest := time.Date(2026, 5, 2, 0, 30, 0, 0, time.UTC)
	ip := netip.MustParseAddr("192.0.2.1")
	r.Record(r.meter(k.ID), "IP_NOT_ALLOWED", ip, latest.Add(-time.Hour)) // the day before
	r.Record(r.meter(k.ID), "IP_NOT_ALLOWED", ip, latest)
	r.Record(r.meter(k.ID), "KEY_INACTIVE", ip, latest.Add(time.Hour))
	db.Close()
	if err := r.Flush(ctx); err == nil {
		t.Fatal("flush to a closed database succeeded")
	}
	if db, err = store.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r.store = db
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	refused := func(now time.Time) int {
		t.Helper()
		counts, err := db.CountAttention(ctx, apikey.KeyQuery{AccountIDs: []string{root.ID}, Now: now}, []apikey.Attention{apikey.AttentionIPRefused}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return counts[0].Count
	}
	if refused(latest.Add(apikey.IPRefusedWithin-time.Second)) != 1 || refused(latest.Add(apikey.IPRefusedWithin)) != 0 {
		t.Error("the latest refusal is not the one written")
	}
	// An older refusal flushed later does not move it back.
	r.Record(r.meter(k.ID), "IP_NOT_ALLOWED", ip, latest.Add(-3*time.Hour))
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if refused(latest.Add(apikey.IPRefusedWithin-time.Second)) != 1 {
		t.Error("an older refusal moved it back")
	}
}
