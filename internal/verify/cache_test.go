package verify

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// Keys cached in the same instant expire over a quarter of the lifetime,
// not together: none before three quarters of it, every one at its end,
// and about half by the middle of the spread.
func TestEntriesLoadedTogetherExpireApart(t *testing.T) {
	t.Parallel()
	c := newCache(10_000)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 2000
	hashes := make([][sha256.Size]byte, n)
	for i := range hashes {
		hashes[i] = sha256.Sum256(fmt.Appendf(nil, "secret %d", i))
		c.put(hashes[i], &apikey.Key{ID: fmt.Sprint("key_", i)}, nil, c.begin(), start)
	}
	known := func(after time.Duration) (k int) {
		for _, h := range hashes {
			if _, ok, _ := c.get(h, start.Add(after)); ok {
				k++
			}
		}
		return k
	}
	if k := known(positiveLifetime - lifetimeSpread - time.Nanosecond); k != n {
		t.Errorf("before three quarters of the lifetime: %d of %d known, want all", k, n)
	}
	if k := known(positiveLifetime - lifetimeSpread/2); k < n*4/10 || k > n*6/10 {
		t.Errorf("in the middle of the spread: %d of %d known, want about half", k, n)
	}
	if k := known(positiveLifetime); k != 0 {
		t.Errorf("at the end of the lifetime: %d of %d known, want none", k, n)
	}
}

// A change is remembered as long as the entry of a read begun before it
// can live: that read may end, and its entry be stamped, up to
// readTimeout after the change.
func TestChangeOutlivesEntriesReadAcrossIt(t *testing.T) {
	t.Parallel()
	c := newCache(10)
	changed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var hash [sha256.Size]byte // its first bytes 0: a whole positiveLifetime
	began := c.begin()
	c.forget("key_1", changed)
	c.put(hash, &apikey.Key{ID: "key_1"}, nil, began, changed.Add(readTimeout/2))
	c.prune(changed.Add(positiveLifetime + time.Second))
	if _, known, _ := c.get(hash, changed.Add(positiveLifetime+2*time.Second)); known {
		t.Error("an entry read across a change is believed once the change is pruned")
	}
}
