package web

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"keyconsole/internal/shards"
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
// processor adds to a shard of its own (package shards), and a scrape sums
// the shards.
type metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.Desc
	duration      *prometheus.Desc
	verifications *prometheus.Desc

	shards shards.Set[metricShard]
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

// observe counts a request in sh.
func (sh *metricShard) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // a client may send any token: the series stay bounded
	}
	k := seriesKey{route, method, status}
	sh.mu.Lock()
	c := sh.series[k]
	if c == nil {
		if sh.series == nil {
			sh.series = map[seriesKey]*seriesCounts{}
		}
		// Routes are patterns and methods a handful: the map stays small.
		c = new(seriesCounts)
		sh.series[k] = c
	}
	c.add(d.Seconds())
	sh.mu.Unlock()
}

func (c *seriesCounts) add(seconds float64) {
	c.n++
	c.sum += seconds
	// The first bound at or above the duration: its bucket holds it.
	if i := sort.SearchFloat64s(durationBuckets[:], seconds); i < len(c.buckets) {
		c.buckets[i]++
	}
}

// verified counts one verification's outcome in sh.
func (sh *metricShard) verified(code string) {
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
	m.shards.Each(func(sh *metricShard) {
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
	})
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
func (s *Server) verify(c echo.Context, req verify.Request) (verify.Result, error) {
	res, err := s.verifier.Verify(c.Request().Context(), req)
	return s.counted(c, res, err)
}

// judge is verify without the key's usage, which its caller records.
func (s *Server) judge(c echo.Context, req verify.Request) (verify.Result, error) {
	res, err := s.verifier.Judge(c.Request().Context(), req)
	return s.counted(c, res, err)
}

// counted counts the outcome in the metrics' shard of c's context.
func (s *Server) counted(c echo.Context, res verify.Result, err error) (verify.Result, error) {
	if err == nil {
		c.(*visitContext).countsOf(s).metrics.verified(res.Code)
	}
	return res, err
}
