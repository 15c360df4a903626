// Package tick runs background work at an interval until it is told to
// stop: the one loop the server's sweeps, checkpoints and watches share.
package tick

import (
	"context"
	"time"
)

// Every calls fn every d, the first time d from now, until ctx is done or
// fn returns false.
func Every(ctx context.Context, d time.Duration, fn func() bool) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !fn() {
				return
			}
		}
	}
}
