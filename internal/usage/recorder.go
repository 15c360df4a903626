// Package usage counts what verification answers, per key, day and outcome,
// and per client address, and remembers when and from where each key was
// last accepted, without a database write per request: it adds up in
// memory and writes in batches.
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

// Store is where uses are written, each batch in one transaction.
type Store interface {
	RecordUsageBatch(ctx context.Context, b apikey.UsageBatch) error
}

// Recorder gathers uses in memory until Flush writes them.
type Recorder struct {
	store  Store
	logger *slog.Logger

	mu   sync.Mutex
	keys map[string]*keyUse // what each key gathered since the last flush
	held int                // counts held, over every key

	// flushAt counts held make Run flush at once, through due.
	flushAt int
	due     chan struct{}
}

// FlushEvery is how often Run writes what was gathered: a key in use costs
// a row or two a flush, some 90 µs of processor time on a million-key
// SQLite file (twice that when its last use is written too), so 18,000
// keys in use written every 10 s took a sixth of a core. The console says
// counts may be a minute behind.
const FlushEvery = time.Minute

// FlushAt is how many counts (one outcome of one key on one day) the
// recorder holds before Run flushes without waiting for its interval: with
// its addresses and last use a key takes a few hundred bytes here, so
// memory stays bounded however many keys are in use between two flushes.
const FlushAt = 20_000

// countKey is a day's count of one outcome of one key; the day as
// YYYYMMDD, so counting formats no string.
type countKey struct {
	keyID string
	day   int
	code  string
}

// addrKey is a day's requests of one key from one client address; the zero
// address stands for the addresses beyond addressesPerFlush, together.
type addrKey struct {
	keyID string
	day   int
	addr  netip.Addr
}

type addrCount struct {
	requests, refused int
	last              time.Time
}

func (a addrCount) plus(b addrCount) addrCount {
	if b.last.After(a.last) {
		a.last = b.last
	}
	return addrCount{requests: a.requests + b.requests, refused: a.refused + b.refused, last: a.last}
}

// keyUse is what one key gathered since the last flush, found with one map
// look-up a verification (in keys in rotation, a look-up is a cache miss
// or two: one map a key, not one a kind of count).
type keyUse struct {
	counts []dayCount // a key seldom has more than one or two
	addrs  []addrUse  // by day and address; the zero address: the others
	own    int        // addresses held one by one, at most addressesPerFlush
	last   lastUse    // the latest accepted use; zero: none
	// refused is the key's latest refusal for its client address: the
	// keys list tells refusals of the last 24 hours.
	refused time.Time
}

type dayCount struct {
	day  int
	code string
	n    int
}

type addrUse struct {
	day  int
	addr netip.Addr
	n    addrCount
}

// addressesPerFlush bounds the addresses a key keeps one by one between two
// flushes; requests from more are counted together. Someone rotating
// through addresses (free with IPv6) then costs at most this many entries
// a key in memory. A flush comes every minute at most: a key's regular
// clients are seldom more than this many in that time, and the table keeps
// only store.AddressesPerDay a day anyway.
const addressesPerFlush = 50

// lastUse is a key's last accepted use; the address is formatted only when
// written, not on every verification.
type lastUse struct {
	at   time.Time
	from netip.Addr
}

// LastUseEvery bounds how often a key's last use is written: a key used
// all the time moves its row once in this time, not with every flush. On
// PostgreSQL a last use is a new version of the key's row with an entry in
// each of its indexes (about 0.14 ms a key): once a minute, a million keys
// in use would keep the database busy with nothing else. A key's first use
// (or its first after a quiet spell) is still written with the next flush.
// The database tells which were written lately (the stored last use), not
// a record here: that would grow with every key used in the interval, and
// each instance would write its own.
const LastUseEvery = 15 * time.Minute

// New returns a Recorder writing to db.
func New(db Store, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.Default()
	}
	return &Recorder{store: db, logger: logger, keys: map[string]*keyUse{}, flushAt: FlushAt, due: make(chan struct{}, 1)}
}

// Record notes one verification of key keyID from ip at at, answered with
// code; accepted ones ("VALID") also move the key's last use.
func (r *Recorder) Record(keyID, code string, ip netip.Addr, at time.Time) {
	y, m, d := at.UTC().Date()
	day := y*10000 + int(m)*100 + d
	use := addrCount{requests: 1, last: at}
	if code != "VALID" {
		use.refused = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.use(keyID)
	r.addCount(u, day, code, 1)
	// At or past the bound (counts a failed flush put back may have
	// jumped it), a flush is asked for.
	if r.held >= r.flushAt {
		select {
		case r.due <- struct{}{}:
		default: // a flush is asked for already
		}
	}
	if code == apikey.CodeIPNotAllowed && at.After(u.refused) {
		u.refused = at
	}
	u.addAddress(day, ip.Unmap(), use)
	if code == "VALID" && at.After(u.last.at) {
		u.last = lastUse{at: at, from: ip}
	}
}

// use is what key id gathered, made on its first use; r.mu is held.
func (r *Recorder) use(id string) *keyUse {
	u := r.keys[id]
	if u == nil {
		u = &keyUse{}
		r.keys[id] = u
	}
	return u
}

// addCount adds n to u's count of code on day; r.mu is held.
func (r *Recorder) addCount(u *keyUse, day int, code string, n int) {
	for i := range u.counts {
		if c := &u.counts[i]; c.day == day && c.code == code {
			c.n += n
			return
		}
	}
	u.counts = append(u.counts, dayCount{day: day, code: code, n: n})
	r.held++
}

// addAddress adds n to the key's day from addr, or, when the key already
// holds addressesPerFlush other addresses (or the address is not known),
// to its day's other addresses.
func (u *keyUse) addAddress(day int, addr netip.Addr, n addrCount) {
	i := u.addrIndex(day, addr)
	if i < 0 && addr.IsValid() {
		if u.own >= addressesPerFlush {
			addr = netip.Addr{}
			i = u.addrIndex(day, addr)
		} else {
			u.own++
		}
	}
	if i < 0 {
		u.addrs = append(u.addrs, addrUse{day: day, addr: addr, n: n})
		return
	}
	u.addrs[i].n = u.addrs[i].n.plus(n)
}

func (u *keyUse) addrIndex(day int, addr netip.Addr) int {
	for i, a := range u.addrs {
		if a.day == day && a.addr == addr {
			return i
		}
	}
	return -1
}

// Flush writes what was gathered since the last flush. On failure the batch
// is put back, to be tried again with the next one.
func (r *Recorder) Flush(ctx context.Context) error { return r.flush(ctx, false) }

// FlushAll is Flush at a stop: the last uses are written even where the
// stored one is recent, and without pauses, as nothing comes after it.
func (r *Recorder) FlushAll(ctx context.Context) error { return r.flush(ctx, true) }

func (r *Recorder) flush(ctx context.Context, all bool) error {
	r.mu.Lock()
	gathered := r.keys
	r.keys, r.held = map[string]*keyUse{}, 0
	r.mu.Unlock()
	last, counts, addrs, refused := spread(gathered)
	if len(last) == 0 && len(counts) == 0 && len(addrs) == 0 {
		return nil
	}
	uses := make([]apikey.LastUse, 0, len(last))
	for id, u := range last {
		from := ""
		if u.from.IsValid() {
			from = u.from.String()
		}
		uses = append(uses, apikey.LastUse{KeyID: id, At: u.at, From: from})
	}
	every := LastUseEvery
	if all {
		every = 0
	}
	keys := make([]countKey, 0, len(counts))
	rows := make([]apikey.UsageCount, 0, len(counts))
	for k, n := range counts {
		keys = append(keys, k)
		row := apikey.UsageCount{KeyID: k.keyID, Day: dayText(k.day), Code: k.code, Count: n}
		if k.code == apikey.CodeIPNotAllowed {
			row.Latest = refused[k.keyID]
		}
		rows = append(rows, row)
	}
	addrKeys, addrRows := addressRows(addrs)
	// A chunk at a time, each its own transaction, with a pause between: a
	// flush of many keys then shares the processor with the requests being
	// served, rather than taking it for seconds at once.
	n, done := max(len(uses), len(rows), len(addrRows)), 0
	var err error
	for done < n {
		end := min(done+flushChunk, n)
		b := apikey.UsageBatch{LastUses: part(uses, done, end), LastUseEvery: every, Counts: part(rows, done, end), Addresses: part(addrRows, done, end)}
		began := time.Now()
		if err = r.store.RecordUsageBatch(ctx, b); err != nil {
			break
		}
		if done = end; done < n && !all {
			select {
			case <-time.After(r.pause(time.Since(began))):
			case <-ctx.Done():
				err = ctx.Err()
			}
			if err != nil {
				break
			}
		}
	}
	// What is not written goes back, to be tried with the next flush.
	unwritten := map[string]lastUse{}
	for _, u := range uses[min(done, len(uses)):] {
		unwritten[u.KeyID] = last[u.KeyID]
	}
	rest := map[countKey]int{}
	for _, k := range keys[min(done, len(keys)):] {
		rest[k] = counts[k]
	}
	restAddrs := map[addrKey]addrCount{}
	for _, k := range addrKeys[min(done, len(addrKeys)):] {
		restAddrs[k] = addrs[k]
	}
	r.putBack(unwritten, rest, restAddrs)
	r.putBackRefused(keys[min(done, len(keys)):], refused)
	return err
}

// part is s[from:to], cut to s's length.
func part[T any](s []T, from, to int) []T {
	return s[min(from, len(s)):min(to, len(s))]
}

// dayText formats a day held as YYYYMMDD as YYYY-MM-DD.
func dayText(day int) string {
	return fmt.Sprintf("%04d-%02d-%02d", day/10000, day/100%100, day%100)
}

// addressRows lists addrs as rows to write, with their keys in the same order.
func addressRows(addrs map[addrKey]addrCount) ([]addrKey, []apikey.AddressUse) {
	keys := make([]addrKey, 0, len(addrs))
	rows := make([]apikey.AddressUse, 0, len(addrs))
	for k, n := range addrs {
		address := apikey.OtherAddresses
		if k.addr.IsValid() {
			address = k.addr.String()
		}
		keys = append(keys, k)
		rows = append(rows, apikey.AddressUse{KeyID: k.keyID, Day: dayText(k.day), Address: address,
			Requests: n.requests, Refused: n.refused, LastSeen: n.last})
	}
	return keys, rows
}

// A flush writes flushChunk rows of each kind a transaction (up to a tenth
// of a second on a million-key SQLite file, where each last use moves
// entries in two indexes), at least flushPause apart.
const (
	flushChunk = 500
	flushPause = 5 * time.Millisecond
)

// pause is how long a flush waits after a chunk that took took: as long
// again, so that a flush takes at most half a processor from the requests
// being served (the first flush after 18,000 keys were used took 4 s of
// processor time at once, and the requests of those seconds waited behind
// it), unless uses have gathered past the bound meanwhile: then the flush
// catches up, as memory comes first.
func (r *Recorder) pause(took time.Duration) time.Duration {
	r.mu.Lock()
	behind := r.held >= r.flushAt
	r.mu.Unlock()
	if behind {
		return flushPause
	}
	return max(flushPause, took)
}

// spread lists what the keys gathered by kind, as a flush writes it.
func spread(keys map[string]*keyUse) (last map[string]lastUse, counts map[countKey]int, addrs map[addrKey]addrCount, refused map[string]time.Time) {
	last, counts, addrs, refused = map[string]lastUse{}, map[countKey]int{}, map[addrKey]addrCount{}, map[string]time.Time{}
	for id, u := range keys {
		if !u.last.at.IsZero() {
			last[id] = u.last
		}
		if !u.refused.IsZero() {
			refused[id] = u.refused
		}
		for _, c := range u.counts {
			counts[countKey{id, c.day, c.code}] = c.n
		}
		for _, a := range u.addrs {
			addrs[addrKey{id, a.day, a.addr}] = a.n
		}
	}
	return last, counts, addrs, refused
}

// putBack returns what a flush did not write; the addresses go back under
// the same bound as new ones.
func (r *Recorder) putBack(last map[string]lastUse, counts map[countKey]int, addrs map[addrKey]addrCount) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, l := range last {
		if u := r.use(id); l.at.After(u.last.at) {
			u.last = l
		}
	}
	for k, n := range counts {
		r.addCount(r.use(k.keyID), k.day, k.code, n)
	}
	for k, n := range addrs {
		r.use(k.keyID).addAddress(k.day, k.addr, n)
	}
}

// putBackRefused keeps the latest IP refusals of the counts not written.
func (r *Recorder) putBackRefused(keys []countKey, refused map[string]time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if at := refused[k.keyID]; k.code == apikey.CodeIPNotAllowed && at.After(r.use(k.keyID).refused) {
			r.use(k.keyID).refused = at
		}
	}
}

// Run flushes every interval, and whenever FlushAt counts are held, until
// ctx ends, then once more, so nothing gathered before a shutdown is lost.
func (r *Recorder) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-r.due:
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := r.FlushAll(final); err != nil {
				r.logger.Error("usage flush at shutdown", "err", err)
			}
			cancel()
			return
		}
		// A flush cut short by the stop is retried by the final one.
		if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.logger.Warn("usage flush", "err", err)
		}
	}
}
