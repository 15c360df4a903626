package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// viewport makes the tab's window as wide as a phone's screen, a small
// laptop's or a desktop's.
func (b *browser) viewport(width, height int64) {
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: width, Height: height, DeviceScaleFactor: 1})
		return err
	}))
}

// TestBrowserNarrowScreens: at 390, 1024 and 1440 px no page scrolls
// sideways (the list's table scrolls inside its frame if it must), the
// navigation leaves the content the width, and the add dialog stays
// inside the viewport. Screenshots of each are kept.
func TestBrowserNarrowScreens(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for i := range 12 {
		ts.addKey(t, fmt.Sprintf("Payments gateway for the Frankfurt data centre, replica %02d", i))
	}
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	for _, w := range []int64{390, 1024, 1440} {
		b.viewport(w, 844)
		for _, path := range []string{"/security/api-keys", "/security/audit", "/users", "/accounts"} {
			b.open(path)
			b.waitFor(`document.readyState === "complete"`)
			// Nothing reaches past the right edge, but inside a frame that
			// scrolls (a wide table) or is hidden.
			if !b.js(`document.documentElement.scrollWidth <= window.innerWidth && [...document.querySelectorAll("body *")].every(e =>
				e.closest(".table-wrap, .skip-link, dialog:not([open])") || e.getBoundingClientRect().right <= window.innerWidth + 1)`) {
				shot := b.screenshot(fmt.Sprintf("wide-%d%s", w, strings.ReplaceAll(path, "/", "-")))
				t.Errorf("%s at %d px scrolls sideways (screenshot %s): page %s px wide; past the edge: %s", path, w, shot,
					run(b, chromedp.Evaluate[string](`String(document.documentElement.scrollWidth)`)),
					run(b, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => !e.closest(".table-wrap, .skip-link, dialog:not([open])") &&
						e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 6).map(e => e.tagName + "." + e.className).join(" ")`)))
			}
		}
		b.open("/security/api-keys")
		b.screenshot(fmt.Sprintf("keys-%d", w))
		if !b.js(`[...document.querySelectorAll(".data-table time")].every(e => e.getClientRects().length === 1)`) {
			t.Errorf("at %d px a date in the list breaks across lines", w)
		}
		if w < 600 && !b.js(`document.querySelector("main").getBoundingClientRect().width >= window.innerWidth * 0.85`) {
			t.Errorf("at %d px the navigation takes the content's width", w)
		}
		b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
		b.screenshot(fmt.Sprintf("add-dialog-%d", w))
		if !b.js(`(() => { const r = document.querySelector("dialog[open] article").getBoundingClientRect();
			return r.left >= 0 && r.right <= window.innerWidth && r.top >= 0 && r.bottom <= window.innerHeight })()`) {
			t.Errorf("at %d px the add dialog leaves the viewport (screenshot %s)", w, b.screenshot(fmt.Sprintf("dialog-%d", w)))
		}
	}
}

// TestBrowserNoCSPViolations: the console keeps its own strict policy as
// dialogs open and come back with errors, and no page asks for a file we
// do not have (the browser's favicon request included).
func TestBrowserNoCSPViolations(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/security/api-keys")
	b.waitFor(`document.readyState === "complete"`)
	b.do(chromedp.Evaluate[chromedp.Void](`window.__csp = [];
		document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || "")))`))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
	b.do(
		chromedp.SetValue(chromedp.ID("allowed_ips"), "192.168.1.300"),
		chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` #allowed_ips[aria-invalid="true"]`)),
	)
	if v := run(b, chromedp.Evaluate[string](`window.__csp.join("; ")`)); v != "" {
		t.Errorf("policy violations: %s", v)
	}
	icon := run(b, chromedp.Evaluate[string](`(document.querySelector('link[rel="icon"]') || {}).href || ""`))
	if icon == "" {
		t.Fatal("no icon named: the browser asks for /favicon.ico, a 404 on every page")
	}
	if res, _ := ts.get(t, strings.TrimPrefix(icon, ts.URL)); res.StatusCode != 200 {
		t.Errorf("icon %s: %d", icon, res.StatusCode)
	}
}

// contrastJS is a function of two elements' computed colours: the WCAG
// contrast ratio of fg's text colour (or outline colour) against the first
// opaque background behind bg.
const contrastJS = `(fgColor, bgEl) => {
	const rgb = c => c.match(/[\d.]+/g).slice(0, 4).map(Number);
	const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }); return 0.2126 * r + 0.7152 * g + 0.0722 * b };
	let e = bgEl, bg = "rgb(255, 255, 255)";
	for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; const a = rgb(c)[3]; if (a === undefined || a > 0.9) { bg = c; break } }
	const [l1, l2] = [lum(fgColor), lum(bg)].sort((a, b) => b - a);
	return (l1 + 0.05) / (l2 + 0.05);
}`

// TestBrowserContrast: the top bar's role text reads at 4.5:1, and the
// focus ring that keyboard users follow stands at 3:1 against its ground,
// on a link, a secondary button and in the top bar.
func TestBrowserContrast(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "Focus target")
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/security/api-keys")
	b.waitFor(`document.readyState === "complete"`)
	ratio := func(expr string) float64 { return run(b, chromedp.Evaluate[float64](expr)) }
	if r := ratio(`(` + contrastJS + `)(getComputedStyle(document.querySelector(".topbar-user .muted")).color, document.querySelector(".topbar-user"))`); r < 4.5 {
		t.Errorf("the top bar's role text: %.1f:1", r)
	}
	// Tab until each kind of control has the focus, as a keyboard user does.
	for _, sel := range []string{`.topbar a.brand`, `main a[href^="/security/api-keys/key_"]`, `[data-testid="test-key"], .page-head a.secondary, .page-head button.secondary`} {
		found := false
		for range 60 {
			b.do(chromedp.KeyEvent("\t"))
			if b.js(`document.activeElement && document.activeElement.matches(` + "`" + sel + "`" + `)`) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("never reached %s by Tab", sel)
			continue
		}
		if r := ratio(`(() => { const e = document.activeElement, s = getComputedStyle(e);
			if (s.outlineStyle === "none" || parseFloat(s.outlineWidth) < 2) return 0;
			return (` + contrastJS + `)(s.outlineColor, e.parentElement) })()`); r < 3 {
			t.Errorf("focus ring on %s: %.1f:1", sel, r)
		}
	}
}

// tabTo presses Tab until the focus is on sel, as a keyboard user does.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for range 20 {
		if b.js(`document.activeElement && document.activeElement.matches(` + "`" + sel + "`" + `)`) {
			return
		}
		b.do(chromedp.KeyEvent("\t"))
	}
	b.t.Fatalf("never reached %s by Tab", sel)
}

// TestBrowserRowMenu: by keyboard alone, a key row's menu opens, Edit opens
// that key's form in a dialog, and Escape closes the dialog and then the
// menu with the focus back on the menu.
func TestBrowserRowMenu(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "Alpha")
	beta, _ := ts.addKey(t, "Beta")
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/security/api-keys")
	row := `[data-key-id="` + beta.ID + `"]`
	b.do(chromedp.Focus(chromedp.CSS(row + ` a.key-name`)))
	b.tabTo(row + ` .row-menu summary`)
	b.do(chromedp.KeyEvent(kb.Enter))
	if !b.js(`document.querySelector('` + row + ` .row-menu').open`) {
		t.Fatal("Enter did not open the menu")
	}
	b.screenshot("row-menu")
	b.tabTo(row + ` .row-menu a[href$="/edit"]`)
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
	if h := b.text(openDialog + ` h2`); h != "Edit Beta" {
		t.Errorf("the dialog is %q", h)
	}
	if !strings.HasSuffix(b.location(), "/security/api-keys") {
		t.Errorf("the dialog moved the page to %s", b.location())
	}
	// The dialog closes, then gives the focus back, in a moment.
	b.do(chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS("dialog")))
	b.waitFor(`document.activeElement === document.querySelector('` + row + ` .row-menu summary') && !document.querySelector('` + row + ` .row-menu').open`)
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Escape))
	if b.js(`document.querySelector('` + row + ` .row-menu').open`) {
		t.Error("Escape did not close the menu")
	}
}
