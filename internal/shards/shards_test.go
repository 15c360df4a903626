package shards

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

type counter struct{ n atomic.Int64 }

func (s *Set[T]) sum(f func(*T) int64) (total int64) {
	s.Each(func(sh *T) { total += f(sh) })
	return total
}

// Adds from many goroutines at once (to shards got for each add, or picked
// once and kept), while collections empty the pool the shards come from
// and readers sum them, are all there in the end, and the shards do not
// grow in number past their bound.
func TestSetKeepsEveryAdd(t *testing.T) {
	t.Parallel()
	var s Set[counter]
	count := func(c *counter) int64 { return c.n.Load() }
	const workers, each = 8, 5000
	stop := make(chan struct{})
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for last := int64(0); ; {
			select {
			case <-stop:
				return
			default:
			}
			// A sum read while adds go on never goes back: no add is
			// lost or counted twice on the way.
			if n := s.sum(count); n < last {
				t.Errorf("a sum went back from %d to %d", last, n)
			} else {
				last = n
			}
			runtime.GC()
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			kept := s.Pick() // half the workers keep the shard they picked
			for range each {
				if w%2 == 0 {
					kept.n.Add(1)
					continue
				}
				c := s.Get()
				c.n.Add(1)
				s.Put(c)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-collected
	if got := s.sum(count); got != workers*each {
		t.Errorf("sum %d, want %d", got, workers*each)
	}
	if n, limit := s.Len(), 2*runtime.GOMAXPROCS(0); n < 1 || n > limit {
		t.Errorf("%d shards, want 1 to %d", n, limit)
	}
}

func TestSetMakesShardsWithNew(t *testing.T) {
	t.Parallel()
	s := Set[[]int64]{New: func() *[]int64 { c := make([]int64, 3); return &c }}
	sh := s.Get()
	if len(*sh) != 3 {
		t.Fatalf("a shard of %d, want New's 3", len(*sh))
	}
	s.Put(sh)
}

// BenchmarkAdd is why the package is: on two processors or more, an add
// to one shared counter costs what passing its cache line between them
// does; an add to a shard stays on its processor.
// go test ./internal/shards -bench Add -cpu 1,2
func BenchmarkAdd(b *testing.B) {
	b.Run("shared", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n.Add(1)
			}
		})
	})
	b.Run("sharded", func(b *testing.B) {
		var s Set[counter]
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c := s.Get()
				c.n.Add(1)
				s.Put(c)
			}
		})
	})
}
