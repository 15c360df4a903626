package tick

import (
	"context"
	"testing"
	"time"
)

// Every calls its work until the work says stop, and stops calling it
// once the context is done.
func TestEveryStopsWhenTold(t *testing.T) {
	t.Parallel()
	calls := 0
	Every(context.Background(), time.Millisecond, func() bool { calls++; return calls < 3 })
	if calls != 3 {
		t.Errorf("%d calls, want 3 (the third said stop)", calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Every(ctx, time.Millisecond, func() bool { return true })
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Every still running 10 s after its context was done")
	}
}
