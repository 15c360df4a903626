package web

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"keyconsole/internal/verify"
)

// metrics are what GET /metrics exposes, labelled by route pattern (never
// the raw path, which can hold an id or a key) and by outcome.
//
// Every request adds to them, on whichever processor serves it. Counters
// that all processors add to are one cache line passed between them on
// every request: on two processors that cost a verification about a
// microsecond of processor time, all it cost more than on one
// (BenchmarkVerifyEndpoint -cpu 1,2; BENCHMARKS, sixteenth pass). So each
// processor adds to a shard of its own, and a scrape sums the shards.
type metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.Desc
	duration      *prometheus.Desc
	verifications *prometheus.Desc

	// shards hands each processor the shard it used last (a sync.Pool
	// keeps one per processor); all holds every shard made, so that
	// nothing counted is lost when the pool drops its own at a collection.
	shards sync.Pool
	allMu  sync.Mutex
	all    []*metricShard
	reuse  int // the next of all to hand out once there are enough
}

// durationBuckets are the request duration histogram's upper bounds.
var durationBuckets = [...]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}

// metricShard is one processor's counts. Its lock is only ever contended
// by a scrape, or by a goroutine handed a shard another also holds.
type metricShard struct {
	mu       sync.Mutex
	series   map[seriesKey]*seriesCounts
	outcomes [len(verify.Codes)]uint64
	others   map[string]uint64 // codes verify does not answer; none expected
}

type seriesKey struct {
	route, method string
	status        int
}

// seriesCounts are one route, method and status's requests and their
// durations: each bucket counts the durations above the bound before it,
// up to its own (not cumulative, unlike the exposition).
type seriesCounts struct {
	n       uint64
	sum     float64
	buckets [len(durationBuckets)]uint64
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewDesc("keyconsole_http_requests_total",
			"HTTP requests by route pattern, method and status.", []string{"route", "method", "status"}, nil),
		duration: prometheus.NewDesc("keyconsole_http_request_duration_seconds",
			"HTTP request durations by route pattern.", []string{"route"}, nil),
		verifications: prometheus.NewDesc("keyconsole_key_verifications_total",
			"API key verifications by outcome code.", []string{"code"}, nil),
	}
	m.registry.MustRegister(m,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// shard is a shard to add to, to be given back with done.
func (m *metrics) shard() *metricShard {
	if sh, ok := m.shards.Get().(*metricShard); ok {
		return sh
	}
	m.allMu.Lock()
	defer m.allMu.Unlock()
	// The pool had none for this processor: after a collection emptied it,
	// hand out the shards made before (a few more than processors are
	// enough), so that their number stays bounded however often it is.
	if len(m.all) >= 2*runtime.GOMAXPROCS(0) {
		sh := m.all[m.reuse%len(m.all)]
		m.reuse++
		return sh
	}
	sh := &metricShard{series: map[seriesKey]*seriesCounts{}}
	m.all = append(m.all, sh)
	return sh
}

func (m *metrics) done(sh *metricShard) { m.shards.Put(sh) }

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // a client may send any token: the series stay bounded
	}
	k := seriesKey{route, method, status}
	sh := m.shard()
	sh.mu.Lock()
	c := sh.series[k]
	if c == nil {
		// Routes are patterns and methods a handful: the map stays small.
		c = new(seriesCounts)
		sh.series[k] = c
	}
	c.add(d.Seconds())
	sh.mu.Unlock()
	m.done(sh)
}

func (c *seriesCounts) add(seconds float64) {
	c.n++
	c.sum += seconds
	// The first bound at or above the duration: its bucket holds it.
	if i := sort.SearchFloat64s(durationBuckets[:], seconds); i < len(c.buckets) {
		c.buckets[i]++
	}
}

// verified counts one verification's outcome.
func (m *metrics) verified(code string) {
	sh := m.shard()
	sh.mu.Lock()
	if i := slices.Index(verify.Codes[:], code); i >= 0 {
		sh.outcomes[i]++
	} else {
		if sh.others == nil {
			sh.others = map[string]uint64{}
		}
		sh.others[code]++
	}
	sh.mu.Unlock()
	m.done(sh)
}

// Describe and Collect make the metrics a prometheus.Collector: a scrape
// sums the shards.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.requests
	ch <- m.duration
	ch <- m.verifications
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	requests := map[seriesKey]uint64{}
	durations := map[string]*seriesCounts{} // by route
	var outcomes [len(verify.Codes)]uint64
	others := map[string]uint64{}
	m.allMu.Lock()
	all := slices.Clone(m.all)
	m.allMu.Unlock()
	for _, sh := range all {
		sh.mu.Lock()
		for k, c := range sh.series {
			requests[k] += c.n
			d := durations[k.route]
			if d == nil {
				d = new(seriesCounts)
				durations[k.route] = d
			}
			d.n += c.n
			d.sum += c.sum
			for i, b := range c.buckets {
				d.buckets[i] += b
			}
		}
		for i, n := range sh.outcomes {
			outcomes[i] += n
		}
		for code, n := range sh.others {
			others[code] += n
		}
		sh.mu.Unlock()
	}
	for k, n := range requests {
		ch <- prometheus.MustNewConstMetric(m.requests, prometheus.CounterValue, float64(n), k.route, k.method, strconv.Itoa(k.status))
	}
	for route, d := range durations {
		cumulative := make(map[float64]uint64, len(durationBuckets))
		var below uint64
		for i, bound := range durationBuckets {
			below += d.buckets[i]
			cumulative[bound] = below
		}
		ch <- prometheus.MustNewConstHistogram(m.duration, d.n, d.sum, cumulative, route)
	}
	for i, code := range verify.Codes {
		ch <- prometheus.MustNewConstMetric(m.verifications, prometheus.CounterValue, float64(outcomes[i]), code)
	}
	for code, n := range others {
		ch <- prometheus.MustNewConstMetric(m.verifications, prometheus.CounterValue, float64(n), code)
	}
}

// handler serves the metrics in Prometheus' text format.
func (m *metrics) handler() echo.HandlerFunc { return echo.WrapHandler(m.httpHandler()) }

func (m *metrics) httpHandler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// verify runs the one verification path and counts its outcome.
func (s *Server) verify(ctx context.Context, req verify.Request) (verify.Result, error) {
	return s.counted(s.verifier.Verify(ctx, req))
}

// judge is verify without the key's usage, which its caller records.
func (s *Server) judge(ctx context.Context, req verify.Request) (verify.Result, error) {
	return s.counted(s.verifier.Judge(ctx, req))
}

func (s *Server) counted(res verify.Result, err error) (verify.Result, error) {
	if err == nil {
		s.metrics.verified(res.Code)
	}
	return res, err
}
