package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"keyconsole/internal/apikey"
)

const discardAsk = openDialog + ` [data-testid="discard-ask"]`

// openAddDialog opens the add dialog from the list.
func (b *browser) openAddDialog() {
	b.t.Helper()
	b.open("/security/api-keys")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
}

// TestBrowserEscapeKeepsTypedInput: Escape closes an untouched add dialog,
// but with something typed it asks "Discard the changes?" and keeps the
// input (a second Escape too: browsers close a dialog on it without asking
// the page); × asks as well; "Keep editing" goes back to the form,
// "Discard" closes it. The same holds for the edit dialog, and for a form
// that came back with errors.
func TestBrowserEscapeKeepsTypedInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Edited key")
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")

	b.openAddDialog()
	b.do(chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS(openDialog)))

	b.openAddDialog()
	b.do(chromedp.SendKeys(chromedp.ID("name"), "Half typed"), chromedp.KeyEvent(kb.Escape), chromedp.WaitVisible(chromedp.CSS(discardAsk)))
	if got := b.text(discardAsk + " p"); got != "Discard the changes?" {
		t.Errorf("the question says %q", got)
	}
	if !b.js(`document.activeElement && document.activeElement.dataset.testid === "keep-editing"`) {
		t.Error("focus is not on Keep editing")
	}
	b.screenshot("discard-ask")
	// Escape again: back to the form, nothing lost.
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor(`document.querySelector('` + discardAsk + `').hidden`)
	b.do(chromedp.KeyEvent(kb.Escape), chromedp.WaitVisible(chromedp.CSS(discardAsk)))
	b.do(chromedp.Click(chromedp.CSS(discardAsk + ` [data-testid="keep-editing"]`)))
	b.waitFor(`document.querySelector('` + discardAsk + `').hidden`)
	if v := run(b, chromedp.Value(chromedp.CSS(openDialog+` #name`))); v != "Half typed" {
		t.Fatalf("the name after Escape: %q", v)
	}
	// × asks too; Discard closes.
	b.do(chromedp.Click(chromedp.CSS(openDialog+` .dialog-close`)), chromedp.WaitVisible(chromedp.CSS(discardAsk)))
	b.do(chromedp.Click(chromedp.CSS(discardAsk+` [data-testid="discard"]`)), chromedp.WaitNotPresent(chromedp.CSS(openDialog)))

	// A form that came back with errors holds what was typed.
	b.openAddDialog()
	b.do(
		chromedp.SetValue(chromedp.ID("allowed_ips"), "192.168.1.300"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("dialog[open] form").dataset.changed = ""`), // as if only the server filled it
		chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` #allowed_ips[aria-invalid="true"]`)),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitVisible(chromedp.CSS(discardAsk)),
	)

	// The edit dialog.
	b.open(keyURL(k.ID))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="edit-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
	b.do(chromedp.Click(chromedp.CSS(`input[name="roles"][value="support"]`)), chromedp.KeyEvent(kb.Escape), chromedp.WaitVisible(chromedp.CSS(discardAsk)))
	if !b.js(`document.querySelector('dialog[open] input[name="roles"][value="support"]').checked`) {
		t.Error("the edit lost its change")
	}
}

// TestBrowserShowOnceClosedShowsTheKey: closing the show-once dialog with
// Escape or × leaves the list with the new key and says it was created.
func TestBrowserShowOnceClosedShowsTheKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	for _, c := range []struct {
		name  string
		close chromedp.Action[chromedp.Void]
	}{
		{"Escaped key", chromedp.KeyEvent(kb.Escape)},
		{"Crossed key", chromedp.Click(chromedp.CSS(openDialog + ` .dialog-close`))},
	} {
		b.openAddDialog()
		b.do(
			chromedp.SendKeys(chromedp.ID("name"), c.name),
			chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)),
		)
		b.navigates(c.close)
		b.waitFor(`[...document.querySelectorAll('[data-testid="key-row"] .key-name')].some(a => a.textContent.trim() === "` + c.name + `")`)
		if got := b.text(`[role="status"][data-testid="flash"]`); got != "Created the key “"+c.name+"”." {
			t.Errorf("%s: the page says %q", c.name, got)
		}
	}
	b.screenshot("show-once-closed")
}

// TestBrowserSecretBoxAndNameCopy: a JWT's secret wraps in its box and
// shows whole, at 390 px and at desktop width, and still copies; the
// key's name has a copy button of its own.
func TestBrowserSecretBoxAndNameCopy(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	// The clipboard as the page writes it: the test reads what was copied.
	copied := `window.__copied = []; navigator.clipboard.writeText = t => { window.__copied.push(t); return Promise.resolve(); }`
	for _, w := range []int64{390, 1400} {
		b.viewport(w, 844)
		name := "JWT key " + map[int64]string{390: "phone", 1400: "desk"}[w]
		b.openAddDialog()
		b.do(
			chromedp.SendKeys(chromedp.ID("name"), name),
			chromedp.SetValue(chromedp.ID("access_type"), string(apikey.AccessJWT)),
			chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)),
			chromedp.Evaluate[chromedp.Void](copied),
		)
		secret := run(b, chromedp.Value(chromedp.CSS(`[data-testid="secret-value"]`)))
		if strings.Count(secret, ".") != 2 || len(secret) < 200 {
			t.Fatalf("not a JWT: %q", secret)
		}
		b.screenshot("jwt-secret-" + map[int64]string{390: "phone", 1400: "desk"}[w])
		// All of it shows: several lines, nothing scrolled out of sight
		// either way, and the box within the dialog.
		if !b.js(`(() => { const e = document.querySelector('[data-testid="secret-value"]'); const line = parseFloat(getComputedStyle(e).lineHeight);
			const box = e.getBoundingClientRect(), dialog = document.querySelector("dialog[open] article").getBoundingClientRect();
			return e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1 && e.clientHeight >= 2 * line && box.right <= dialog.right })()`) {
			t.Errorf("at %d px the secret box hides part of the JWT: %s", w, run(b, chromedp.Evaluate[string](`(() => { const e = document.querySelector('[data-testid="secret-value"]');
				return [e.scrollHeight, e.clientHeight, e.scrollWidth, e.clientWidth].join(" ") })()`)))
		}
		b.do(chromedp.Click(chromedp.CSS(`[data-testid="copy-secret"]`)))
		b.waitFor(`document.querySelector('[data-copy-status]').textContent === "The secret is on your clipboard."`)
		b.do(chromedp.Click(chromedp.CSS(`[data-testid="copy-name"]`)))
		b.waitFor(`document.querySelector('[data-copy-status]').textContent === "The name is on your clipboard."`)
		if got := run(b, chromedp.Evaluate[[]string](`window.__copied`)); len(got) != 2 || got[0] != secret || got[1] != name {
			t.Errorf("copied %q", got)
		}
		if b.text(`[data-testid="copy-name"]`) != "Copied" {
			t.Error("the name's copy button does not say it copied")
		}
		b.navigates(chromedp.KeyEvent(kb.Escape))
	}
}

// TestBrowserPredefinedKeysAsk: the predefined keys' button asks in a
// dialog that names each key; confirming switches them off and the list
// says so.
func TestBrowserPredefinedKeysAsk(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/accounts")
	b.do(chromedp.SendKeys(chromedp.ID("name"), "Globex Berlin"))
	b.navigates(chromedp.Click(chromedp.CSS(`[data-testid="account-form"] button[type="submit"]`)))
	if got := b.text(`[data-testid="flash"]`); !strings.Contains(got, "Added the account “Globex Berlin”") {
		t.Errorf("after adding the account: %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="deactivate-predefined"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	if msg := b.text(openDialog + ` [data-testid="confirm-form"]`); !strings.Contains(msg, "Deactivate 3 predefined keys of Globex Berlin: Chrome extension key, Default key for client and gateway, Embedded terminal key?") ||
		!strings.Contains(msg, "Every client using them stops working") {
		t.Errorf("the question says %q", msg)
	}
	b.screenshot("predefined-ask")
	// Cancel changes nothing.
	b.do(chromedp.Click(chromedp.CSS(openDialog+` [data-close-dialog].secondary`)), chromedp.WaitNotPresent(chromedp.CSS(openDialog)))
	if !b.js(`document.activeElement && document.activeElement.dataset.testid === "deactivate-predefined"`) {
		t.Error("focus not back on the button")
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="deactivate-predefined"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="confirm-button"]`)))
	if got := b.text(`[data-testid="flash"]`); !strings.HasPrefix(got, "Deactivated 3 predefined keys of Globex Berlin") {
		t.Errorf("after deactivating: %q", got)
	}
	if b.js(`document.querySelector('[data-testid="deactivate-predefined"]') !== null`) {
		t.Error("the button stays")
	}
}
