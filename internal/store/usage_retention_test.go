package store

import (
	"context"
	"fmt"
	"testing"

	"keyconsole/internal/apikey"
)

// TestPruneUsage: days before the cut go, the cut day and later stay,
// however many rows there are.
func TestPruneUsage(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "counted")
	var counts []apikey.UsageCount
	for d := 1; d <= 30; d++ {
		for _, code := range []string{"VALID", "IP_NOT_ALLOWED", "KEY_EXPIRED", "RATE_LIMITED"} {
			for i := range 20 { // many keys' worth: more than one batch
				counts = append(counts, apikey.UsageCount{KeyID: k.ID, Day: fmt.Sprintf("2026-01-%02d", d), Code: fmt.Sprintf("%s_%d", code, i), Count: 1})
			}
		}
	}
	if err := db.RecordUsage(ctx, nil, counts); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneUsage(ctx, "2026-01-11")
	if err != nil || n != 10*4*20 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	left, err := db.KeyUsage(ctx, k.ID, "2000-01-01")
	if err != nil || len(left) != 20*4*20 || left[0].Day != "2026-01-11" {
		t.Fatalf("%d left, first %+v: %v", len(left), left[0], err)
	}
}
