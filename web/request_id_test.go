package web

import (
	"runtime"
	"sync"
	"testing"
)

// Request ids are taken a block at a time by each processor's shard:
// taken from many goroutines at once, while collections empty the pool
// the shards come from (so that a shard is handed to several goroutines)
// and blocks run out, every id is new.
func TestRequestIDsAreUnique(t *testing.T) {
	t.Parallel()
	ids := newRequestIDs()
	const workers, each = 8, 3 * idBlockSize
	stop := repeatAlongside(runtime.GC)
	got := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				got[w] = append(got[w], ids.next(ids.shards.Pick()))
			}
		})
	}
	wg.Wait()
	stop()
	seen := map[string]bool{}
	for _, list := range got {
		for _, id := range list {
			if seen[id] || len(id) != 16 || id[:8] != ids.prefix || !requestIDPattern.MatchString(id[:15]) {
				t.Fatalf("id %q: seen before or not the prefix and eight digits", id)
			}
			seen[id] = true
		}
	}
}
