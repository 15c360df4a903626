package verify

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The limiter is a token bucket: burst requests at once, then one an
// interval (half an interval early allowed, for requests whose clocks were
// read out of order), and a refusal says how long until the next is allowed.
func TestLimiterBurstThenRate(t *testing.T) {
	t.Parallel()
	p := newPace(10, 3) // one every 100 ms, three at once
	var l limiter
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if ok, _ := l.take(p, now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if l.allows(p, now) {
		t.Fatal("allows says yes with the bucket empty")
	}
	if ok, wait := l.take(p, now); ok || wait != 50*time.Millisecond {
		t.Fatalf("past the burst: %v, wait %v; want a refusal for 50ms (the next is due in 100)", ok, wait)
	}
	if ok, wait := l.take(p, now.Add(40*time.Millisecond)); ok || wait != 10*time.Millisecond {
		t.Fatalf("40 ms later: %v, wait %v; want a refusal for 10ms", ok, wait)
	}
	later := now.Add(50 * time.Millisecond)
	if !l.allows(p, later) || !l.allows(p, later) {
		t.Fatal("50 ms later: allows says no (or spent what it looked at)")
	}
	if ok, _ := l.take(p, later); !ok {
		t.Fatal("50 ms later: refused")
	}
	if ok, wait := l.take(p, later); ok || wait != 100*time.Millisecond {
		t.Fatalf("50 ms later, a second request: %v, wait %v; want a refusal for 100ms", ok, wait)
	}
	// Idle for long, the bucket is full again, and no fuller.
	idle := later.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.take(p, idle); !ok {
			t.Fatalf("after an hour: request %d refused", i+1)
		}
	}
	if ok, _ := l.take(p, idle); ok {
		t.Fatal("after an hour: more than the burst allowed")
	}
}

// Past a billion a second nothing is limited; a rate too slow to count in
// nanoseconds allows its burst and then nothing for ages.
func TestPaceAtTheExtremes(t *testing.T) {
	t.Parallel()
	fast := newPace(1e12, 1<<30)
	var l limiter
	now := time.Now()
	for i := range 1000 {
		if ok, _ := l.take(fast, now.Add(-time.Duration(i)*time.Millisecond)); !ok {
			t.Fatalf("a trillion a second: request %d refused", i+1)
		}
	}
	p := newPace(1e-30, 2)
	l = limiter{}
	a, _ := l.take(p, now)
	b, _ := l.take(p, now)
	c, wait := l.take(p, now)
	if !a || !b || c || wait < 10*365*24*time.Hour {
		t.Fatalf("slow: %v %v %v, wait %v", a, b, c, wait)
	}
}

// Every processor spending one key's limit at once: exactly the burst is
// allowed, however the compare-and-swaps interleave (run with -race).
func TestLimiterConcurrentTakes(t *testing.T) {
	t.Parallel()
	const burst, goroutines, each = 500, 8, 200
	p := newPace(1e-3, burst)
	var l limiter
	now := time.Now()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				if ok, _ := l.take(p, now); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != burst {
		t.Fatalf("%d allowed of %d tried, want the burst, %d", got, goroutines*each, burst)
	}
}

// A clock set back does not leave a key refused until it catches up: the
// bucket starts full again.
func TestLimiterClockSetBack(t *testing.T) {
	t.Parallel()
	p := newPace(1, 2)
	var l limiter
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	l.take(p, now)
	l.take(p, now)
	if ok, _ := l.take(p, now); ok {
		t.Fatal("past the burst: allowed")
	}
	back := now.Add(-48 * time.Hour)
	if !l.allows(p, back) {
		t.Fatal("two days back: allows says no")
	}
	for i := range 2 {
		if ok, wait := l.take(p, back); !ok {
			t.Fatalf("two days back: request %d refused for %v", i+1, wait)
		}
	}
	if ok, _ := l.take(p, back); ok {
		t.Fatal("two days back: more than the burst allowed")
	}
}

// Requests that read the clock in one order and reach the limiter in
// another (one delayed between the two) are still held to the burst: a
// late one with an earlier time does not find the bucket full again.
func TestLimiterOutOfOrderClocks(t *testing.T) {
	t.Parallel()
	p := newPace(100, 5)
	var l limiter
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	allowed := 0
	for i := range 50 {
		// Alternately 3 ms later and 2 ms earlier than the one before.
		at := now.Add(time.Duration(i/2)*time.Millisecond + time.Duration(i%2)*3*time.Millisecond)
		if ok, _ := l.take(p, at); ok {
			allowed++
		}
	}
	// 25 ms at 100 a second refill two or three, beside the burst of five.
	if allowed > 8 {
		t.Fatalf("%d allowed", allowed)
	}
}
