package usage

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkRecord counts verifications of 18,000 keys in rotation, as the
// load of `make bench` does (each request also counts its caller's key),
// from a recorder emptied as a flush empties it.
func BenchmarkRecord(b *testing.B) {
	ids := make([]string, 18_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("k_%020d", i)
	}
	ip := netip.MustParseAddr("10.1.2.3")
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	r := New(nil, nil)
	r.flushAt = 1 << 30
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%(20*len(ids)) == 0 {
			b.StopTimer()
			r = New(nil, nil)
			r.flushAt = 1 << 30
			b.StartTimer()
		}
		r.Record("k_caller", "VALID", ip, at)
		r.Record(ids[i%len(ids)], "VALID", ip, at)
	}
}
