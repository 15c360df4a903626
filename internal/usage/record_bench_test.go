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

// A take moves everything a meter gathered, its counts and addresses past
// the meter's own room included, into a value of its own: what the meter
// gathers next does not change it, and the meter starts empty and unlisted.
func TestTakeMovesEverything(t *testing.T) {
	r := New(nil, nil)
	r.flushAt = 1 << 30
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	m := NewMeter("k")
	a, b := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("10.1.2.4")
	for _, code := range []string{"VALID", "KEY_EXPIRED", "IP_NOT_ALLOWED"} {
		r.Record(m, code, a, at)
	}
	r.Record(m, "VALID", b, at)
	before := m.use
	got := r.take()["k"]
	if got.keyUse == nil || len(got.counts) != 3 || len(got.addrs) != 2 || got.last != before.last || got.refused != before.refused || got.own != 2 {
		t.Fatalf("taken: %+v, gathered %+v", got.keyUse, before)
	}
	if m.listed || len(m.use.counts) != 0 || len(m.use.addrs) != 0 || m.use.last != (lastUse{}) {
		t.Fatalf("the meter after a take: listed %v, %+v", m.listed, m.use)
	}
	r.Record(m, "VALID", a, at.Add(time.Hour))
	if got.counts[0].n != 2 || got.addrs[0].n.requests != 3 || got.last.at != before.last.at {
		t.Fatalf("a record after the take changed what was taken: %+v", got.keyUse)
	}
	// Within the meter's own room (one count, one address) as well.
	r.take()
	r.Record(m, "VALID", a, at)
	small := r.take()["k"]
	r.Record(m, "KEY_EXPIRED", b, at)
	if len(small.counts) != 1 || small.counts[0].code != "VALID" || small.addrs[0].addr != a {
		t.Fatalf("a record after the take changed what was taken: %+v", small.keyUse)
	}
}
