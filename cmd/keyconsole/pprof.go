package main

import (
	"net"
	"net/http"
	"runtime"
	"time"

	"keyconsole/internal/profiling"
)

// servePprof serves Go's profiler on its own listener, apart from the
// console: profiles show what the server does, never to its visitors.
func servePprof(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// Contention is sampled only when profiling is asked for: the mutex
	// and block profiles are empty otherwise. One mutex event in 100 and
	// blocking of a microsecond or more may cost the verification tail
	// about a millisecond under full load (BENCHMARKS.md, sixth pass).
	runtime.SetMutexProfileFraction(100)
	runtime.SetBlockProfileRate(int(time.Microsecond))
	go serveApart(ln, profiling.Handler())
	return nil
}

// serveApart serves h on ln, a listener of its own beside the console's,
// until the process ends.
func serveApart(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	srv.Serve(ln)
}
