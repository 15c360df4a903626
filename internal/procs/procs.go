// Package procs sets how many processors Go schedules goroutines on
// (GOMAXPROCS) by whether other processes keep the server's cores busy.
//
// Go's default is one processor a core. When the kernel switches a
// processor's thread out for another process, the requests the network
// poller queued on that processor wait until the thread comes back: the
// other processors, busy themselves, do not take them. Beside a busy
// neighbour on two cores, that doubled the verification p99 and cost a
// fifth of the throughput; twice as many processors as cores leaves idle
// ones to take such requests, and held the p99 to a bare handler's. On
// cores of its own the same setting made the p99 longer (BENCHMARKS,
// seventeenth and twenty-seventh passes). So the processors are raised
// only while neighbours are measured on the cores, and lowered back once
// they leave.
package procs

import (
	"log/slog"
	"time"
)

// Config is how the cores are watched; the zero Config is the default.
type Config struct {
	Every  time.Duration // between two samples of the cores; 0: a second
	Logger *slog.Logger  // a line on every change, and at start when left to Go; nil: none
}

// What moves the processors: the share of the cores' time that other
// processes spent, sample after sample. A neighbour need not be busy to
// hurt: wrk, loading the server on the same two cores, used a fifth of
// their time (its threads wake for every answer, and each wake may switch
// a server thread out), where an idle machine's daemons use under 1 %.
// The bounds lie apart, so that a share between them changes nothing, and
// a neighbour's pause of a few seconds neither.
const (
	raiseAt    = 0.10
	lowerAt    = 0.05
	raiseAfter = 2  // samples in a row at raiseAt or more
	lowerAfter = 10 // samples in a row under lowerAt
)

// governor decides the processors from the neighbours' share of each
// sample: base (Go's default) or twice that.
type governor struct {
	base   int
	raised bool
	streak int // samples in a row that point away from the present setting
}

// next is the processors after a sample in which others took share of the
// cores' time, and whether that is a change.
func (g *governor) next(share float64) (procs int, changed bool) {
	away, needed := share < lowerAt, lowerAfter
	if !g.raised {
		away, needed = share >= raiseAt, raiseAfter
	}
	if !away {
		g.streak = 0
		return g.procs(), false
	}
	if g.streak++; g.streak < needed {
		return g.procs(), false
	}
	g.raised, g.streak = !g.raised, 0
	return g.procs(), true
}

func (g *governor) procs() int {
	if g.raised {
		return 2 * g.base
	}
	return g.base
}
