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

// TestFirstUseAllocatesOnce: a key's first use after a flush allocates
// what it gathers in one piece (its first counts and address inside it),
// beside the meter itself.
func TestFirstUseAllocatesOnce(t *testing.T) {
	r := New(nil, nil)
	r.flushAt = 1 << 30
	ip := netip.MustParseAddr("10.1.2.3")
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	allocs := testing.AllocsPerRun(1000, func() {
		m := NewMeter("k")
		r.Record(m, "VALID", ip, at)
		r.Record(m, "KEY_EXPIRED", ip, at)
	})
	if allocs != 2 {
		t.Fatalf("%v allocations for a meter and its first uses, want 2", allocs)
	}
}
