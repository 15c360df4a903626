package usage

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkRecord counts verifications of 18,000 keys in rotation, as the
// load of `make bench` does (each request also counts its caller's key),
// each key's meter emptied every twenty rounds, as a flush empties it.
func BenchmarkRecord(b *testing.B) {
	r := New(nil, nil)
	r.flushAt = 1 << 30
	meters := make([]*Meter, 18_000)
	for i := range meters {
		meters[i] = NewMeter(fmt.Sprintf("k_%020d", i))
	}
	caller := NewMeter("k_caller")
	ip := netip.MustParseAddr("10.1.2.3")
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%(20*len(meters)) == 0 {
			b.StopTimer()
			r.take()
			r.inFlight.Store(0)
			b.StartTimer()
		}
		r.Record(caller, "VALID", ip, at)
		r.Record(meters[i%len(meters)], "VALID", ip, at)
	}
}

// TestFirstUseAllocatesNothing: a key's first uses, and its first uses
// after a flush took what it gathered, allocate nothing: the meter holds
// its first counts and address itself, and stays where it was made.
func TestFirstUseAllocatesNothing(t *testing.T) {
	r := New(nil, nil)
	r.flushAt = 1 << 30
	ip := netip.MustParseAddr("10.1.2.3")
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	allocs := testing.AllocsPerRun(1000, func() {
		m := NewMeter("k")
		r.Record(m, "VALID", ip, at)
		r.Record(m, "KEY_EXPIRED", ip, at)
	})
	if allocs != 1 {
		t.Fatalf("%v allocations for a meter and its first uses, want 1 (the meter)", allocs)
	}
	// What a take leaves (take itself allocates its map): an empty meter, not listed.
	m := NewMeter("k")
	if allocs := testing.AllocsPerRun(100, func() {
		r.Record(m, "VALID", ip, at)
		r.Record(m, "KEY_EXPIRED", ip, at)
		m.listed = false
		m.use.reset()
		r.listed = r.listed[:0]
	}); allocs != 0 {
		t.Fatalf("%v allocations for first uses after a take, want none", allocs)
	}
}
