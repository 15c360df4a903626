// Package profiling is Go's profiler as a handler of its own, for a
// listener apart from whatever the process serves: profiles show what a
// process does, never to its visitors.
package profiling

import (
	"net/http"
	"net/http/pprof"
)

// Handler serves the profiler's index, CPU profile and execution trace
// under /debug/pprof/ (the index serves the named profiles: heap, mutex,
// block, goroutine, allocs).
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
