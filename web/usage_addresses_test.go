package web

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
	"keyconsole/internal/usage"
)

// usedFromAddresses serves a test console that counts usage and takes the
// client's address from X-Forwarded-For, with a key that may list keys
// from 192.0.2.0/24, 2001:db8::/32 and 203.0.113.0/24 (so 198.51.100.9 is
// refused), and returns the console, the key, a function that calls the
// API with the key from an address, and the recorder.
func usedFromAddresses(t *testing.T) (*testServer, *apikey.Key, func(ip string), *usage.Recorder) {
	t.Helper()
	var rec *usage.Recorder
	ts := newTestServer(t, func(c *testConfig) {
		rec = usage.New(c.Store, nil)
		c.Usage = rec
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	k, secret := ts.addKey(t, "used widely", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
		for _, p := range []string{"192.0.2.0/24", "2001:db8::/32", "203.0.113.0/24"} {
			k.AllowedIPs = append(k.AllowedIPs, apikey.IPEntry{Prefix: netip.MustParsePrefix(p), Source: p})
		}
	})
	call := func(ip string) {
		t.Helper()
		res, _ := ts.apiCall(t, "GET", "/api/v1/keys", secret, nil, "X-Forwarded-For", ip)
		if want := map[bool]int{true: 403, false: 200}[ip == "198.51.100.9"]; res.StatusCode != want {
			t.Fatalf("from %s: %d, want %d", ip, res.StatusCode, want)
		}
	}
	return ts, k, call, rec
}

// useFromAddresses makes the requests TestUsageTabClientAddresses reads
// back: an old one, some two days ago and the most today, from thirteen
// addresses in the last 30 days; it returns today.
func useFromAddresses(t *testing.T, ts *testServer, call func(string), rec *usage.Recorder) time.Time {
	t.Helper()
	today := ts.now
	ts.now = today.AddDate(0, 0, -40) // before the 30 days the tab shows
	call("203.0.113.50")
	ts.now = today.AddDate(0, 0, -2)
	call("192.0.2.1")
	call("192.0.2.1")
	call("198.51.100.9")
	for range 3 {
		call("192.0.2.2") // seen last two days ago
	}
	ts.now = today
	for _, ip := range []string{"192.0.2.1", "192.0.2.1", "198.51.100.9", "198.51.100.9", "2001:db8::1", "2001:db8::1"} {
		call(ip)
	}
	for i := 10; i <= 18; i++ {
		call(fmt.Sprintf("192.0.2.%d", i))
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return today
}

// TestUsageTabClientAddresses: the usage tab lists the client addresses a
// key was used from in the last 30 days, busiest first, with their
// requests, refusals and when each was last seen, the ten busiest one by
// one and the rest as other addresses; together they add up to the chart.
func TestUsageTabClientAddresses(t *testing.T) {
	t.Parallel()
	ts, k, call, rec := usedFromAddresses(t)
	today := useFromAddresses(t, ts, call, rec)
	_, body := ts.get(t, keyURL(k.ID)+"?tab=usage")
	doc := parseHTML(t, body)
	var got []string
	requests := 0
	doc.Find(`[data-testid="usage-addresses"] [data-testid="usage-address"]`).Each(func(_ int, row *goquery.Selection) {
		cells := []string{strings.TrimSpace(row.Find("th").Text())}
		row.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		got = append(got, strings.Join(cells, " | "))
		var n int
		fmt.Sscan(cells[1], &n)
		requests += n
	})
	seen := formatDateTime(today)
	want := []string{
		"192.0.2.1 | 4 | 0 | " + seen,
		"192.0.2.2 | 3 | 0 | " + formatDateTime(today.AddDate(0, 0, -2)),
		"198.51.100.9 | 3 | 3 | " + seen,
		"2001:db8::1 | 2 | 0 | " + seen,
	}
	for i := 10; i <= 15; i++ {
		want = append(want, fmt.Sprintf("192.0.2.%d | 1 | 0 | %s", i, seen))
	}
	want = append(want, "Other addresses | 3 | 0 | "+seen)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("addresses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The same requests as the chart counts, no more and no fewer.
	desc := doc.Find(`[data-testid="usage-chart"] desc`).Text()
	if !strings.Contains(desc, "18 requests accepted and 3 refused") || requests != 21 {
		t.Fatalf("%d requests by address; the chart says %q", requests, desc)
	}
	if doc.Find(`[data-testid="usage-address-others"]`).Length() != 1 || strings.Contains(body, "203.0.113.50") {
		t.Fatal("the other addresses are not marked as such, or an address older than 30 days shows")
	}
}

// TestUsageTabNoClientAddresses: a key not used yet says so where its
// addresses would be.
func TestUsageTabNoClientAddresses(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "unused")
	_, body := ts.get(t, keyURL(k.ID)+"?tab=usage")
	doc := parseHTML(t, body)
	if empty := doc.Find(`[data-testid="usage-addresses-empty"]`).Text(); !strings.Contains(empty, "No client addresses recorded for this key in the last 30 days") ||
		doc.Find(`[data-testid="usage-addresses"]`).Length() != 0 {
		t.Fatalf("empty state %q", empty)
	}
}
