// Package shards spreads what every request adds to over the processors.
//
// A counter that every processor adds to is one cache line passed between
// them on every add: on the project's two-processor machine, a build
// without the request id's counter, the requests in flight and the
// verifications' tally spent 1.0-1.6 µs less a verification under load
// (BENCHMARKS, twenty-sixth pass). So each processor adds to a shard of
// its own, and a reader sums the shards.
package shards

import (
	"runtime"
	"sync"
)

// Set hands out shards of T, mostly the one the calling processor used
// last: a sync.Pool keeps one a processor. Every shard made is kept, so
// that nothing added to one is lost when the pool drops its own at a
// collection; their number stays bounded (twice the most processors the
// process has run with: the server raises them beside busy neighbours),
// so a shard may be handed to two goroutines at once: T guards its own
// fields (atomics, or a lock of its own). The zero Set makes zero shards.
type Set[T any] struct {
	// New makes a shard; nil: new(T).
	New func() *T

	pool  sync.Pool
	mu    sync.Mutex
	all   []*T
	reuse int // the next of all to hand out once there are enough
}

// Get is a shard to add to, to be given back with Put once added to.
func (s *Set[T]) Get() *T {
	if sh, ok := s.pool.Get().(*T); ok {
		return sh
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The pool had none for this processor: after a collection emptied it,
	// the shards made before serve again, so that their number stays
	// bounded however often that happens.
	if len(s.all) >= 2*runtime.GOMAXPROCS(0) {
		sh := s.all[s.reuse%len(s.all)]
		s.reuse++
		return sh
	}
	sh := new(T)
	if s.New != nil {
		sh = s.New()
	}
	s.all = append(s.all, sh)
	return sh
}

// Put gives sh back, for the next Get on this processor.
func (s *Set[T]) Put(sh *T) { s.pool.Put(sh) }

// Pick is a shard for the calling processor, to keep and add to from then
// on, by something the processor keeps itself (an object of its own pool):
// Get and Put on every add cost about what a shared counter does.
func (s *Set[T]) Pick() *T {
	sh := s.Get()
	s.Put(sh)
	return sh
}

// Each calls f with every shard made so far, while they may be added to.
func (s *Set[T]) Each(f func(*T)) {
	s.mu.Lock()
	all := s.all[:len(s.all):len(s.all)]
	s.mu.Unlock()
	for _, sh := range all {
		f(sh)
	}
}

// Len is how many shards were made.
func (s *Set[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}
