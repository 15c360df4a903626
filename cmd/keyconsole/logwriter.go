package main

import (
	"io"
	"sync"
	"time"
)

// logWriter buffers log lines and writes them out every interval, when the
// buffer fills, and on Close: one write a tick instead of one a request
// keeps logging off the hot path's system calls. Two buffers take turns:
// a full one is written out while lines go on into the other, so a slow
// destination (a pipe to a journal) does not hold up every request that
// logs, only those that fill the second buffer meanwhile.
type logWriter struct {
	mu    sync.Mutex // guards buf and spare
	buf   []byte
	spare []byte // nil while its buffer is being written out

	out sync.Mutex // held while writing out; taken before mu is let go, so buffers go out in order
	w   io.Writer

	stop chan struct{}
	done chan struct{}
}

// logBufferSize is how much is gathered before it is written out at once.
const logBufferSize = 64 << 10

func newLogWriter(w io.Writer, every time.Duration) *logWriter {
	l := &logWriter{w: w, buf: make([]byte, 0, logBufferSize), spare: make([]byte, 0, logBufferSize),
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.flush()
			case <-l.stop:
				return
			}
		}
	}()
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf = append(l.buf, p...)
	if len(l.buf) < logBufferSize {
		l.mu.Unlock()
		return len(p), nil
	}
	return len(p), l.writeOut() // unlocks mu
}

func (l *logWriter) flush() {
	l.mu.Lock()
	if len(l.buf) == 0 {
		l.mu.Unlock()
		return
	}
	l.writeOut()
}

// writeOut writes the buffer out with mu held on entry; it lets mu go
// once the buffer is swapped for the spare, before the write itself.
func (l *logWriter) writeOut() error {
	full := l.buf
	if l.spare != nil {
		l.buf, l.spare = l.spare, nil
	} else {
		l.buf = make([]byte, 0, logBufferSize) // both out: rare, under a flood
	}
	l.out.Lock()
	l.mu.Unlock()
	_, err := l.w.Write(full)
	l.out.Unlock()
	l.mu.Lock()
	if l.spare == nil {
		l.spare = full[:0]
	}
	l.mu.Unlock()
	return err
}

// Close writes out what is buffered and stops the ticker.
func (l *logWriter) Close() {
	close(l.stop)
	<-l.done
	l.flush()
}
