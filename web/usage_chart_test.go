package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// TestUsageChart: the usage tab draws the last 30 days as bars whose
// numbers and heights match the recorded counts (older days left out),
// and says the whole in words for screen readers.
func TestUsageChart(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "charted")
	day := func(ago int) string { return ts.now.AddDate(0, 0, -ago).Format(time.DateOnly) }
	err := ts.db.RecordUsage(context.Background(), nil, []apikey.UsageCount{
		{KeyID: k.ID, Day: day(2), Code: "VALID", Count: 7},
		{KeyID: k.ID, Day: day(2), Code: "IP_NOT_ALLOWED", Count: 2},
		{KeyID: k.ID, Day: day(2), Code: "KEY_INACTIVE", Count: 1},
		{KeyID: k.ID, Day: day(0), Code: "VALID", Count: 4},
		{KeyID: k.ID, Day: day(40), Code: "VALID", Count: 100}, // before the 30 days
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body := ts.get(t, keyURL(k.ID)+"?tab=usage")
	doc := parseHTML(t, body)
	bars := doc.Find(`[data-testid="usage-chart"] [data-testid="usage-bar"]`)
	if bars.Length() != 30 {
		t.Fatalf("%d bars", bars.Length())
	}
	busy := bars.Filter(`[data-day="` + day(2) + `"]`)
	if got := busy.Find("title").Text(); got != day(2)+": 7 accepted, 3 refused" {
		t.Fatalf("busiest day %q", got)
	}
	// The busiest day fills the scale: 120 high, 7/10 of it accepted.
	if a, r := busy.Find(".usage-accepted").AttrOr("height", ""), busy.Find(".usage-refused").AttrOr("height", ""); a != "84" || r != "36" {
		t.Fatalf("heights %s and %s", a, r)
	}
	if got := bars.Filter(`[data-day="`+day(0)+`"]`).Find(".usage-accepted").AttrOr("height", ""); got != "48" {
		t.Fatalf("today's height %s", got)
	}
	if bars.Filter(`[data-day="`+day(1)+`"]`).Find("rect").Length() != 0 {
		t.Fatal("a quiet day has a bar")
	}
	desc := doc.Find(`[data-testid="usage-chart"] desc`).Text()
	if want := fmt.Sprintf("11 requests accepted and 3 refused over the last 30 days; the busiest day was %s with 10", day(2)); !strings.Contains(desc, want) {
		t.Fatalf("in words: %q", desc)
	}
}
