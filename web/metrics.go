package web

import (
	"context"
	"net/http"
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
type metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	verifications *prometheus.CounterVec

	// The series already resolved: a labelled look-up hashes every label
	// and formats the status on each request, the verification path's
	// most frequent cost after the network.
	mu       sync.RWMutex
	series   map[seriesKey]routeSeries
	outcomes map[string]prometheus.Counter // by verification code; never changed after newMetrics
}

type seriesKey struct {
	route, method string
	status        int
}

type routeSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyconsole_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "keyconsole_http_request_duration_seconds", Help: "HTTP request durations by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"route"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyconsole_key_verifications_total", Help: "API key verifications by outcome code.",
		}, []string{"code"}),
	}
	m.series = map[seriesKey]routeSeries{}
	m.outcomes = map[string]prometheus.Counter{}
	for _, code := range verify.Codes {
		m.outcomes[code] = m.verifications.WithLabelValues(code)
	}
	m.registry.MustRegister(m.requests, m.duration, m.verifications,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // a client may send any token: the series stay bounded
	}
	k := seriesKey{route, method, status}
	m.mu.RLock()
	s, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		// Routes are patterns and methods a handful: the map stays small.
		s = routeSeries{m.requests.WithLabelValues(route, method, strconv.Itoa(status)), m.duration.WithLabelValues(route)}
		m.mu.Lock()
		m.series[k] = s
		m.mu.Unlock()
	}
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

// verified counts one verification's outcome.
func (m *metrics) verified(code string) {
	if c, ok := m.outcomes[code]; ok {
		c.Inc()
		return
	}
	m.verifications.WithLabelValues(code).Inc()
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
