package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/usage"
)

// countingStore is the real store whose key loads are counted once made
// and, with a gate, wait for it before answering what they read.
type countingStore struct {
	Store
	gate  chan struct{} // nil: none
	loads atomic.Int64
}

func (s *countingStore) KeyByHash(ctx context.Context, hash string) (*apikey.Key, error) {
	k, err := s.Store.KeyByHash(ctx, hash)
	s.loads.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return k, err
}

// refreshingNow tells whether the key of hash is being read ahead of
// expiry.
func (v *Verifier) refreshingNow(hash [sha256.Size]byte) bool {
	v.refreshMu.Lock()
	defer v.refreshMu.Unlock()
	_, busy := v.refreshing[hash]
	return busy
}

// waitReads waits until the store has made n reads.
func waitReads(t *testing.T, s *countingStore, n int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.loads.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d reads made, want %d", s.loads.Load(), n)
		}
	}
}

// A key in use is read again before its entry expires, in the background:
// the request that finds the entry due is answered from it at once, while
// the database is slow, and once the read is done the key is believed for
// a whole lifetime more, without a read on any request's path.
func TestKeyInUseIsReadAgainAheadOfExpiry(t *testing.T) {
	t.Parallel()
	_, db, _, secret := setup(t)
	store := &countingStore{Store: db, gate: make(chan struct{})}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	v := New(store, nil, nil, Config{RatePerSecond: 1e12, Burst: 1 << 30}, func() time.Time { return *clock.Load() })
	verify := func(after time.Duration) {
		at := now.Add(after)
		clock.Store(&at)
		if res, err := v.Verify(context.Background(), Request{Secret: secret, ClientIP: netip.MustParseAddr("10.1.2.3")}); err != nil || res.Code != Valid {
			t.Errorf("after %v: %s %v", after, res.Code, err)
		}
	}
	close(store.gate)
	verify(0) // the first read
	life := lifetime(hashSecret(secret))

	store.gate = make(chan struct{}) // reads now wait
	answered := make(chan struct{})
	go func() { verify(life - refreshAhead/2); verify(life - refreshAhead/4); close(answered) }()
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("a request waited for the read ahead of expiry")
	}
	// The read ahead of expiry is made (and waits at the gate), once.
	waitReads(t, store, 2)
	wantReads(t, store, 2, "after the second and third requests (one read ahead of expiry)")
	close(store.gate)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if !v.refreshingNow(hashSecret(secret)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the read ahead of expiry did not end")
		}
	}
	verify(life + refreshAhead) // past the first entry's life: the new one answers
	wantReads(t, store, 2, "past the first entry's life")
}

// verifyAll starts n verifications of secret at once and returns, once the
// goroutines have started, a function that waits for their codes.
func verifyAll(ctx context.Context, v *Verifier, secret string, n int) func() []string {
	codes := make([]string, n)
	var started, done sync.WaitGroup
	for i := range n {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			res, err := v.Verify(ctx, Request{Secret: secret, ClientIP: netip.MustParseAddr("10.1.2.3")})
			codes[i] = res.Code
			if err != nil {
				codes[i] = err.Error()
			}
		}()
	}
	started.Wait()
	return func() []string { done.Wait(); return codes }
}

// gated is a verifier of the setup key whose store's reads wait for its
// gate.
func gated(t *testing.T) (*Verifier, *countingStore, *store.DB, *apikey.Key, string) {
	_, db, k, secret := setup(t)
	s := &countingStore{Store: db, gate: make(chan struct{})}
	return New(s, nil, nil, Config{RatePerSecond: 1e12, Burst: 1 << 30}, nil), s, db, k, secret
}

// wantReads fails t unless the store made n reads.
func wantReads(t *testing.T, s *countingStore, n int64, when string) {
	t.Helper()
	if got := s.loads.Load(); got != n {
		t.Errorf("%s: %d reads, want %d", when, got, n)
	}
}

// wantCodes fails t unless every code is want.
func wantCodes(t *testing.T, codes []string, want string) {
	t.Helper()
	for i, code := range codes {
		if code != want {
			t.Errorf("request %d: %s, want %s", i, code, want)
		}
	}
}

// Requests that miss on the same hash at the same time share one read.
func TestConcurrentMissesShareOneRead(t *testing.T) {
	t.Parallel()
	v, store, _, _, secret := gated(t)
	wait := verifyAll(context.Background(), v, secret, 16)
	waitReads(t, store, 1)
	time.Sleep(50 * time.Millisecond) // the others reach the read meanwhile: each would make its own
	wantReads(t, store, 1, "16 requests of one key waiting")
	close(store.gate)
	wantCodes(t, wait(), Valid)
	wantReads(t, store, 1, "16 requests of one key answered")
}

// The read is not the first request's: its client leaving fails that
// request's answer, not the read the others wait for.
func TestSharedReadOutlivesTheRequestThatBeganIt(t *testing.T) {
	t.Parallel()
	v, store, _, _, secret := gated(t)
	first, leave := context.WithCancel(context.Background())
	waitFirst := verifyAll(first, v, secret, 1)
	waitReads(t, store, 1)
	waitOthers := verifyAll(context.Background(), v, secret, 4)
	time.Sleep(50 * time.Millisecond)
	leave()
	close(store.gate)
	wantCodes(t, waitFirst(), context.Canceled.Error())
	wantCodes(t, waitOthers(), Valid)
	wantReads(t, store, 1, "the first request gone, the others answered")
}

// A request that comes after a change to the key does not take the answer
// of a read begun before it: it reads again.
func TestReadBegunBeforeAChangeIsNotShared(t *testing.T) {
	t.Parallel()
	v, store, db, k, secret := gated(t)
	ctx := context.Background()
	waitBefore := verifyAll(ctx, v, secret, 1)
	waitReads(t, store, 1) // it has read the key active, and waits
	if err := db.SetKeyActive(ctx, k, false, "t", nil); err != nil {
		t.Fatal(err)
	}
	v.Forget(k)
	waitAfter := verifyAll(ctx, v, secret, 1)
	time.Sleep(50 * time.Millisecond)
	close(store.gate)
	wantCodes(t, waitBefore(), Valid) // what it read
	wantCodes(t, waitAfter(), KeyInactive)
	wantReads(t, store, 2, "one request before the change, one after")
}

// Keys due to be read ahead of expiry are read refreshesAtOnce at a time;
// the others are left to a later request, or to expire.
func TestReadsAheadOfExpiryAreBounded(t *testing.T) {
	t.Parallel()
	v, store, _, _, _ := gated(t)
	for i := range 2 * refreshesAtOnce {
		v.refresh(sha256.Sum256([]byte{byte(i)}))
	}
	// The reads wait at the gate, so none has left the set yet.
	v.refreshMu.Lock()
	n := len(v.refreshing)
	v.refreshMu.Unlock()
	if n != refreshesAtOnce {
		t.Errorf("%d keys being read ahead of expiry, want %d", n, refreshesAtOnce)
	}
	waitReads(t, store, refreshesAtOnce)
	close(store.gate)
}

// While the usage recorder holds all it may, a key not cached is read only
// once a flush has written some: its verification waits (here, until its
// client gives up), while a cached key's is answered at once.
func TestMissWaitsForUsageToBeWritten(t *testing.T) {
	t.Parallel()
	_, db, k, secret := setup(t)
	other := newSecret(t)
	if err := db.CreateKey(context.Background(), &apikey.Key{AccountID: k.AccountID, CreatedBy: "t", SecretHash: apikey.HashSecret(other),
		DisplayPrefix: apikey.DisplayPrefix(other), Settings: apikey.Settings{Name: "other", Type: apikey.TypeGeneral,
			AccessType: apikey.AccessGenerated, Active: true}}, nil); err != nil {
		t.Fatal(err)
	}
	rec := usage.New(db, nil)
	v := New(db, nil, rec, Config{RatePerSecond: 1e12, Burst: 1 << 30}, nil)
	ip := netip.MustParseAddr("10.1.2.3")
	if res, err := v.Verify(context.Background(), Request{Secret: secret, ClientIP: ip}); err != nil || res.Code != Valid {
		t.Fatalf("cached key: %s %v", res.Code, err)
	}
	for i := range usage.HoldAtMost { // keys the database does not have: the flush skips them
		rec.Record(usage.NewMeter(fmt.Sprint("key_none_", i)), "VALID", ip, time.Now())
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := v.Verify(short, Request{Secret: other, ClientIP: ip}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a key not cached was read with the recorder full: %v", err)
	}
	if res, err := v.Verify(short, Request{Secret: secret, ClientIP: ip}); err != nil || res.Code != Valid {
		t.Fatalf("a cached key waited: %s %v", res.Code, err)
	}
	// A flush's first chunk written makes room; the flush is then cut short.
	flushing, stop := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() { rec.Flush(flushing); close(flushed) }()
	defer func() { stop(); <-flushed }()
	// (That it is the flush's first chunk, not Room giving up, that lets
	// the read go is TestRoomWaitsForAFlushToWrite's to show: here the
	// time a chunk takes on a busy machine is not known.)
	later, cancelLater := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelLater()
	if res, err := v.Verify(later, Request{Secret: other, ClientIP: ip}); err != nil || res.Code != Valid {
		t.Fatalf("once the flush wrote: %s %v", res.Code, err)
	}
}

// What cannot be a secret (a generated one whose checksum fails, a custom
// one too short, anything too long) is refused without a read, however
// often it comes: the checksum, left for a miss, is asked before the read.
func TestImplausibleSecretsAreNeverRead(t *testing.T) {
	t.Parallel()
	_, db, _, secret := setup(t)
	s := &countingStore{Store: db}
	v := New(s, nil, nil, Config{RatePerSecond: 1e12, Burst: 1 << 30}, nil)
	broken := []byte(secret)
	if last := &broken[len(broken)-1]; *last == '0' { // another base-62 character: the checksum fails
		*last = '1'
	} else {
		*last = '0'
	}
	for _, bad := range []string{string(broken), strings.Repeat("c", apikey.MinCustomLen-1), strings.Repeat("c", MaxSecretLen+1)} {
		for range 2 {
			if res, err := v.Verify(context.Background(), Request{Secret: bad}); err != nil || res.Code != NotFound {
				t.Fatalf("%.12s…: %s, %v; want %s", bad, res.Code, err, NotFound)
			}
		}
	}
	wantReads(t, s, 0, "after the implausible secrets")
	if res, _ := v.Verify(context.Background(), Request{Secret: secret, ClientIP: netip.MustParseAddr("10.1.2.3")}); res.Code != Valid {
		t.Fatalf("the key itself: %s", res.Code)
	}
	wantReads(t, s, 1, "after the key itself")
}
