package verify

import (
	"sync"

	"keyconsole/internal/apikey"
)

// Memo is what a caller makes once of a cached key and reuses while the
// key stays cached: the verify endpoint keeps its answer for a valid key
// here. It lives beside the key's copy, so a verification of a key in
// rotation reads the answer from memory it has just touched. A change to
// the key loads it anew, with an empty memo, so a memo never outlives what
// it was made of. The secret is never part of it.
type Memo struct {
	once sync.Once
	out  []byte
	room [memoRoom]byte // out's first bytes: no allocation of their own
}

// memoRoom holds a usual answer (id, account, a few roles, an expiry).
const memoRoom = 256

// Bytes returns what render appended, once, for key k; later calls return
// the same bytes, which the caller must not change. A nil Memo (a result
// no cache entry stands behind) makes them each time.
func (m *Memo) Bytes(k *apikey.Key, render func(dst []byte, k *apikey.Key) []byte) []byte {
	if m == nil {
		return render(nil, k)
	}
	m.once.Do(func() { m.out = render(m.room[:0], k) })
	return m.out
}
