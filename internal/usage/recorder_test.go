package usage

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/servicetest"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

func TestFlushKeepsBatchOnFailure(t *testing.T) {
	ctx := context.Background()
	path := storetest.DSN(t)
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := db.RootAccount(ctx)
	k := newKey(t, db, root.ID, "k")
	r := New(db, nil)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	r.Record(r.meter(k.ID), "VALID", netip.MustParseAddr("192.0.2.1"), at)
	r.Record(r.meter(k.ID), "VALID", netip.MustParseAddr("192.0.2.2"), at.Add(time.Minute))
	r.Record(r.meter(k.ID), "KEY_EXPIRED", netip.MustParseAddr("192.0.2.3"), at.Add(2*time.Minute))
	db.Close()
	if err := r.Flush(ctx); err == nil {
		t.Fatal("flush to a closed database succeeded")
	}
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r.store = db
	r.Record(r.meter(k.ID), "VALID", netip.MustParseAddr("192.0.2.9"), at.Add(-time.Hour)) // older: does not move the last use back
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The addresses were kept with the batch, and counted once.
	wantWritten(t, db, k.ID, "last 10:01:00 from 192.0.2.2; KEY_EXPIRED 1, VALID 3; "+
		"192.0.2.1 1/0, 192.0.2.2 1/0, 192.0.2.3 1/1, 192.0.2.9 1/0")
}

// wantWritten fails t unless writtenUsage of key id is want.
func wantWritten(t *testing.T, db *store.DB, id, want string) {
	t.Helper()
	if got := writtenUsage(t, db, id); got != want {
		t.Fatalf("written %q, want %q", got, want)
	}
}

// writtenUsage says key id's stored last use (time of day and address),
// its counts of 2026-05-01 by code, and its addresses since the day before.
func writtenUsage(t *testing.T, db *store.DB, id string) string {
	t.Helper()
	ctx := context.Background()
	k, err := db.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := "none"
	if k.LastUsedAt != nil {
		last = k.LastUsedAt.UTC().Format("15:04:05") + " from " + k.LastUsedFrom
	}
	counts, _ := db.KeyUsage(ctx, id, "2026-05-01")
	total := map[string]int{}
	for _, c := range counts {
		total[c.Code] += c.Count
	}
	var codes []string
	for code, n := range total {
		codes = append(codes, fmt.Sprint(code, " ", n))
	}
	slices.Sort(codes)
	addrs, _ := db.KeyAddresses(ctx, id, "2026-04-30", 10)
	return "last " + last + "; " + strings.Join(codes, ", ") + "; " + addressText(addrs)
}

// TestMetersOfOneKeyAddUp: a key may have two meters (its state dropped
// from verification's cache while holding uses, then made again); a flush
// writes what both gathered as the key's, once, the latest last use and
// refusal of either, and a meter a flush took gathers again for the next.
func TestMetersOfOneKeyAddUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	k := newKey(t, db, root.ID, "k")
	r := New(db, nil)
	dropped, made := NewMeter(k.ID), NewMeter(k.ID)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	// dropped is listed first: the flush adds made's uses to its.
	r.Record(dropped, "VALID", netip.MustParseAddr("192.0.2.1"), at.Add(time.Minute))
	r.Record(dropped, "KEY_EXPIRED", netip.MustParseAddr("192.0.2.2"), at)
	r.Record(dropped, "IP_NOT_ALLOWED", netip.MustParseAddr("192.0.2.2"), at)
	r.Record(made, "VALID", netip.MustParseAddr("192.0.2.1"), at)
	r.Record(made, "VALID", netip.MustParseAddr("192.0.2.3"), at.Add(90*time.Second))
	r.Record(made, "IP_NOT_ALLOWED", netip.MustParseAddr("192.0.2.4"), at.Add(30*time.Minute))
	if err := r.FlushAll(ctx); err != nil {
		t.Fatal(err)
	}
	wantWritten(t, db, k.ID, "last 10:01:30 from 192.0.2.3; IP_NOT_ALLOWED 2, KEY_EXPIRED 1, VALID 3; "+
		"192.0.2.1 2/0, 192.0.2.2 2/2, 192.0.2.3 1/0, 192.0.2.4 1/1")
	// The latest refusal is made's: a key refused within the window ending
	// just before its time plus the window, not one ending at the earlier.
	justBefore := at.Add(30*time.Minute + apikey.IPRefusedWithin - time.Second)
	counts, err := db.CountAttention(ctx, apikey.KeyQuery{AccountIDs: []string{root.ID}, Now: justBefore},
		[]apikey.Attention{apikey.AttentionIPRefused}, 10)
	if err != nil || counts[0].Count != 1 {
		t.Fatalf("keys refused lately: %v, %v", counts, err)
	}
	r.Record(dropped, "VALID", netip.MustParseAddr("192.0.2.3"), at.Add(2*time.Minute))
	if err := r.FlushAll(ctx); err != nil {
		t.Fatal(err)
	}
	wantWritten(t, db, k.ID, "last 10:02:00 from 192.0.2.3; IP_NOT_ALLOWED 2, KEY_EXPIRED 1, VALID 4; "+
		"192.0.2.1 2/0, 192.0.2.2 2/2, 192.0.2.3 2/0, 192.0.2.4 1/1")
	if n := r.heldKeys(); n != 0 || r.held.Load() != 0 {
		t.Fatalf("%d keys and %d counts held after the flushes", n, r.held.Load())
	}
}

// TestUsesDuringFlushesCountedOnce: uses recorded while flushes take the
// meters (a shared key's from every worker, and each worker's own key's)
// are each written once: none lost by a take, none written twice, and
// nothing left counted as held.
func TestUsesDuringFlushesCountedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := servicetest.Open(t)
	root, _ := db.RootAccount(ctx)
	const workers, each = 4, 2000
	shared := newKey(t, db, root.ID, "shared")
	own := make([]*apikey.Key, workers)
	for w := range own {
		own[w] = newKey(t, db, root.ID, fmt.Sprint("own ", w))
	}
	r := New(db, nil)
	sharedMeter := NewMeter(shared.ID)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	ip := netip.MustParseAddr("192.0.2.1")
	done := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := r.FlushAll(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			m := NewMeter(own[w].ID)
			for range each {
				r.Record(sharedMeter, "VALID", ip, at)
				r.Record(m, "VALID", ip, at)
			}
		})
	}
	wg.Wait()
	close(done)
	<-flushed
	if err := r.FlushAll(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range append(own, shared) {
		want := each
		if k == shared {
			want = workers * each
		}
		counts, _ := db.KeyUsage(ctx, k.ID, "2026-05-01")
		if len(counts) != 1 || counts[0].Count != want {
			t.Fatalf("%s: counts %+v, want %d", k.Name, counts, want)
		}
	}
	if n := r.heldKeys(); n != 0 || r.held.Load() != 0 {
		t.Fatalf("%d keys and %d counts held after the last flush", n, r.held.Load())
	}
}

// addressText says each address with its requests and refusals, sorted.
func addressText(addrs []apikey.AddressUse) string {
	var out []string
	for _, a := range addrs {
		name := a.Address
		if name == apikey.OtherAddresses {
			name = "others"
		}
		out = append(out, fmt.Sprintf("%s %d/%d", name, a.Requests, a.Refused))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// A key used all the time moves its last use once in its interval (at
// most LastUseEvery), not with every flush; its counts are written every
// time; the flush at a stop writes the last use that waits.
func TestLastUseWrittenOncePerInterval(t *testing.T) {
	ctx := context.Background()
	db, root := servicetest.Open(t)
	k := newKey(t, db, root.ID, "busy")
	r := New(db, nil)
	at := time.Now().UTC().Truncate(time.Second)
	if next := at.Truncate(24 * time.Hour).Add(24 * time.Hour); next.Sub(at) < 2*LastUseEvery {
		at = next.Add(time.Second) // all uses on one day, for the count below
	}
	lastUse := func() time.Time {
		t.Helper()
		got, _ := db.Key(ctx, k.ID)
		if got.LastUsedAt == nil {
			return time.Time{}
		}
		return *got.LastUsedAt
	}
	every := lastUseEvery(k.ID).Truncate(time.Second)        // whole seconds: times are stored to the microsecond
	soon, past := every-30*time.Second, every+30*time.Second // either side of the key's interval
	for i, step := range []struct {
		after time.Duration
		want  time.Duration // the last use stored after the flush
		stop  bool
	}{{0, 0, false}, {10 * time.Second, 0, false}, {soon, 0, false}, {past, past, false},
		{past + 10*time.Second, past, false}, {past + 20*time.Second, past + 20*time.Second, true}} {
		r.Record(r.meter(k.ID), "VALID", netip.MustParseAddr("192.0.2.1"), at.Add(step.after))
		flush := r.Flush
		if step.stop {
			flush = r.FlushAll
		}
		if err := flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := lastUse(); !got.Equal(at.Add(step.want)) {
			t.Fatalf("flush %d: last use %v, want %v", i, got, at.Add(step.want))
		}
	}
	counts, _ := db.KeyUsage(ctx, k.ID, at.Format("2006-01-02"))
	if len(counts) != 1 || counts[0].Count != 6 {
		t.Fatalf("counts %+v", counts)
	}
}

// failingAfter writes through to a store until n batches were written,
// then fails.
type failingAfter struct {
	Store
	n int
}

func (f *failingAfter) RecordUsageBatch(ctx context.Context, b apikey.UsageBatch) error {
	if f.n == 0 {
		return errors.New("disk full")
	}
	f.n--
	return f.Store.RecordUsageBatch(ctx, b)
}

// A flush of many keys is written a chunk at a time; when a chunk fails,
// the chunks written stay written once and the rest waits for the next
// flush: nothing counted twice, nothing lost.
func TestFlushFailingPartwayCountsEachUseOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	var bulk store.Bulk
	for i := range 3*flushChunk + 7 {
		bulk.Keys = append(bulk.Keys, &apikey.Key{ID: fmt.Sprintf("key_u_%04d", i), AccountID: root.ID, SecretHash: fmt.Sprintf("h%04d", i),
			DisplayPrefix: "kc_g_x", CreatedBy: "t", UpdatedBy: "t", Version: 1,
			Settings: apikey.Settings{Name: fmt.Sprintf("k %04d", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}})
	}
	if err := db.BulkLoad(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	failing := &failingAfter{Store: db, n: 2}
	r := New(failing, nil)
	r.flushAt = 1 // the flushes hurry: the pauses between chunks are not what this tests
	for _, k := range bulk.Keys {
		r.Record(r.meter(k.ID), "VALID", netip.MustParseAddr("192.0.2.1"), at)
	}
	if err := r.Flush(ctx); err == nil {
		t.Fatal("a flush that failed partway said nothing")
	}
	failing.n = -1 // no more failures
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range bulk.Keys {
		counts, _ := db.KeyUsage(ctx, k.ID, at.Format("2006-01-02"))
		got, _ := db.Key(ctx, k.ID)
		addrs, _ := db.KeyAddresses(ctx, k.ID, at.Format("2006-01-02"), 10)
		if len(counts) != 1 || counts[0].Count != 1 || got.LastUsedAt == nil || addressText(addrs) != "192.0.2.1 1/0" {
			t.Fatalf("%s: counts %v, last use %v, addresses %v", k.ID, counts, got.LastUsedAt, addrs)
		}
	}
}

// TestFlushCountsAddresses: requests are counted per client address,
// accepted and refused, an IPv4 address written as such however it came;
// one key from more than addressesPerFlush addresses between two flushes
// holds no more than that in memory, the rest counted together, and
// another key has its own allowance.
func TestFlushCountsAddresses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	rotating, steady := newKey(t, db, root.ID, "rotating"), newKey(t, db, root.ID, "steady")
	r := New(db, nil)
	at := time.Now().UTC().Truncate(time.Second)
	for i := range addressesPerFlush + 30 {
		r.Record(r.meter(rotating.ID), "IP_NOT_ALLOWED", netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i)), at)
	}
	r.Record(r.meter(steady.ID), "VALID", netip.MustParseAddr("::ffff:192.0.2.7"), at)
	r.Record(r.meter(steady.ID), "VALID", netip.MustParseAddr("192.0.2.7"), at.Add(time.Second))
	r.Record(r.meter(steady.ID), "RATE_LIMITED", netip.MustParseAddr("192.0.2.8"), at)
	held := r.heldAddresses()
	if held != addressesPerFlush+1+2 { // the rotating key's, its others, the steady key's
		t.Fatalf("%d addresses held in memory", held)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	addrs, _ := db.KeyAddresses(ctx, rotating.ID, at.Format("2006-01-02"), 1000)
	if len(addrs) != addressesPerFlush+1 || addrs[len(addrs)-1].Address != apikey.OtherAddresses || addrs[len(addrs)-1].Requests != 30 || addrs[len(addrs)-1].Refused != 30 {
		t.Fatalf("%d rows, last %+v", len(addrs), addrs[len(addrs)-1])
	}
	addrs, _ = db.KeyAddresses(ctx, steady.ID, at.Format("2006-01-02"), 10)
	if got := addressText(addrs); got != "192.0.2.7 2/0, 192.0.2.8 1/1" || !addrs[0].LastSeen.Equal(at.Add(time.Second)) {
		t.Fatalf("steady key: %s, last seen %v", got, addrs[0].LastSeen)
	}
}

// TestFailedFlushKeepsAddressesBounded: a batch that could not be written
// goes back under the same bound, so a store that keeps failing while
// someone rotates addresses does not grow memory; nothing is lost.
func TestFailedFlushKeepsAddressesBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	k := newKey(t, db, root.ID, "rotating")
	failing := &failingAfter{Store: db}
	r := New(failing, nil)
	at := time.Now().UTC().Truncate(time.Second)
	for round := range 3 {
		for i := range addressesPerFlush {
			r.Record(r.meter(k.ID), "VALID", netip.MustParseAddr(fmt.Sprintf("2001:db8::%x:%x", round, i)), at)
		}
		if err := r.Flush(ctx); err == nil {
			t.Fatal("a failed flush said nothing")
		}
	}
	held := r.heldAddresses()
	if held != addressesPerFlush+1 {
		t.Fatalf("%d addresses held after failed flushes", held)
	}
	failing.n = -1
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	addrs, _ := db.KeyAddresses(ctx, k.ID, at.Format("2006-01-02"), 1000)
	total := 0
	for _, a := range addrs {
		total += a.Requests
	}
	if len(addrs) != addressesPerFlush+1 || total != 3*addressesPerFlush {
		t.Fatalf("%d rows, %d requests", len(addrs), total)
	}
}

// newKey stores an active key named name.
func newKey(t *testing.T, db *store.DB, account, name string) *apikey.Key {
	t.Helper()
	k := &apikey.Key{AccountID: account, CreatedBy: "t", SecretHash: apikey.HashSecret(name), DisplayPrefix: "x",
		Settings: apikey.Settings{Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
	if err := db.CreateKey(context.Background(), k, nil); err != nil {
		t.Fatal(err)
	}
	return k
}

// Instances share the interval: the stored last use decides, so another
// instance does not rewrite a key's row that one wrote a minute ago.
func TestLastUseIntervalSharedByInstances(t *testing.T) {
	ctx := context.Background()
	db, root := servicetest.Open(t)
	k := newKey(t, db, root.ID, "shared")
	one, other := New(db, nil), New(db, nil)
	at := time.Now().UTC().Truncate(time.Second)
	for i, step := range []struct {
		r     *Recorder
		after time.Duration
		want  time.Duration
	}{{one, 0, 0}, {other, time.Minute, 0}, {other, LastUseEvery + time.Minute, LastUseEvery + time.Minute}} {
		step.r.Record(step.r.meter(k.ID), "VALID", netip.MustParseAddr("192.0.2.9"), at.Add(step.after))
		if err := step.r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := db.Key(ctx, k.ID)
		if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at.Add(step.want)) {
			t.Fatalf("flush %d: last use %v (%v), want %v", i, got.LastUsedAt, err, at.Add(step.want))
		}
	}
}

// TestRunFlushesWhenFull: Run writes as soon as FlushAt counts are held,
// without waiting for its interval, so memory stays bounded however many
// keys are in use; below that, nothing is written before the interval.
func TestRunFlushesWhenFull(t *testing.T) {
	t.Parallel()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	db, root := servicetest.Open(t)
	r := New(db, nil)
	r.flushAt = 3
	go r.Run(ctx, time.Hour)
	day := time.Now().UTC().Format("2006-01-02")
	ip := netip.MustParseAddr("192.0.2.10")
	var keys []*apikey.Key
	for i := range 3 {
		keys = append(keys, newKey(t, db, root.ID, fmt.Sprint("k", i)))
	}
	written := func(k *apikey.Key) bool {
		addrs, err := db.KeyAddresses(ctx, k.ID, day, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(addrs) == 1
	}
	r.Record(r.meter(keys[0].ID), "VALID", ip, time.Now())
	r.Record(r.meter(keys[1].ID), "VALID", ip, time.Now())
	time.Sleep(200 * time.Millisecond)
	if written(keys[0]) {
		t.Fatal("written before the recorder was full or its interval passed")
	}
	r.Record(r.meter(keys[2].ID), "VALID", ip, time.Now())
	for i := 0; !written(keys[0]) || !written(keys[1]) || !written(keys[2]); i++ {
		if i == 100 {
			t.Fatal("not written within 5 s of the recorder filling up")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFlushPausesLongerThanItWrites: between two chunks a flush waits nine
// times as long as the chunk took, so it takes about a tenth of a
// processor from the requests; a flush that the bound began, or one with
// uses gathered past the bound meanwhile, catches up with the shortest
// pause.
func TestFlushPausesLongerThanItWrites(t *testing.T) {
	t.Parallel()
	db, _ := servicetest.Open(t)
	// pause flushes two chunks' worth of uses with the recorder's bound at
	// flushAt, and tells how long the first chunk took and the pause after it.
	pause := func(flushAt int64) (took, paused time.Duration, r *Recorder) {
		slow := &slowStore{Store: db, takes: 40 * time.Millisecond}
		r = New(slow, nil)
		r.flushAt = flushAt
		for i := range flushChunk + 1 { // the keys are not stored, so nothing is written
			r.Record(r.meter(fmt.Sprint("key_", i)), "VALID", netip.MustParseAddr("192.0.2.1"), time.Now().UTC())
		}
		if err := r.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(slow.began) != 2 {
			t.Fatalf("%d chunks, want 2", len(slow.began))
		}
		return slow.ended[0].Sub(slow.began[0]), slow.began[1].Sub(slow.ended[0]), r
	}
	if took, paused, _ := pause(FlushAt); paused < (flushShare-1)*took*9/10 {
		t.Errorf("paused %v after a chunk that took %v", paused, took)
	}
	if took, paused, _ := pause(flushChunk); paused >= (flushShare-1)*took/2 {
		t.Errorf("a flush the bound began paused %v after a chunk that took %v", paused, took)
	}
	took, _, r := pause(FlushAt)
	r.flushAt = 2
	r.Record(r.meter("a"), "VALID", netip.MustParseAddr("192.0.2.1"), time.Now().UTC())
	r.Record(r.meter("b"), "VALID", netip.MustParseAddr("192.0.2.1"), time.Now().UTC())
	if got := r.pause(took, false); got != flushPause {
		t.Errorf("paused %v with uses past the bound", got)
	}
}

// slowStore is a store whose batches each take at least takes.
type slowStore struct {
	Store
	takes        time.Duration
	began, ended []time.Time
}

func (s *slowStore) RecordUsageBatch(ctx context.Context, b apikey.UsageBatch) error {
	s.began = append(s.began, time.Now())
	defer func() { s.ended = append(s.ended, time.Now()) }()
	time.Sleep(s.takes)
	return s.Store.RecordUsageBatch(ctx, b)
}

// TestFullAfterPutBackAsksForFlush: counts a failed flush puts back can
// carry the recorder past its bound at once; the next use still asks Run
// for a flush rather than waiting for the interval.
func TestFullAfterPutBackAsksForFlush(t *testing.T) {
	t.Parallel()
	r := New(nil, nil)
	r.flushAt = 2
	day := []dayCount{{day: 20260501, code: "VALID", n: 1}}
	gathered := map[string]taken{}
	for _, id := range []string{"a", "b", "c"} {
		gathered[id] = taken{&keyUse{counts: day}, r.meter(id)}
	}
	r.putBack([]string{"a", "b", "c"}, gathered)
	r.Record(r.meter("d"), "VALID", netip.MustParseAddr("192.0.2.1"), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	if len(r.due) != 1 {
		t.Fatal("no flush asked for past the bound")
	}
}

// heldAddresses counts the addresses held in memory, over every key.
func (r *Recorder) heldAddresses() int {
	r.listMu.Lock()
	meters := slices.Clone(r.listed)
	r.listMu.Unlock()
	n := 0
	for _, m := range meters {
		m.mu.Lock()
		n += len(m.use.addrs)
		m.mu.Unlock()
	}
	return n
}

// TestRoomWaitsForAFlushToWrite: with HoldAtMost keys held, Room waits;
// keys a flush has taken still count until written; the first chunk
// written lets the waiting read go, long before Room would give up.
func TestRoomWaitsForAFlushToWrite(t *testing.T) {
	t.Parallel()
	db, _ := servicetest.Open(t)
	gated := &gatedStore{Store: db, gate: make(chan struct{}), entered: make(chan struct{}, 2)}
	r := New(gated, nil)
	r.holdAtMost, r.roomWait = flushChunk+1, time.Hour
	r.flushAt = 1 // the shortest pause between the chunks
	ip := netip.MustParseAddr("192.0.2.1")
	for i := range flushChunk + 1 { // not stored keys: the writes skip them
		r.Record(r.meter(fmt.Sprint("key_", i)), "VALID", ip, time.Now().UTC())
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Room(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("room with the bound held: %v", err)
	}
	r.Record(r.meter("key_0"), "KEY_EXPIRED", ip, time.Now().UTC()) // a key held already takes no more room
	if n := r.heldKeys(); n != flushChunk+1 {
		t.Fatalf("%d keys held, want %d", n, flushChunk+1)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- r.Flush(context.Background()) }()
	<-gated.entered // the flush has taken every key, and writes the first chunk
	roomy := make(chan error, 1)
	go func() { roomy <- r.Room(context.Background()) }()
	short, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Room(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("room while the flush had written nothing: %v", err)
	}
	gated.gate <- struct{}{} // the first chunk is written
	if err := <-roomy; err != nil {
		t.Fatal(err)
	}
	close(gated.gate)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := r.Room(context.Background()); err != nil {
		t.Fatalf("room after the flush: %v", err)
	}
}

// TestRoomLetsReadsThroughWhileWritesFail: waiting for room is no use
// while the database refuses writes: a failed flush lets the waiting
// reads go, and the next ones do not wait; the keys stay held for the next
// flush.
func TestRoomLetsReadsThroughWhileWritesFail(t *testing.T) {
	t.Parallel()
	db, _ := servicetest.Open(t)
	gated := &gatedStore{Store: &failingAfter{Store: db, n: 0}, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	r := New(gated, nil)
	r.holdAtMost, r.roomWait = 3, time.Hour
	for i := range 3 {
		r.Record(r.meter(fmt.Sprint("key_", i)), "VALID", netip.MustParseAddr("192.0.2.1"), time.Now().UTC())
	}
	flushed := make(chan error, 1)
	go func() { flushed <- r.Flush(context.Background()) }()
	<-gated.entered
	waiting := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		waiting <- r.Room(ctx)
	}()
	close(gated.gate) // the write fails
	if err := <-flushed; err == nil {
		t.Fatal("a failing flush said nothing")
	}
	if err := <-waiting; err != nil {
		t.Fatalf("a read waiting when the flush failed: %v", err)
	}
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := r.Room(short); err != nil {
		t.Fatalf("a read after the flush failed: %v", err)
	}
	if n := r.heldKeys(); n != 3 {
		t.Fatalf("%d keys held after the failed flush, want 3", n)
	}
}

// TestRoomWaitsNoLongerThanRoomWait: a database that stalls holds a read
// up for roomWait, then lets it go.
func TestRoomWaitsNoLongerThanRoomWait(t *testing.T) {
	t.Parallel()
	db, _ := servicetest.Open(t)
	gated := &gatedStore{Store: db, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	r := New(gated, nil)
	r.holdAtMost, r.roomWait = 3, 100*time.Millisecond
	for i := range 3 {
		r.Record(r.meter(fmt.Sprint("key_", i)), "VALID", netip.MustParseAddr("192.0.2.1"), time.Now().UTC())
	}
	flushed := make(chan error, 1)
	go func() { flushed <- r.Flush(context.Background()) }()
	<-gated.entered // and stalls
	began := time.Now()
	if err := r.Room(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(began); waited < r.roomWait {
		t.Fatalf("let go after %v, before roomWait", waited)
	}
	close(gated.gate)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
}

// TestRunRetriesAFailedFlushLater: with the recorder at its bound every
// new key asks for a flush; while the database refuses writes Run tries
// again after a second, not at once.
func TestRunRetriesAFailedFlushLater(t *testing.T) {
	t.Parallel()
	db, _ := servicetest.Open(t)
	tries := &triedStore{Store: &failingAfter{Store: db, n: 0}}
	r := New(tries, nil)
	r.holdAtMost = 3
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { r.Run(ctx, time.Hour); close(ran) }()
	var first time.Time // the first try seen
	for i := 0; first.IsZero() || i < 50; i++ {
		r.Record(r.meter(fmt.Sprint("key_", i)), "VALID", netip.MustParseAddr("192.0.2.1"), time.Now().UTC())
		if first.IsZero() && tries.n.Load() > 0 {
			first = time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Retries come 1 s, 3 s, 7 s... after the first: one a second at most.
	took := time.Since(first)
	if n := tries.n.Load(); n > 1+int64(took/time.Second) {
		t.Fatalf("%d flushes tried within %v of writes failing", n, took)
	}
	stop()
	<-ran
}

// triedStore is a store counting the batches asked of it.
type triedStore struct {
	Store
	n atomic.Int64
}

func (s *triedStore) RecordUsageBatch(ctx context.Context, b apikey.UsageBatch) error {
	s.n.Add(1)
	return s.Store.RecordUsageBatch(ctx, b)
}

// TestFloodOfNewKeysStaysWithinTheBound: goroutines each recording keys
// never seen before, waiting for Room first as verification does, while
// Run writes them to a slow database: what the recorder holds never
// passes HoldAtMost by more than the goroutines that passed Room at once,
// and every use reaches the database.
func TestFloodOfNewKeysStaysWithinTheBound(t *testing.T) {
	t.Parallel()
	db, root := servicetest.Open(t)
	const workers, each, bound = 8, 100, 150
	var bulk store.Bulk
	for i := range workers * each {
		bulk.Keys = append(bulk.Keys, &apikey.Key{ID: fmt.Sprintf("key_f_%05d", i), AccountID: root.ID, SecretHash: fmt.Sprintf("f%05d", i),
			DisplayPrefix: "kc_g_x", CreatedBy: "t", UpdatedBy: "t", Version: 1,
			Settings: apikey.Settings{Name: fmt.Sprintf("f %05d", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}})
	}
	if err := db.BulkLoad(context.Background(), bulk); err != nil {
		t.Fatal(err)
	}
	r := New(&slowStore{Store: db, takes: 5 * time.Millisecond}, nil)
	r.holdAtMost, r.roomWait = bound, time.Hour
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { r.Run(ctx, time.Hour); close(ran) }()
	var most atomic.Int64
	at := time.Now().UTC()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := r.Room(ctx); err != nil {
					t.Error(err)
					return
				}
				r.Record(r.meter(fmt.Sprintf("key_f_%05d", w*each+i)), "VALID", netip.MustParseAddr("192.0.2.1"), at)
				for n := int64(r.heldKeys()); ; {
					if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	stop()
	<-ran // the final flush
	if got := most.Load(); got > bound+workers {
		t.Fatalf("held %d keys, bound %d with %d at once", got, bound, workers)
	}
	for _, k := range bulk.Keys {
		got, err := db.Key(context.Background(), k.ID)
		if err != nil || got.LastUsedAt == nil {
			t.Fatalf("%s: last use %v, %v", k.ID, got.LastUsedAt, err)
		}
	}
}

// gatedStore is the real store whose batches each say they began, then
// wait for the gate.
type gatedStore struct {
	Store
	gate, entered chan struct{}
}

func (s *gatedStore) RecordUsageBatch(ctx context.Context, b apikey.UsageBatch) error {
	s.entered <- struct{}{}
	<-s.gate
	return s.Store.RecordUsageBatch(ctx, b)
}

// heldKeys counts the keys held, gathered and in flight.
func (r *Recorder) heldKeys() int {
	return int(r.listedCount.Load() + r.inFlight.Load())
}

// testMeters are the tests' meters, one a recorder and key id, as
// verification keeps one a key.
var testMeters sync.Map // meterOf → *Meter

type meterOf struct {
	r  *Recorder
	id string
}

// meter is key id's meter in r.
func (r *Recorder) meter(id string) *Meter {
	m, _ := testMeters.LoadOrStore(meterOf{r, id}, NewMeter(id))
	return m.(*Meter)
}

// Keys used together do not come back together: each key's interval is its
// own, from LastUseEvery less lastUseSpread to all of it, spread evenly,
// and the same every time.
func TestLastUseIntervalsSpread(t *testing.T) {
	t.Parallel()
	const keys = 6000
	gathered := map[string]taken{}
	var ids []string
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range keys {
		id := fmt.Sprintf("key_%011d", i*7919)
		u := new(keyUse)
		u.reset()
		u.last.at = stampOf(at)
		gathered[id], ids = taken{keyUse: u}, append(ids, id)
	}
	spaced, now := batch(ids, gathered, true), batch(ids, gathered, false)
	// Five buckets of 30 s each between 12½ and 15 minutes.
	var buckets [5]int
	for i, u := range spaced.LastUses {
		if u.Every <= LastUseEvery-lastUseSpread || u.Every > LastUseEvery {
			t.Fatalf("%s: interval %v, want within (%v, %v]", u.KeyID, u.Every, LastUseEvery-lastUseSpread, LastUseEvery)
		}
		if again := lastUseEvery(u.KeyID); again != u.Every {
			t.Fatalf("%s: interval %v, then %v", u.KeyID, u.Every, again)
		}
		buckets[min(int((u.Every-(LastUseEvery-lastUseSpread))*5/lastUseSpread), 4)]++
		if now.LastUses[i].Every != 0 {
			t.Fatalf("the flush at a stop waits %v for %s", now.LastUses[i].Every, u.KeyID)
		}
	}
	for i, n := range buckets {
		if n < keys/5*8/10 || n > keys/5*12/10 {
			t.Errorf("part %d of 5 of the spread holds %d of %d keys: %v", i+1, n, keys, buckets)
		}
	}
}

// Two keys last used at the same moment, whose intervals lie either side
// of 13¾ minutes: a use then rewrites the one and not the other.
func TestLastUseIntervalIsTheKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	var short, long *apikey.Key
	for i := 0; short == nil || long == nil; i++ {
		if i == 200 {
			t.Fatal("no keys with intervals either side of 13¾ minutes in 200")
		}
		k := newKey(t, db, root.ID, fmt.Sprintf("key %d", i))
		switch every := lastUseEvery(k.ID); {
		case every < 13*time.Minute+15*time.Second && short == nil:
			short = k
		case every > 14*time.Minute+15*time.Second && long == nil:
			long = k
		}
	}
	r := New(db, nil)
	at := time.Now().UTC().Truncate(time.Second)
	for _, after := range []time.Duration{0, 13*time.Minute + 45*time.Second} {
		for _, k := range []*apikey.Key{short, long} {
			r.Record(r.meter(k.ID), "VALID", netip.MustParseAddr("192.0.2.7"), at.Add(after))
		}
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range map[*apikey.Key]time.Time{short: at.Add(13*time.Minute + 45*time.Second), long: at} {
		got, err := db.Key(ctx, k.ID)
		if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(want) {
			t.Errorf("key with interval %v: last use %v (%v), want %v", lastUseEvery(k.ID), got.LastUsedAt, err, want)
		}
	}
}

// A flush writes its keys in the order of their ids, chunk after chunk,
// whatever order they were used in: rows led by the key's id then share
// pages within a transaction.
func TestFlushWritesKeysInOrder(t *testing.T) {
	t.Parallel()
	db, _ := servicetest.Open(t)
	seen := &orderStore{Store: db}
	r := New(seen, nil)
	at := time.Now().UTC()
	ids := make([]string, 2*flushChunk+100) // three chunks
	for i := range ids {
		ids[i] = fmt.Sprintf("key_o_%05d", (i*7919)%len(ids)) // every id once, out of order
	}
	for _, id := range ids {
		r.Record(r.meter(id), "VALID", netip.MustParseAddr("192.0.2.1"), at)
	}
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if seen.batches != 3 {
		t.Fatalf("%d batches, want 3", seen.batches)
	}
	for name, got := range map[string][]string{"last uses": seen.lastUses, "counts": seen.counts, "addresses": seen.addresses} {
		if !slices.Equal(got, ids) {
			t.Errorf("%s written out of key order (first ten: %v)", name, got[:min(10, len(got))])
		}
	}
}

// orderStore is the real store, keeping the key ids of each kind of row
// in the order it was asked to write them, and counting the batches.
type orderStore struct {
	Store
	batches                     int
	lastUses, counts, addresses []string
}

func (s *orderStore) RecordUsageBatch(ctx context.Context, b apikey.UsageBatch) error {
	s.batches++
	for _, u := range b.LastUses {
		s.lastUses = append(s.lastUses, u.KeyID)
	}
	for _, c := range b.Counts {
		s.counts = append(s.counts, c.KeyID)
	}
	for _, a := range b.Addresses {
		s.addresses = append(s.addresses, a.KeyID)
	}
	return s.Store.RecordUsageBatch(ctx, b)
}
