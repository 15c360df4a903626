package procs

import "testing"

// The processors follow the neighbours' share only once it has stayed
// past its bound long enough, sample after sample.
func TestGovernorWaitsOutBriefNeighbours(t *testing.T) {
	t.Parallel()
	type step struct {
		share   float64
		procs   int
		changed bool
	}
	steps := []step{
		{0.5, 2, false},  // one busy sample: not yet
		{0.07, 2, false}, // between the bounds: the streak starts again
		{0.3, 2, false},  // one
		{0.1, 4, true},   // two in a row: raised
		{0.9, 4, false},  // still busy
		{0.07, 4, false}, // between the bounds: stays raised
	}
	for range lowerAfter - 1 {
		steps = append(steps, step{0.04, 4, false})
	}
	steps = append(steps, step{0, 2, true}, step{0.08, 2, false})
	g := governor{base: 2}
	for i, s := range steps {
		procs, changed := g.next(s.share)
		if procs != s.procs || changed != s.changed {
			t.Fatalf("sample %d (share %.2f): %d processors, changed %v; want %d, %v", i, s.share, procs, changed, s.procs, s.changed)
		}
	}
}
