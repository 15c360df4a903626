package usage

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/servicetest"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

func TestFlushKeepsBatchOnFailure(t *testing.T) {
	ctx := context.Background()
	path := storetest.DSN(t)
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := db.RootAccount(ctx)
	k := &apikey.Key{AccountID: root.ID, CreatedBy: "t", SecretHash: apikey.HashSecret("x"), DisplayPrefix: "x",
		Settings: apikey.Settings{Name: "k", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
	if err := db.CreateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	r := New(db, nil)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	r.Record(k.ID, "VALID", netip.MustParseAddr("192.0.2.1"), at)
	r.Record(k.ID, "VALID", netip.MustParseAddr("192.0.2.2"), at.Add(time.Minute))
	r.Record(k.ID, "KEY_EXPIRED", netip.MustParseAddr("192.0.2.3"), at.Add(2*time.Minute))
	db.Close()
	if err := r.Flush(ctx); err == nil {
		t.Fatal("flush to a closed database succeeded")
	}
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r.store = db
	r.Record(k.ID, "VALID", netip.MustParseAddr("192.0.2.9"), at.Add(-time.Hour)) // older: does not move the last use back
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Key(ctx, k.ID)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(at.Add(time.Minute)) || got.LastUsedFrom != "192.0.2.2" {
		t.Fatalf("last use %v from %s", got.LastUsedAt, got.LastUsedFrom)
	}
	counts, _ := db.KeyUsage(ctx, k.ID, "2026-05-01")
	total := map[string]int{}
	for _, c := range counts {
		total[c.Code] += c.Count
	}
	if total["VALID"] != 3 || total["KEY_EXPIRED"] != 1 {
		t.Fatalf("counts %v", total)
	}
}

// A key used all the time moves its last use once a minute, not with every
// flush; its counts are written every time.
func TestLastUseWrittenOncePerMinute(t *testing.T) {
	ctx := context.Background()
	db, root := servicetest.Open(t)
	k := &apikey.Key{AccountID: root.ID, CreatedBy: "t", SecretHash: apikey.HashSecret("y"), DisplayPrefix: "y",
		Settings: apikey.Settings{Name: "busy", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
	if err := db.CreateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	r := New(db, nil)
	at := time.Now().UTC().Truncate(time.Second)
	lastUse := func() time.Time {
		t.Helper()
		got, _ := db.Key(ctx, k.ID)
		if got.LastUsedAt == nil {
			return time.Time{}
		}
		return *got.LastUsedAt
	}
	for i, step := range []struct {
		after time.Duration
		want  time.Duration // the last use stored after the flush
	}{{0, 0}, {10 * time.Second, 0}, {30 * time.Second, 0}, {70 * time.Second, 70 * time.Second}} {
		r.Record(k.ID, "VALID", netip.MustParseAddr("192.0.2.1"), at.Add(step.after))
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := lastUse(); !got.Equal(at.Add(step.want)) {
			t.Fatalf("flush %d: last use %v, want %v", i, got, at.Add(step.want))
		}
	}
	counts, _ := db.KeyUsage(ctx, k.ID, at.Format("2006-01-02"))
	if len(counts) != 1 || counts[0].Count != 4 {
		t.Fatalf("counts %+v", counts)
	}
}

// failingAfter writes through to a store until n batches were written,
// then fails.
type failingAfter struct {
	Store
	n int
}

func (f *failingAfter) RecordUsage(ctx context.Context, uses []apikey.LastUse, counts []apikey.UsageCount) error {
	if f.n == 0 {
		return errors.New("disk full")
	}
	f.n--
	return f.Store.RecordUsage(ctx, uses, counts)
}

// A flush of many keys is written a chunk at a time; when a chunk fails,
// the chunks written stay written once and the rest waits for the next
// flush: nothing counted twice, nothing lost.
func TestFlushFailingPartwayCountsEachUseOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	var bulk store.Bulk
	for i := range 3*flushChunk + 7 {
		bulk.Keys = append(bulk.Keys, &apikey.Key{ID: fmt.Sprintf("key_u_%04d", i), AccountID: root.ID, SecretHash: fmt.Sprintf("h%04d", i),
			DisplayPrefix: "kc_g_x", CreatedBy: "t", UpdatedBy: "t", Version: 1,
			Settings: apikey.Settings{Name: fmt.Sprintf("k %04d", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}})
	}
	if err := db.BulkLoad(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	failing := &failingAfter{Store: db, n: 2}
	r := New(failing, nil)
	for _, k := range bulk.Keys {
		r.Record(k.ID, "VALID", netip.MustParseAddr("192.0.2.1"), at)
	}
	if err := r.Flush(ctx); err == nil {
		t.Fatal("a flush that failed partway said nothing")
	}
	failing.n = -1 // no more failures
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range bulk.Keys {
		counts, _ := db.KeyUsage(ctx, k.ID, at.Format("2006-01-02"))
		got, _ := db.Key(ctx, k.ID)
		if len(counts) != 1 || counts[0].Count != 1 || got.LastUsedAt == nil {
			t.Fatalf("%s: counts %v, last use %v", k.ID, counts, got.LastUsedAt)
		}
	}
}
