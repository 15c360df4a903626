package verify

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"keyconsole/internal/apikey"
	"keyconsole/internal/usage"
)

// The cache remembers, by secret hash, the keys verification read, and the
// hashes no key has. It is bounded (the least useful entries go first) and
// a change to a key costs O(1) whatever its size: entries are never looked
// for, they carry the change counter of when their load began, and an
// entry older than its key's newest change, or than the last reset, is
// not believed.
type cache struct {
	entries *otter.Cache[[sha256.Size]byte, entry]
	keys    *otter.Cache[string, *keyState] // by key id

	seq       atomic.Uint64 // counts changes and resets
	reset     atomic.Uint64 // seq of the last reset
	anyChange atomic.Uint64 // seq of the newest change: unknown hashes read before it may be a new secret
	changed   sync.Map      // key id → change: the key's newest
	nextPrune atomic.Int64  // Unix nanoseconds: when changed is next pruned
}

// keyState is what verification keeps of a key across its entries and
// reloads: its rate limit and the meter its uses gather in, side by side
// in one allocation (with keys in rotation, each separate place a
// verification touches is a cache miss).
type keyState struct {
	lim limiter
	use usage.Meter
}

// loaded is a key as one load read it, with what callers keep ready of it
// (its memo), in one allocation.
type loaded struct {
	key   apikey.Key
	times [3]time.Time // the key's times, pointed at by its fields (pack)
	memo  Memo
}

type entry struct {
	*loaded // nil: no key has this hash
	// The key's state, from keys when the entry was stored: a
	// verification of a cached key then finds it with the key, in one
	// look-up (with keys in rotation, each look-up is a cache miss or two).
	st *keyState
	// previous: the hash is the key's previous secret, not its current
	// one (told once, when stored: comparing on every verification would
	// read the key's hash text, with keys in rotation another cache miss).
	previous bool
	seq      uint64 // the counter when the load began
	at       time.Time
}

type change struct {
	seq uint64
	at  time.Time
}

// How long an entry is believed at most. Changes reach the cache at once
// (and from other instances within milliseconds, from a durable, ordered
// feed), so this only bounds the harm of a change missed altogether: one
// made to the database by hand. Each key in use is read again once a
// lifetime (less refreshAhead), so a short one costs the database reads
// and the server the processor time of reading and decoding them: at two
// minutes, 18,000 keys in use cost about 210 reads a second, at ten about
// 45. Unknown hashes are kept briefly: floods of made-up keys then cost
// memory, not database reads.
const (
	positiveLifetime = 10 * time.Minute
	// Each key's entry lives from three quarters of positiveLifetime to all
	// of it, by its hash: keys loaded together (after a start, by a burst of
	// clients) do not all expire, and reload, in the same instant.
	lifetimeSpread = positiveLifetime / 4
	// In the last refreshAhead of its life, a key's entry is still believed
	// and the key is read again in the background: a key used at least this
	// often is read on a request's path (which a read would stall) only when
	// every slot for such reads stays busy until its entry expires.
	refreshAhead     = 2 * time.Minute
	negativeLifetime = 5 * time.Second
	// DefaultCacheSize is how many secret hashes verification remembers
	// (a cached key holds about 1 KiB): it covers 50,000 distinct keys in
	// use every ten minutes.
	DefaultCacheSize = 50_000
)

func newCache(size int) *cache {
	return &cache{
		entries: otter.Must(&otter.Options[[sha256.Size]byte, entry]{MaximumSize: size}),
		keys:    otter.Must(&otter.Options[string, *keyState]{MaximumSize: size}),
	}
}

// begin is the counter to store a load with: read before the load, so a
// change made during it makes the stored entry stale.
func (c *cache) begin() uint64 { return c.seq.Load() }

// get returns the entry of hash (key nil: no key has it), whether the
// cache knows at all, and whether a known key is due to be read again (its
// entry is in the last refreshAhead of its life).
func (c *cache) get(hash [sha256.Size]byte, now time.Time) (e entry, known, due bool) {
	e, ok := c.entries.GetIfPresent(hash)
	if !ok || c.stale(e.keyOf(), e.seq) {
		return entry{}, false, false
	}
	if e.loaded == nil {
		return entry{}, now.Sub(e.at) < negativeLifetime, false
	}
	life, age := lifetime(hash), now.Sub(e.at)
	if age >= life {
		return entry{}, false, false
	}
	return e, true, age >= life-refreshAhead
}

// stale tells whether what a read begun at seq found (k nil: no key) may
// predate a change: a reset since, a change to the key or, for a hash no
// key had, a change to any key (it may be a new secret). Only a read older
// than the newest change of any key can be: the look-up by id is skipped
// for the rest.
func (c *cache) stale(k *apikey.Key, seq uint64) bool {
	switch {
	case seq < c.reset.Load():
		return true
	case seq >= c.anyChange.Load():
		return false
	case k == nil:
		return true
	}
	ch, ok := c.changed.Load(k.ID)
	return ok && ch.(change).seq > seq
}

// lifetime is how long the entry of hash is believed: the hash, uniform
// over its bytes, spreads the entries over lifetimeSpread.
func lifetime(hash [sha256.Size]byte) time.Duration {
	return positiveLifetime - time.Duration(binary.LittleEndian.Uint16(hash[:]))*lifetimeSpread>>16
}

// keyOf is the entry's key; nil: no key has its hash.
func (e entry) keyOf() *apikey.Key {
	if e.loaded == nil {
		return nil
	}
	return &e.key
}

// put remembers what a load begun at seq found (k nil: nothing), with the
// key's state, and returns the entry. The key is packed next to its memo.
func (c *cache) put(hash [sha256.Size]byte, k *apikey.Key, st *keyState, seq uint64, now time.Time) entry {
	e := entry{st: st, previous: isPrevious(k, hash), seq: seq, at: now}
	if k != nil {
		e.loaded = pack(k)
	}
	c.entries.Set(hash, e)
	return e
}

// isPrevious tells whether hash is key k's previous secret rather than its
// current one.
func isPrevious(k *apikey.Key, hash [sha256.Size]byte) bool {
	if k == nil {
		return false
	}
	var hexHash [2 * sha256.Size]byte
	hex.Encode(hexHash[:], hash[:])
	return k.SecretHash != string(hexHash[:])
}

// forget makes every entry of key id, and every unknown hash, stale.
func (c *cache) forget(id string, now time.Time) {
	n := c.seq.Add(1)
	c.changed.Store(id, change{seq: n, at: now})
	c.anyChange.Store(n)
	// Now and then, by whichever change comes first after the time.
	if next := c.nextPrune.Load(); now.UnixNano() >= next && c.nextPrune.CompareAndSwap(next, now.Add(keepChanges).UnixNano()) {
		go c.prune(now)
	}
}

// keepChanges is how long a change is remembered: as long as the entry of
// a read begun before it can live. Such a read may end readTimeout after
// the change, and its entry is stamped when it ends.
const keepChanges = positiveLifetime + readTimeout

// prune forgets changes older than any entry read before them can be:
// those entries have expired anyway.
func (c *cache) prune(now time.Time) {
	c.changed.Range(func(id, ch any) bool {
		if now.Sub(ch.(change).at) > keepChanges {
			c.changed.CompareAndDelete(id, ch)
		}
		return true
	})
}

// clear makes every entry stale.
func (c *cache) clear() { c.reset.Store(c.seq.Add(1)) }
