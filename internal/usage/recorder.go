// Package usage counts what verification answers, per key, day and outcome,
// and remembers when and from where each key was last accepted, without a
// database write per request: it adds up in memory and writes in batches.
package usage

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"keyconsole/internal/apikey"
)

// Store is where uses are written.
type Store interface {
	RecordUsage(ctx context.Context, uses []apikey.LastUse, counts []apikey.UsageCount) error
}

// Recorder gathers uses in memory until Flush writes them.
type Recorder struct {
	store  Store
	logger *slog.Logger

	mu      sync.Mutex
	last    map[string]lastUse
	counts  map[countKey]int
	written map[string]time.Time // when each key's last use was last written
	// refused is each key's latest refusal for its client address since
	// the last flush: the keys list tells refusals of the last 24 hours.
	refused map[string]time.Time
}

// countKey is a day's count of one outcome of one key; the day as
// YYYYMMDD, so counting formats no string.
type countKey struct {
	keyID string
	day   int
	code  string
}

// lastUse is a key's last accepted use; the address is formatted only when
// written, not on every verification.
type lastUse struct {
	at   time.Time
	from netip.Addr
}

// lastUseEvery bounds how often a key's last use is written: a key used
// all the time moves its row once a minute, not with every flush.
const lastUseEvery = time.Minute

// New returns a Recorder writing to db.
func New(db Store, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.Default()
	}
	return &Recorder{store: db, logger: logger, last: map[string]lastUse{}, counts: map[countKey]int{}, written: map[string]time.Time{}, refused: map[string]time.Time{}}
}

// Record notes one verification of key keyID from ip at at, answered with
// code; accepted ones ("VALID") also move the key's last use.
func (r *Recorder) Record(keyID, code string, ip netip.Addr, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	y, m, d := at.UTC().Date()
	r.counts[countKey{keyID, y*10000 + int(m)*100 + d, code}]++
	if code == apikey.CodeIPNotAllowed && at.After(r.refused[keyID]) {
		r.refused[keyID] = at
	}
	if code == "VALID" {
		if prev, ok := r.last[keyID]; !ok || at.After(prev.at) {
			r.last[keyID] = lastUse{at: at, from: ip}
		}
	}
}

// Flush writes what was gathered since the last flush. On failure the batch
// is put back, to be tried again with the next one.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	last, counts, refused := r.last, r.counts, r.refused
	r.last, r.counts, r.refused = map[string]lastUse{}, map[countKey]int{}, map[string]time.Time{}
	r.mu.Unlock()
	if len(last) == 0 && len(counts) == 0 {
		return nil
	}
	uses := make([]apikey.LastUse, 0, len(last))
	later := map[string]lastUse{}
	r.mu.Lock()
	for id, u := range last {
		if w, ok := r.written[id]; ok && u.at.Sub(w) < lastUseEvery {
			later[id] = u // written less than a minute ago: the next time
			continue
		}
		from := ""
		if u.from.IsValid() {
			from = u.from.String()
		}
		uses = append(uses, apikey.LastUse{KeyID: id, At: u.at, From: from})
	}
	r.mu.Unlock()
	keys := make([]countKey, 0, len(counts))
	rows := make([]apikey.UsageCount, 0, len(counts))
	for k, n := range counts {
		day := fmt.Sprintf("%04d-%02d-%02d", k.day/10000, k.day/100%100, k.day%100)
		keys = append(keys, k)
		row := apikey.UsageCount{KeyID: k.keyID, Day: day, Code: k.code, Count: n}
		if k.code == apikey.CodeIPNotAllowed {
			row.Latest = refused[k.keyID]
		}
		rows = append(rows, row)
	}
	// A chunk at a time, each its own transaction, with a pause between: a
	// flush of many keys then shares the processor with the requests being
	// served, rather than taking it for half a second at once.
	n, done := max(len(uses), len(rows)), 0
	var err error
	for done < n {
		end := min(done+flushChunk, n)
		if err = r.store.RecordUsage(ctx, uses[min(done, len(uses)):min(end, len(uses))], rows[min(done, len(rows)):min(end, len(rows))]); err != nil {
			break
		}
		if done = end; done < n {
			select {
			case <-time.After(flushPause):
			case <-ctx.Done():
				err = ctx.Err()
			}
			if err != nil {
				break
			}
		}
	}
	r.markWritten(uses[:min(done, len(uses))], later)
	// What is not written goes back, to be tried with the next flush.
	for _, u := range uses[min(done, len(uses)):] {
		later[u.KeyID] = last[u.KeyID]
	}
	rest := map[countKey]int{}
	for _, k := range keys[min(done, len(keys)):] {
		rest[k] = counts[k]
	}
	r.putBack(later, rest)
	r.putBackRefused(keys[min(done, len(keys)):], refused)
	return err
}

// A flush writes flushChunk rows of each kind a transaction, flushPause apart.
const (
	flushChunk = 500
	flushPause = 5 * time.Millisecond
)

// markWritten notes when each of uses was written, and forgets keys not
// written for a while (unless a use of theirs waits in later).
func (r *Recorder) markWritten(uses []apikey.LastUse, later map[string]lastUse) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range uses {
		r.written[u.KeyID] = u.At
	}
	for id, w := range r.written {
		if _, pending := later[id]; !pending && time.Since(w) > 2*lastUseEvery {
			delete(r.written, id)
		}
	}
}

// mergeLast keeps the newer of each key's last uses; r.mu is held.
func (r *Recorder) mergeLast(last map[string]lastUse) {
	for id, u := range last {
		if cur, ok := r.last[id]; !ok || u.at.After(cur.at) {
			r.last[id] = u
		}
	}
}

func (r *Recorder) putBack(last map[string]lastUse, counts map[countKey]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mergeLast(last)
	for k, n := range counts {
		r.counts[k] += n
	}
}

// putBackRefused keeps the latest IP refusals of the counts not written.
func (r *Recorder) putBackRefused(keys []countKey, refused map[string]time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if at := refused[k.keyID]; k.code == apikey.CodeIPNotAllowed && at.After(r.refused[k.keyID]) {
			r.refused[k.keyID] = at
		}
	}
}

// Run flushes every interval until ctx ends, then once more, so nothing
// gathered before a shutdown is lost.
func (r *Recorder) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			// A flush cut short by the stop is retried by the final one.
			if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
				r.logger.Warn("usage flush", "err", err)
			}
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := r.Flush(final); err != nil {
				r.logger.Error("usage flush at shutdown", "err", err)
			}
			cancel()
			return
		}
	}
}
