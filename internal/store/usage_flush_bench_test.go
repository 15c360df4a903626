package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/seed"
)

// BenchmarkUsageFlush measures what the usage flush costs per key on a
// seeded database (KEYCONSOLE_BENCH_KEYS keys, default 100,000): 18,000
// keys' day counts, client addresses and last uses, each kind written as
// the recorder writes them, 500 keys a transaction, twice (the second
// updates the rows the first made), in the order of the keys' ids as the
// recorder writes them; and last uses once more in a random order, which
// is what a flush in the order of a map cost. It reports the time and, on
// Linux, the write system calls a key.
// KEYCONSOLE_BENCH_KEYS=1000000 go test ./internal/store -run '^$' -bench UsageFlush -benchtime 1x
func BenchmarkUsageFlush(b *testing.B) {
	ctx := context.Background()
	db, n := seededForBench(b, func(n int) seed.Options { return seed.Options{Keys: n, Big: n / 5, Accounts: 100} })
	const keys, perTx = 18_000, 500
	ids := make([]string, 0, keys)
	for i := range min(keys, n) {
		ids = append(ids, fmt.Sprintf("key_seed_%07d", i*(n/min(keys, n))))
	}
	shuffled := slices.Clone(ids)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	now := time.Now().UTC()
	day := now.Format(time.DateOnly)
	lastUse := func(id string, b *apikey.UsageBatch) {
		b.LastUses = append(b.LastUses, apikey.LastUse{KeyID: id, At: now, From: "10.1.2.3", Every: time.Second})
	}
	kinds := []struct {
		name string
		make func(id string, b *apikey.UsageBatch)
		ids  []string
	}{
		{"counts", func(id string, b *apikey.UsageBatch) {
			b.Counts = append(b.Counts, apikey.UsageCount{KeyID: id, Day: day, Code: "VALID", Count: 3})
		}, ids},
		{"addresses", func(id string, b *apikey.UsageBatch) {
			b.Addresses = append(b.Addresses, apikey.AddressUse{KeyID: id, Day: day, Address: "10.1.2.3", Requests: 3, LastSeen: now})
		}, ids},
		{"last_uses", lastUse, ids},
		{"last_uses_shuffled", lastUse, shuffled},
	}
	b.ResetTimer()
	for range b.N {
		for _, kind := range kinds {
			for pass := range 2 {
				now = now.Add(time.Minute) // a new value each pass: a row rewritten with the same bytes is not written
				writes, written := writeCalls(), writtenBytes()
				start := time.Now()
				for from := 0; from < len(kind.ids); from += perTx {
					var batch apikey.UsageBatch
					for _, id := range kind.ids[from:min(from+perTx, len(kind.ids))] {
						kind.make(id, &batch)
					}
					if err := db.RecordUsageBatch(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				per := float64(len(ids))
				b.ReportMetric(float64(time.Since(start).Microseconds())/per, fmt.Sprintf("µs/%s%d", kind.name, pass+1))
				if writes >= 0 {
					b.ReportMetric(float64(writeCalls()-writes)/per, fmt.Sprintf("writes/%s%d", kind.name, pass+1))
					b.ReportMetric(float64(writtenBytes()-written)/per/1024, fmt.Sprintf("KB/%s%d", kind.name, pass+1))
				}
			}
		}
	}
}

// writeCalls is the process's write system calls so far; -1 where there
// is no count.
func writeCalls() int64 { return procIO("syscw") }

// writtenBytes is what the process has passed to write system calls so
// far (the log's frames and the checkpoints' pages alike); -1 where there
// is no count.
func writtenBytes() int64 { return procIO("wchar") }

// procIO reads one count of /proc/self/io.
func procIO(name string) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}
