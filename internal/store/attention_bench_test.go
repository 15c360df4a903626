package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/seed"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

// BenchmarkAttention measures, on a seeded database (KEYCONSOLE_BENCH_KEYS
// keys, default 100,000, all in one account; most never used), the six
// counts of the "Needs attention" panel and the first page of each rule's
// list. go test ./internal/store -run '^$' -bench Attention -benchtime 20x
func BenchmarkAttention(b *testing.B) {
	ctx := context.Background()
	db, _ := seededForBench(b, func(n int) seed.Options { return seed.Options{Keys: n, Big: n, Accounts: 1} })
	path, err := db.AccountPath(ctx, seed.BigAccount)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	b.Run("panel", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.CountAttention(ctx, apikey.KeyQuery{AccountIDs: path, Now: now}, apikey.Attentions, apikey.AttentionCountCap); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, rule := range apikey.Attentions {
		b.Run("count-"+string(rule), func(b *testing.B) {
			for b.Loop() {
				if _, err := db.CountAttention(ctx, apikey.KeyQuery{AccountIDs: path, Now: now}, []apikey.Attention{rule}, apikey.AttentionCountCap); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("list-"+string(rule), func(b *testing.B) {
			for b.Loop() {
				if _, err := db.ListKeys(ctx, apikey.KeyQuery{AccountIDs: path, Attention: rule, Now: now, Page: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seededForBench is a database seeded with KEYCONSOLE_BENCH_KEYS keys
// (default 100,000) as opts lays them out, closed when b ends, and the
// number of keys.
func seededForBench(b *testing.B, opts func(keys int) seed.Options) (*store.DB, int) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("KEYCONSOLE_BENCH_KEYS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	o := opts(n)
	o.Password = "seeded-password"
	start := time.Now()
	if err := seed.Run(ctx, db, o); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d keys in %s", n, time.Since(start).Round(time.Millisecond))
	return db, n
}
