// Package usage counts what verification answers, per key, day and outcome,
// and per client address, and remembers when and from where each key was
// last accepted, without a database write per request: it adds up in
// memory and writes in batches.
package usage

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
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

	// The meters that gathered uses since the last flush took them; a
	// meter is listed by its first use after a take.
	listMu sync.Mutex
	listed []*Meter

	// Counts held, meters listed (len(listed), read without listMu on
	// every use), and keys taken by flushes and not yet written.
	held        atomic.Int64
	listedCount atomic.Int64
	inFlight    atomic.Int64

	// flushAt counts held make Run flush at once, through due.
	flushAt int64
	due     chan struct{}

	// holdAtMost keys, gathered and in flight together, make reads of keys
	// not cached wait (Room); freed is closed, and replaced under roomMu,
	// when a flush frees room; noRoom says that there is none.
	holdAtMost int64
	roomWait   time.Duration
	roomMu     sync.Mutex
	freed      chan struct{}
	noRoom     atomic.Bool
	// failing is set while flushes fail: waiting for room would not bring
	// any, so Room lets reads through at once.
	failing atomic.Bool
}

// Meter is where one key's uses gather between flushes, each key's with
// its own lock. Verification keeps a key's meter beside its rate limiter,
// in the key's cache entry, so recording a use looks nothing up and meets
// other keys' records on no lock (but the list's, once a flush). A key
// may have more than one meter (one dropped from verification's cache,
// then its successor): a flush adds up what they gathered, by key id.
//
// What a meter gathers is held inside it, not behind a pointer made anew
// after each flush: a key's verification then touches memory that stays
// where the key's state was first made, beside its rate limit, rather than
// wherever the allocator placed the key's uses after the last flush (a
// flush of 18,000 keys in rotation slowed every later verification).
type Meter struct {
	id     string
	mu     sync.Mutex
	listed bool   // use holds something gathered since the last take
	use    keyUse // gathered since the last take
}

// NewMeter returns a meter for the key with id.
func NewMeter(id string) *Meter {
	m := new(Meter)
	m.Init(id)
	return m
}

// Init readies a meter held inside another value, for the key with id.
// A meter must not be copied once in use.
func (m *Meter) Init(id string) {
	m.id = id
	m.use.reset()
}

// FlushEvery is how often Run writes what was gathered: a key in use costs
// a row or two a flush, some 90 µs of processor time on a million-key
// SQLite file (twice that when its last use is written too), so 18,000
// keys in use written every 10 s took a sixth of a core. The console says
// counts may be a minute behind.
const FlushEvery = time.Minute

// FlushAt is how many counts (one outcome of one key on one day) the
// recorder holds before Run flushes without waiting for its interval (with
// its addresses and last use a key takes about 210 bytes here), and the
// flush goes at full pace. That bounds memory only while the database
// keeps up: first uses, each writing its key's last use, went at about
// 5,000 keys a second on a million-key SQLite file, and keys never seen
// before came at 7,000 and more (what waited grew to some 37 MB in a
// minute); HoldAtMost bounds it when the database falls behind.
const FlushAt = 20_000

// HoldAtMost is how many keys the recorder holds, gathered and being
// written together (about 21 MB), before Room makes the reads of keys not
// cached wait for a flush to write some: a flood of keys used for the
// first time, each read from the database and then written back with its
// first use, then goes at the pace of the writes (on SQLite, some 150 µs
// of processor time a key, a third of it pages written and checkpointed),
// not faster than memory can hold. Keys cached already never wait, so the
// recorder may hold theirs besides (at most the cache's size), and the
// reads one flush's chunk lets go at once. (Keys are counted in meters: a
// key whose meter verification dropped and made again counts twice until
// the next flush.)
const HoldAtMost = 100_000

// roomWait bounds a wait for room: a database that stalls holds up no
// verification longer than this (one that fails writes, none at all);
// memory then grows past the bound while the failures are logged.
const roomWait = 2 * time.Second

type addrCount struct {
	requests, refused int
	last              stamp
}

func (a addrCount) plus(b addrCount) addrCount {
	if b.last > a.last {
		a.last = b.last
	}
	return addrCount{requests: a.requests + b.requests, refused: a.refused + b.refused, last: a.last}
}

// keyUse is what one key's meter gathered since the last flush: every kind
// of count in one place, reached from the meter (in keys in rotation, each
// separate place is a cache miss).
type keyUse struct {
	counts []dayCount // a key seldom has more than one or two
	addrs  []addrUse  // by day and address; the zero address: the others
	own    int        // addresses held one by one, at most addressesPerFlush
	last   lastUse    // the latest accepted use; zero: none
	// refused is the key's latest refusal for its client address: the
	// keys list tells refusals of the last 24 hours.
	refused stamp
	// The first counts and address are held here, beside the rest: one
	// allocation a key, and one cache miss fewer or two a verification.
	countsHere [2]dayCount
	addrsHere  [1]addrUse
}

// dayCount is a day's count of one outcome; the day as YYYYMMDD, so
// counting formats no string.
type dayCount struct {
	day  int
	code string
	n    int
}

// addrUse is a day's requests from one client address; the zero address
// stands for the addresses beyond addressesPerFlush, together.
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
	at   stamp
	from netip.Addr
}

// stamp is a moment in Unix nanoseconds, 0 for none: a third of a
// time.Time, which the recorder would hold several of for every key in use
// (under a flood of keys used for the first time, it holds many keys).
type stamp int64

func stampOf(t time.Time) stamp {
	if t.IsZero() {
		return 0
	}
	return stamp(t.UnixNano())
}

// utc is the moment s; the zero time for none.
func (s stamp) utc() time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(s)).UTC()
}

// LastUseEvery bounds how old a key's stored last use grows while the key
// is in use: a key used all the time moves its row once in its interval
// (below), not with every flush. On PostgreSQL a last use is a new version
// of the key's row with an entry in each of its indexes (about 0.14 ms a
// key), and a dead row for vacuum to clear: once a minute, a million keys
// in use would keep the database busy with nothing else. A key's first use
// (or its first after a quiet spell) is still written with the next flush.
// The database tells which were written lately (the stored last use), not
// a record here: that would grow with every key used in the interval, and
// each instance would write its own.
//
// Each key has an interval of its own, from five sixths of LastUseEvery to
// all of it (lastUseEvery): keys first used together (a fleet deployed at
// once, or every key after a restore) would otherwise write their last uses
// together again every LastUseEvery, 18,000 keys' rows in one minute on
// each return; spread, they come back over two and a half minutes, wider
// each time. A key in use is written about 9% more often than at the
// whole interval.
const LastUseEvery = 15 * time.Minute

// lastUseSpread is how much shorter than LastUseEvery a key's interval
// may be.
const lastUseSpread = LastUseEvery / 6

// lastUseEvery is the key id's own interval between written last uses:
// LastUseEvery less up to lastUseSpread, by the id's FNV-1a hash, the same
// for the key every time and in every instance.
func lastUseEvery(id string) time.Duration {
	h := uint32(2166136261)
	for i := range len(id) {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return LastUseEvery - time.Duration(float64(lastUseSpread)*float64(h)/(1<<32))
}

// New returns a Recorder writing to db.
func New(db Store, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.Default()
	}
	return &Recorder{store: db, logger: logger, flushAt: FlushAt, due: make(chan struct{}, 1),
		holdAtMost: HoldAtMost, roomWait: roomWait, freed: make(chan struct{})}
}

// Room waits, while the recorder holds HoldAtMost keys, for a flush to
// write some, roomWait at most, and not while flushes fail; it returns
// ctx's error if ctx ends first. Verification calls it before reading a
// key it has not cached: keys being recorded are then bounded by the
// pace of the writes.
func (r *Recorder) Room(ctx context.Context) error {
	if !r.noRoom.Load() || r.failing.Load() {
		return nil
	}
	timeout := time.NewTimer(r.roomWait)
	defer timeout.Stop()
	for {
		r.roomMu.Lock()
		if !r.atBound() || r.failing.Load() {
			r.roomMu.Unlock()
			return nil
		}
		freed := r.freed
		r.roomMu.Unlock()
		select {
		case <-freed:
		case <-timeout.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// atBound tells whether the recorder holds HoldAtMost keys, and notes it
// in noRoom (written only when it changes: Record asks on every use).
func (r *Recorder) atBound() bool {
	at := r.listedCount.Load()+r.inFlight.Load() >= r.holdAtMost
	if at != r.noRoom.Load() {
		r.noRoom.Store(at)
	}
	return at
}

// askFlush asks Run for a flush now.
func (r *Recorder) askFlush() {
	select {
	case r.due <- struct{}{}:
	default: // a flush is asked for already
	}
}

// wake lets the reads waiting for room go, if there is room now or
// flushes fail. Room takes freed under roomMu after finding no room, so
// room made before this call is not missed.
func (r *Recorder) wake() {
	r.roomMu.Lock()
	defer r.roomMu.Unlock()
	if !r.atBound() || r.failing.Load() {
		close(r.freed)
		r.freed = make(chan struct{})
	}
}

// Record notes, in the key's meter m, one verification from ip at at,
// answered with code; accepted ones ("VALID") also move the key's last use.
func (r *Recorder) Record(m *Meter, code string, ip netip.Addr, at time.Time) {
	y, mo, d := at.UTC().Date()
	day := y*10000 + int(mo)*100 + d
	now := stampOf(at)
	use := addrCount{requests: 1, last: now}
	if code != "VALID" {
		use.refused = 1
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := r.use(m)
	if u.addCount(day, code, 1) {
		r.held.Add(1)
	}
	// At or past a bound (counts a failed flush put back may have jumped
	// it), a flush is asked for.
	if r.atBound() || r.held.Load() >= r.flushAt {
		r.askFlush()
	}
	if code == apikey.CodeIPNotAllowed && now > u.refused {
		u.refused = now
	}
	u.addAddress(day, ip.Unmap(), use)
	if code == "VALID" && now > u.last.at {
		u.last = lastUse{at: now, from: ip}
	}
}

// use is what meter m gathered, with m listed on its first use since a
// take; m.mu is held.
func (r *Recorder) use(m *Meter) *keyUse {
	if !m.listed {
		m.listed = true
		r.listMu.Lock()
		r.listed = append(r.listed, m)
		r.listMu.Unlock()
		r.listedCount.Add(1)
	}
	return &m.use
}

// reset empties u, its first counts and address held in u itself again.
func (u *keyUse) reset() {
	*u = keyUse{}
	u.counts, u.addrs = u.countsHere[:0], u.addrsHere[:0]
}

// moveOut returns what u gathered, in a keyUse of its own, and empties u.
// The whole value is copied; only its lists are pointed at the copy's own
// room (or, grown past it, at copies of their own).
func (u *keyUse) moveOut() *keyUse {
	out := new(keyUse)
	*out = *u
	out.counts = append(out.countsHere[:0], u.counts...)
	out.addrs = append(out.addrsHere[:0], u.addrs...)
	u.reset()
	return out
}

// addCount adds n to u's count of code on day, and tells whether that
// count is a new one.
func (u *keyUse) addCount(day int, code string, n int) bool {
	for i := range u.counts {
		if c := &u.counts[i]; c.day == day && c.code == code {
			c.n += n
			return false
		}
	}
	u.counts = append(u.counts, dayCount{day: day, code: code, n: n})
	return true
}

// add adds what from gathered to u, and tells how many counts are new.
func (u *keyUse) add(from *keyUse) (added int) {
	if from.last.at > u.last.at {
		u.last = from.last
	}
	if from.refused > u.refused {
		u.refused = from.refused
	}
	for _, c := range from.counts {
		if u.addCount(c.day, c.code, c.n) {
			added++
		}
	}
	for _, a := range from.addrs {
		u.addAddress(a.day, a.addr, a.n)
	}
	return added
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
	hurry := r.held.Load() >= r.flushAt // the bound's flush: it hurries from its first chunk
	gathered := r.take()
	// In key order, not the map's: a chunk's rows then share pages wherever
	// they are ordered by the key's id (the keys' primary key, the usage
	// tables), so a transaction writes such a page once for many rows. On
	// a seeded file, whose ids, names and rows share one order, a last use
	// in a random order cost 2.6 to 3 times as much (BenchmarkUsageFlush).
	ids := slices.Sorted(maps.Keys(gathered))
	// flushChunk keys at a time, each chunk its own transaction, with a
	// pause between: a flush of many keys then shares the processor with
	// the requests being served, rather than taking it for seconds at once.
	done := 0
	var err error
	for done < len(ids) {
		end := min(done+flushChunk, len(ids))
		began := time.Now()
		if err = r.store.RecordUsageBatch(ctx, batch(ids[done:end], gathered, !all)); err != nil {
			break
		}
		r.written(ids[done:end], gathered)
		if done = end; done < len(ids) && !all {
			select {
			case <-time.After(r.pause(time.Since(began), hurry)):
			case <-ctx.Done():
				err = ctx.Err()
			}
			if err != nil {
				break
			}
		}
	}
	// The keys not written go back, to be tried with the next flush; the
	// reads waiting for room go if there is some, or if writes fail.
	r.failing.Store(err != nil && ctx.Err() == nil)
	r.putBack(ids[done:], gathered)
	return err
}

// taken is what a flush took of one key: what its meters gathered, added
// up, and one of them, to put it back into if the write fails.
type taken struct {
	*keyUse
	meter *Meter
}

// take empties every listed meter, and returns what they gathered by key
// id, in flight until written or put back.
func (r *Recorder) take() map[string]taken {
	r.listMu.Lock()
	meters := r.listed
	r.listed = nil
	r.listMu.Unlock()
	gathered := make(map[string]taken, len(meters))
	for _, m := range meters {
		m.mu.Lock()
		u := m.use.moveOut()
		m.listed = false
		m.mu.Unlock()
		r.held.Add(-int64(len(u.counts)))
		if t, ok := gathered[m.id]; ok {
			t.add(u)
		} else {
			gathered[m.id] = taken{u, m}
		}
	}
	r.inFlight.Add(int64(len(gathered)))
	r.listedCount.Add(-int64(len(meters)))
	return gathered
}

// written lets go of what the keys ids gathered, now in the database.
func (r *Recorder) written(ids []string, gathered map[string]taken) {
	for _, id := range ids {
		delete(gathered, id)
	}
	r.inFlight.Add(-int64(len(ids)))
	r.wake()
}

// batch is what the keys ids gathered, as rows to write; each last use
// only where the stored one is older than the key's interval when spaced
// (see LastUseEvery), or older at all when not.
func batch(ids []string, gathered map[string]taken, spaced bool) apikey.UsageBatch {
	var b apikey.UsageBatch
	for _, id := range ids {
		u := gathered[id]
		if u.last.at != 0 {
			use := apikey.LastUse{KeyID: id, At: u.last.at.utc()}
			if u.last.from.IsValid() {
				use.From = u.last.from.String()
			}
			if spaced {
				use.Every = lastUseEvery(id)
			}
			b.LastUses = append(b.LastUses, use)
		}
		for _, c := range u.counts {
			row := apikey.UsageCount{KeyID: id, Day: dayText(c.day), Code: c.code, Count: c.n}
			if c.code == apikey.CodeIPNotAllowed {
				row.Latest = u.refused.utc()
			}
			b.Counts = append(b.Counts, row)
		}
		for _, a := range u.addrs {
			address := apikey.OtherAddresses
			if a.addr.IsValid() {
				address = a.addr.String()
			}
			b.Addresses = append(b.Addresses, apikey.AddressUse{KeyID: id, Day: dayText(a.day), Address: address,
				Requests: a.n.requests, Refused: a.n.refused, LastSeen: a.n.last.utc()})
		}
	}
	return b
}

// dayText formats a day held as YYYYMMDD as YYYY-MM-DD.
func dayText(day int) string {
	return fmt.Sprintf("%04d-%02d-%02d", day/10000, day/100%100, day%100)
}

// A flush writes flushChunk keys' rows a transaction (up to a tenth of a
// second on a million-key SQLite file, where each last use moves entries in
// two indexes), at least flushPause apart, taking about 1/flushShare of a
// processor.
const (
	flushChunk = 500
	flushPause = 5 * time.Millisecond
	flushShare = 10
)

// pause is how long a flush waits after a chunk that took took: nine times
// as long, so that a flush takes about a tenth of a processor from the
// requests being served (the first flush after 18,000 keys were used took
// some 2.7 s of PostgreSQL's processor time: at half a processor, as it
// was paced before, it showed in the tail of every request of those
// seconds), unless uses have gathered past the bound meanwhile: then the
// flush catches up, as memory comes first; so does a flush that the bound
// began (hurry).
func (r *Recorder) pause(took time.Duration, hurry bool) time.Duration {
	if hurry || r.held.Load() >= r.flushAt {
		return flushPause
	}
	return max(flushPause, took*(flushShare-1))
}

// putBack returns what the keys ids gathered and a flush did not write,
// added to what they gathered since; the addresses go back under the same
// bound as new ones.
func (r *Recorder) putBack(ids []string, gathered map[string]taken) {
	defer r.wake()
	r.inFlight.Add(-int64(len(ids))) // counted again as they are gathered
	for _, id := range ids {
		t := gathered[id]
		t.meter.mu.Lock()
		r.held.Add(int64(r.use(t.meter).add(t.keyUse)))
		t.meter.mu.Unlock()
	}
}

// Run flushes every interval, and whenever FlushAt counts are held, until
// ctx ends, then once more, so nothing gathered before a shutdown is lost.
func (r *Recorder) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var retry time.Duration // the last wait after a failed flush
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
		// A flush cut short by the stop is retried by the final one. A
		// failed one is retried after a second, then after twice as long
		// each time, up to the interval: a database refusing writes is not
		// asked again with every use.
		if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.logger.Warn("usage flush", "err", err)
			retry = min(max(2*retry, time.Second), interval)
			select {
			case <-time.After(retry):
			case <-ctx.Done():
			}
		} else {
			retry = 0
		}
	}
}
