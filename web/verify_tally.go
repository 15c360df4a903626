package web

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"keyconsole/internal/shards"
	"keyconsole/internal/verify"
)

// VerifyTallyEvery is how often the verifications answered since the last
// tally are logged, as one line, unless each is logged (LogEachVerification).
const VerifyTallyEvery = time.Minute

// verifyTally counts the answers of POST /api/v1/keys/verify by code. A
// service verifying its clients' keys sends tens of thousands a second: a
// log line each was a tenth of the server's processor time a verification
// (and gigabytes of log a day), while each key's usage and the metrics
// count them already. Its refusals of the caller itself (401, 403, 429)
// are still logged one by one.
//
// Each processor counts in a shard of its own (package shards).
type verifyTally struct {
	shards shards.Set[tallyShard]
	since  time.Time // the last tally's; only the tally's writer uses it
}

// tallyShard is one processor's counts, by code.
type tallyShard [len(verify.Codes)]atomic.Int64

// add counts one answer with code.
func (t *tallyShard) add(code string) {
	for i, c := range verify.Codes {
		if c == code {
			t[i].Add(1)
			return
		}
	}
}

// logVerifyTally logs the verifications answered since the last tally, by
// code, and the time since it; nothing when there were none. One goroutine
// at a time calls it.
func (s *Server) logVerifyTally() {
	now := s.now()
	period := now.Sub(s.tally.since).Round(time.Millisecond)
	s.tally.since = now
	// Each shard's counts are taken and zeroed one by one: every
	// verification falls in exactly one tally.
	var counts [len(verify.Codes)]int64
	s.tally.shards.Each(func(shard *tallyShard) {
		for i := range shard {
			counts[i] += shard[i].Swap(0)
		}
	})
	attrs := make([]slog.Attr, 0, 2+len(verify.Codes))
	var total int64
	for i, code := range verify.Codes {
		if n := counts[i]; n > 0 {
			attrs = append(attrs, slog.Int64(strings.ToLower(code), n))
			total += n
		}
	}
	if total == 0 {
		return
	}
	attrs = append(attrs, slog.Int64("requests", total), slog.Duration("period", period))
	s.logger.LogAttrs(context.Background(), slog.LevelInfo, "verifications", attrs...)
}

// tallyVerifications logs the tally every interval until stop is closed.
func (s *Server) tallyVerifications(every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.logVerifyTally()
		}
	}
}
