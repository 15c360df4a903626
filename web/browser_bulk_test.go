package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"keyconsole/internal/apikey"
)

// TestBrowserBulkDeactivate: by keyboard alone two rows are ticked, the
// bar appears and counts them, its Deactivate asks in a dialog and,
// with a reason, deactivates exactly those two; without JavaScript the
// bar is always there and the question is a page of its own.
func TestBrowserBulkDeactivate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	alpha, _ := ts.addKey(t, "Alpha")
	beta, _ := ts.addKey(t, "Beta")
	gamma, _ := ts.addKey(t, "Gamma")
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/security/api-keys")
	if b.shown(`[data-testid="bulk-bar"]`) {
		t.Fatal("the bar shows before anything is ticked")
	}
	box := func(id string) string { return `[data-key-id="` + id + `"] input[form="bulk-form"]` }
	b.do(chromedp.Focus(chromedp.CSS(`[data-testid="select-page"]`)))
	for _, id := range []string{alpha.ID, beta.ID} {
		b.tabTo(box(id))
		b.do(chromedp.KeyEvent(" "))
	}
	b.waitFor(`document.querySelectorAll('input[form="bulk-form"]:checked').length === 2`)
	if !b.shown(`[data-testid="bulk-bar"]`) || b.text(`[data-bulk-count]`) != "2 selected:" {
		t.Fatalf("the bar after ticking two: shown %v, %q", b.shown(`[data-testid="bulk-bar"]`), b.text(`[data-bulk-count]`))
	}
	b.axe("bulk-bar")
	// At a phone's width the bar wraps inside the page.
	b.viewport(390, 844)
	if !b.js(`[...document.querySelectorAll("[data-testid=bulk-bar] *")].every(e => e.getBoundingClientRect().right <= window.innerWidth + 1)`) {
		t.Errorf("at 390 px the bar reaches past the edge (screenshot %s)", b.screenshot("bulk-bar-390"))
	}
	b.viewport(1400, 900)
	b.do(chromedp.Focus(chromedp.CSS(`[data-testid="bulk-deactivate"]`)), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	if got := b.text(openDialog + ` [data-testid="bulk-summary"]`); got != "2 keys will be deactivated." {
		t.Fatalf("the dialog counts %q", got)
	}
	b.axe("bulk-dialog")
	b.do(chromedp.SendKeys(chromedp.CSS(openDialog+` #reason`), "end of the pilot"))
	b.navigates(chromedp.Focus(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)), chromedp.KeyEvent(kb.Enter))
	if got := b.text(`[data-testid="flash"]`); !strings.HasPrefix(got, "Deactivated 2 keys.") {
		t.Errorf("after the bulk action: %q", got)
	}
	if keyActive(t, ts, alpha.ID) || keyActive(t, ts, beta.ID) || !keyActive(t, ts, gamma.ID) {
		t.Fatal("not exactly the two ticked were deactivated")
	}

	n := newBrowser(t, ts).withoutJavaScript()
	n.signIn("admin", "pw-admin-long-enough")
	n.open("/security/api-keys")
	if !n.shown(`[data-testid="bulk-bar"]`) || n.shown(`[data-testid="select-page"]`) {
		t.Fatal("without JavaScript the bar should show, and select-page not")
	}
	n.do(chromedp.Focus(chromedp.CSS(box(gamma.ID))), chromedp.KeyEvent(" "))
	n.navigates(chromedp.Click(chromedp.CSS(`[data-testid="bulk-deactivate"]`)))
	if got := n.text(`[data-testid="dialog-page"] [data-testid="bulk-summary"]`); got != "1 key will be deactivated." {
		t.Fatalf("the question page counts %q", got)
	}
	n.do(chromedp.SendKeys(chromedp.ID("reason"), "no script either"))
	n.navigates(chromedp.Click(chromedp.CSS(`[data-testid="confirm-button"]`)))
	if got := n.text(`[data-testid="flash"]`); !strings.HasPrefix(got, "Deactivated 1 key.") || keyActive(t, ts, gamma.ID) {
		t.Errorf("without JavaScript: %q", got)
	}
	events, _, _ := ts.db.ListAudit(context.Background(), apikey.AuditQuery{Action: apikey.ActionKeyDeactivated})
	reasons := map[string]string{}
	for _, ev := range events {
		reasons[ev.TargetID] = ev.Reason
	}
	if len(events) != 3 || reasons[alpha.ID] != "end of the pilot" || reasons[gamma.ID] != "no script either" {
		t.Fatalf("audit %v", reasons)
	}
}
