package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// countHTMXRequests makes the page count the requests htmx sends from now
// on, by path without its query.
func (b *browser) countHTMXRequests() {
	b.t.Helper()
	b.js(`window.sent = {}; document.body.addEventListener('htmx:beforeRequest', e => {
		const p = e.detail.requestConfig.path.split('?')[0]; window.sent[p] = (window.sent[p] || 0) + 1 }); true`)
}

// sentTo is how many requests htmx sent to path since countHTMXRequests.
func (b *browser) sentTo(path string) int {
	b.t.Helper()
	return run(b, chromedp.Evaluate[int](fmt.Sprintf(`window.sent[%q] || 0`, path)))
}

// Typing a search and pressing Enter before the typing's own delay is up
// sends the search once, on the keys list and in the account chooser: the
// submit takes the place of the typing's request, and nothing else the
// keys and Enter fire (a committed value's change) sends it again.
func TestBrowserSearchEnterSendsOnce(t *testing.T) {
	t.Parallel()
	ts, _, b := withManyAccounts(t)
	ts.addKey(t, "Findable key")
	ts.addKey(t, "Other key")

	b.open("/security/api-keys")
	b.countHTMXRequests()
	b.do(chromedp.SendKeys(chromedp.ID("key-search"), "findable\r"))
	b.waitFor(`document.querySelectorAll('[data-testid="key-row"]').length === 1`)
	time.Sleep(600 * time.Millisecond) // past the typing's delay
	if n := b.sentTo("/security/api-keys"); n != 1 {
		t.Errorf("keys list: the search sent %d times, want once", n)
	}
	// Typed and left to its delay, then left by Tab: once more in all.
	b.js(`document.getElementById('key-search').value = ''; true`)
	b.do(chromedp.SendKeys(chromedp.ID("key-search"), "other"))
	b.waitFor(`document.querySelectorAll('[data-testid="key-row"]').length === 1 && document.querySelector('[data-testid="key-row"]').textContent.includes('Other key')`)
	b.do(chromedp.KeyEvent("\t"))
	time.Sleep(600 * time.Millisecond)
	if n := b.sentTo("/security/api-keys"); n != 2 {
		t.Errorf("keys list: a typed search left by Tab sent %d requests in all, want 2", n)
	}
	// A filter's change still sends at once.
	b.js(`document.getElementById('key-search').value = '';
		const status = document.querySelector('[data-testid="key-filters"] select[name="status"]');
		status.value = 'inactive'; status.dispatchEvent(new Event('change', {bubbles: true})); true`)
	b.waitFor(`document.querySelectorAll('[data-testid="key-row"]').length === 0`)
	if n := b.sentTo("/security/api-keys"); n != 3 {
		t.Errorf("keys list: a filter's change made %d requests in all, want 3", n)
	}

	b.open("/security/audit")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="switch-account"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` #account-q`)))
	b.countHTMXRequests()
	b.do(chromedp.SendKeys(chromedp.ID("account-q"), "00042\r"))
	b.waitFor(`document.querySelectorAll('dialog[open] [data-testid="account-choices"] a').length === 1`)
	time.Sleep(600 * time.Millisecond)
	if n := b.sentTo("/accounts/switch"); n != 1 {
		t.Errorf("account chooser: the search sent %d times, want once", n)
	}
}
