package web

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserUsageTab opens the usage tab of a key used from many
// addresses (a long IPv6 one among them) at a desktop's width and a
// phone's: the chart and the addresses show, with screenshots of both,
// axe finds nothing serious, and at 390 px nothing reaches past the right
// edge but inside a table's own scrolling frame.
func TestBrowserUsageTab(t *testing.T) {
	t.Parallel()
	ts, k, call, rec := usedFromAddresses(t)
	for range 5 { // the busiest: listed first
		call("2001:db8:1234:5678:9abc:def0:1234:5678")
	}
	useFromAddresses(t, ts, call, rec)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	for _, w := range []int64{1440, 390} {
		b.viewport(w, 900)
		b.open(keyURL(k.ID) + "?tab=usage")
		b.waitFor(`document.readyState === "complete"`)
		b.screenshot(fmt.Sprintf("usage-tab-%d", w))
		if !b.js(`document.querySelectorAll('[data-testid="usage-chart"] [data-testid="usage-bar"]').length === 30 &&
			document.querySelectorAll('[data-testid="usage-address"]').length === 11 &&
			document.querySelector('[data-testid="usage-address"] code').textContent === "2001:db8:1234:5678:9abc:def0:1234:5678" &&
			document.querySelector('[data-testid="usage-addresses"]').getBoundingClientRect().height > 0`) {
			t.Errorf("at %d px the chart or the addresses are missing (screenshot %s)", w, b.screenshot(fmt.Sprintf("usage-missing-%d", w)))
		}
		b.axe(fmt.Sprintf("usage-tab-%d", w))
		if w == 390 {
			if past := b.pastRightEdge(); past != "" {
				t.Errorf("at %d px the usage tab scrolls sideways (screenshot %s): %s", w, b.screenshot("usage-wide-390"), past)
			}
		}
	}
}

// pastRightEdge names what reaches past the viewport's right edge, outside
// a frame that scrolls (a wide table) or is hidden, and how wide the page
// is; empty when nothing does.
func (b *browser) pastRightEdge() string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`(() => {
		const past = [...document.querySelectorAll("body *")].filter(e => !e.closest(".table-wrap, .skip-link, dialog:not([open])") &&
			e.getBoundingClientRect().right > window.innerWidth + 1);
		if (document.documentElement.scrollWidth <= window.innerWidth && past.length === 0) return "";
		return "page " + document.documentElement.scrollWidth + " px wide; past the edge: " +
			past.slice(0, 6).map(e => e.tagName + "." + e.className).join(" ");
	})()`))
}
