package usage

import (
	"context"
	"testing"
	"time"

	"keyconsole/internal/apikey"
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
	r.Record(k.ID, "VALID", "192.0.2.1", at)
	r.Record(k.ID, "VALID", "192.0.2.2", at.Add(time.Minute))
	r.Record(k.ID, "KEY_EXPIRED", "192.0.2.3", at.Add(2*time.Minute))
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
	r.Record(k.ID, "VALID", "192.0.2.9", at.Add(-time.Hour)) // older: does not move the last use back
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
