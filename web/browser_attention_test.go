package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserAttentionPanel: the keys page with its "Needs attention"
// panel at 1440 and 390 px, nothing past the right edge on a phone, and a
// panel link followed by keyboard alone to the list it names.
func TestBrowserAttentionPanel(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	attentionKeys(t, ts)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	for _, w := range []int64{1440, 390} {
		b.viewport(w, 844)
		b.open("/security/api-keys")
		b.waitFor(`document.readyState === "complete" && document.querySelectorAll('[data-testid="attention-item"]').length === 6`)
		b.screenshot(fmt.Sprintf("attention-panel-%d", w))
		if !b.js(`document.documentElement.scrollWidth <= window.innerWidth && [...document.querySelectorAll("body *")].every(e =>
			e.closest(".table-wrap, .skip-link, dialog:not([open])") || e.getBoundingClientRect().right <= window.innerWidth + 1)`) {
			t.Errorf("at %d px the keys page scrolls sideways; past the edge: %s", w,
				run(b, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => !e.closest(".table-wrap, .skip-link, dialog:not([open])") &&
					e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 6).map(e => e.tagName + "." + e.className).join(" ")`)))
		}
	}
	// By keyboard: Tab from the top of the page to the rule's link, then Enter.
	const link = `document.querySelector('[data-testid="attention-item"][data-rule="admin-unrestricted"] a')`
	b.do(chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	for i := 0; !b.js(`document.activeElement === ` + link); i++ {
		if i == 60 {
			t.Fatalf("Tab never reaches the panel's admin line (focus on %s)", run(b, chromedp.Evaluate[string](`document.activeElement.outerHTML.slice(0, 120)`)))
		}
		b.do(chromedp.KeyEvent(kb.Tab))
	}
	if !b.js(`getComputedStyle(document.activeElement).outlineStyle !== "none"`) {
		t.Error("the focused panel link shows no focus ring")
	}
	b.navigates(chromedp.KeyEvent(kb.Enter))
	if loc := b.location(); !strings.HasSuffix(loc, "/security/api-keys?attention=admin-unrestricted") {
		t.Errorf("went to %s", loc)
	}
	if got := b.text(`[data-testid="attention-filter"]`); !strings.HasPrefix(got, "Showing: active keys with an admin role") {
		t.Errorf("chip %q", got)
	}
	if got := b.text(`[data-testid="key-table"] tbody`); !strings.Contains(got, "admin from anywhere") || strings.Contains(got, "admin from one address") {
		t.Errorf("filtered list %q", got)
	}
	b.screenshot("attention-filtered-390")
}
