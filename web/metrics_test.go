package web

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
)

// The metrics are counted in shards, one a processor, and summed when
// scraped: counts added from many goroutines at once, while scrapes and
// collections (which empty the pool the shards come from) run beside
// them, must all be there, and the shards must not grow in number.
func TestMetricsSumTheirShards(t *testing.T) {
	t.Parallel()
	m := newMetrics()
	const workers, each = 8, 2000
	const took = 1953125 * time.Nanosecond // 2⁻⁹ s: its sums are exact in binary
	var wg sync.WaitGroup
	var scrapeErr error // scrapes and collections while the counts are added
	stop := repeatAlongside(func() {
		if _, err := m.registry.Gather(); err != nil && scrapeErr == nil {
			scrapeErr = err
		}
		runtime.GC()
	})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m.shards.Pick().observe("/api/v1/keys/verify", "POST", 200, took)
				m.shards.Pick().verified([]string{"VALID", "NOT_FOUND"}[i%2])
			}
		}()
	}
	wg.Wait()
	stop()
	if scrapeErr != nil {
		t.Fatal(scrapeErr)
	}
	m.shards.Pick().observe("/login", "BREW", 418, 2*time.Second) // a method no one knows, past every bucket
	m.shards.Pick().verified("SOMETHING_NEW")
	const afterEmptied = 40
	for range afterEmptied { // two collections empty the pool: the shards made before serve again
		runtime.GC()
		runtime.GC()
		m.shards.Pick().verified("VALID")
	}

	n := workers * each
	want := fmt.Sprintf(`
# HELP keyconsole_http_request_duration_seconds HTTP request durations by route pattern.
# TYPE keyconsole_http_request_duration_seconds histogram
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.0005"} 0
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.001"} 0
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.0025"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.005"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.01"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.025"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.05"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.1"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.25"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="0.5"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="1"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/api/v1/keys/verify",le="+Inf"} %[1]d
keyconsole_http_request_duration_seconds_sum{route="/api/v1/keys/verify"} %[2]g
keyconsole_http_request_duration_seconds_count{route="/api/v1/keys/verify"} %[1]d
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.0005"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.001"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.0025"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.005"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.01"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.025"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.05"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.1"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.25"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="0.5"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="1"} 0
keyconsole_http_request_duration_seconds_bucket{route="/login",le="+Inf"} 1
keyconsole_http_request_duration_seconds_sum{route="/login"} 2
keyconsole_http_request_duration_seconds_count{route="/login"} 1
# HELP keyconsole_http_requests_total HTTP requests by route pattern, method and status.
# TYPE keyconsole_http_requests_total counter
keyconsole_http_requests_total{method="POST",route="/api/v1/keys/verify",status="200"} %[1]d
keyconsole_http_requests_total{method="other",route="/login",status="418"} 1
# HELP keyconsole_key_verifications_total API key verifications by outcome code.
# TYPE keyconsole_key_verifications_total counter
keyconsole_key_verifications_total{code="FORBIDDEN"} 0
keyconsole_key_verifications_total{code="IP_NOT_ALLOWED"} 0
keyconsole_key_verifications_total{code="KEY_EXPIRED"} 0
keyconsole_key_verifications_total{code="KEY_INACTIVE"} 0
keyconsole_key_verifications_total{code="NOT_FOUND"} %[3]d
keyconsole_key_verifications_total{code="RATE_LIMITED"} 0
keyconsole_key_verifications_total{code="SOMETHING_NEW"} 1
keyconsole_key_verifications_total{code="VALID"} %[4]d
`, n, float64(n)*took.Seconds(), n/2, n/2+afterEmptied)
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	got.WriteString("\n")
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "keyconsole_") {
			if _, err := expfmt.MetricFamilyToText(&got, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got.String() != want {
		t.Errorf("scraped\n%s\nwant\n%s", got.String(), want)
	}
	if shards, limit := m.shards.Len(), 2*runtime.GOMAXPROCS(0); shards > limit {
		t.Errorf("%d shards after the collections, want at most %d", shards, limit)
	}
}
