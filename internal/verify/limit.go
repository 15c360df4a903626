package verify

import (
	"math"
	"sync/atomic"
	"time"
)

// limiter is one key's rate limit as a single word, by the generic cell
// rate algorithm: a token bucket of burst tokens refilled at the rate,
// told by the time the bucket would next be full (tat, the theoretical
// arrival time). A request is allowed while tat lies at most
// (burst-1)·interval ahead of now, and moves it on by one interval. One
// compare-and-swap and no lock: a key's verifications, on every
// processor, meet on this word only, and it sits beside the key's meter.
// The rate and burst are the verifier's (pace), shared by every key.
//
// A request may reach the limiter after another that read the clock
// later (each reads it when its verification begins): up to half an
// interval early is allowed, so that such a pair is judged as if in step,
// and the burst at any one moment, and the rate over time, stay what they
// are set to.
type limiter struct {
	tat atomic.Int64 // Unix nanoseconds; 0: a full bucket
}

// pace is a rate limit in the limiter's terms.
type pace struct {
	interval  int64 // nanoseconds between two requests at the rate; 0: no limit
	tolerance int64 // (burst-1)·interval: how far ahead tat may run
}

// newPace is the pace of perSecond requests with bursts of burst. Past a
// billion a second (an interval under a nanosecond) nothing is limited:
// no server verifies that fast.
func newPace(perSecond float64, burst int) pace {
	const most = math.MaxInt64 / 8 // far enough from overflow for tat + interval, tolerance + interval + slack
	if perSecond <= 0 {
		return pace{interval: most, tolerance: 0}
	}
	ns := func(f float64) int64 { return int64(min(f, most)) }
	return pace{interval: ns(1e9 / perSecond), tolerance: ns(float64(max(burst, 1)-1) * 1e9 / perSecond)}
}

// take spends one request at now, or tells how long until one would be
// allowed (and spends nothing).
func (l *limiter) take(p pace, now time.Time) (ok bool, wait time.Duration) {
	if p.interval == 0 {
		return true, 0
	}
	t := now.UnixNano()
	for {
		old := l.tat.Load()
		from := p.from(old, t)
		if over := from - t - p.tolerance - p.interval/2; over > 0 {
			return false, time.Duration(over)
		}
		if l.tat.CompareAndSwap(old, from+p.interval) {
			return true, 0
		}
	}
}

// allows tells whether take at now would allow a request, spending nothing.
func (l *limiter) allows(p pace, now time.Time) bool {
	t := now.UnixNano()
	return p.interval == 0 || p.from(l.tat.Load(), t)-t-p.tolerance-p.interval/2 <= 0
}

// from is when a request at t is counted from, given tat: tat, or t when
// that is later. Spending never takes tat further ahead of the clock than
// the tolerance and one interval, give or take how far apart concurrent
// requests read the clock (clockSlack); a tat further ahead means the
// clock went back (a wall clock set back), and the bucket starts full
// again rather than refusing the key until the clock catches up.
func (p pace) from(tat, t int64) int64 {
	if tat <= t || tat-t > p.tolerance+p.interval+int64(clockSlack) {
		return t
	}
	return tat
}

// clockSlack is how much earlier than another a request may have read the
// clock and still reach the limiter after it: far more than scheduling
// ever parts them, far less than a clock set back.
const clockSlack = time.Second
