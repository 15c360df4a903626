package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowWriter takes its time over each write, as a pipe to a busy journal
// does, and keeps what it was given.
type slowWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

// Lines from many goroutines all arrive, whole and each writer's in its
// order, however the two buffers take turns; and a line is taken while a
// full buffer is being written out, not after.
func TestLogWriterKeepsEveryLineInOrder(t *testing.T) {
	t.Parallel()
	w := &slowWriter{}
	l := newLogWriter(w, time.Millisecond)
	const writers, lines = 8, 3000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(l, "writer=%d line=%05d %s\n", g, i, strings.Repeat("x", 40))
			}
		}()
	}
	wg.Wait()
	l.Close()
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	for _, line := range got {
		var g, i int
		if _, err := fmt.Sscanf(line, "writer=%d line=%d", &g, &i); err != nil || i != next[g] {
			t.Fatalf("line %q out of order or broken (want line %d of writer %d)", line, next[g], g)
		}
		next[g]++
	}
	if w.writes < 2 {
		t.Fatalf("%d writes: the buffers never took turns", w.writes)
	}
}

// While a full buffer is being written out, lines go on into the other.
func TestLogWriterTakesLinesDuringAWrite(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(block) }) }) // a failure must not leave the write hanging
	w := &blockingWriter{release: block, entered: make(chan struct{}, 1)}
	l := newLogWriter(w, time.Hour)
	go l.Write(bytes.Repeat([]byte("a"), logBufferSize)) // fills the buffer: written out, and blocks
	<-w.entered
	done := make(chan struct{})
	go func() {
		l.Write([]byte("during\n"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a line waited for the write of the full buffer")
	}
	release.Do(func() { close(block) })
	l.Close()
}

type blockingWriter struct {
	release chan struct{}
	entered chan struct{}
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return len(p), nil
}
