package web

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"keyconsole/internal/apikey"
)

// shown tells whether the element sel finds takes space on the page.
func (b *browser) shown(sel string) bool {
	b.t.Helper()
	return b.js(`(() => { const e = document.querySelector(` + jsString(sel) + `); return !!e && e.getClientRects().length > 0 })()`)
}

func jsString(s string) string {
	out := []byte{'"'}
	for _, r := range []byte(s) {
		if r == '"' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(append(out, '"'))
}

// TestBrowserDependentFields: the add form shows the custom expiry, the
// custom value and the Account Viewer's accounts only once the choice that
// uses them is picked, with scripts and without (CSS does it); a value left
// behind a choice changed later comes back refused, shown beside its field.
func TestBrowserDependentFields(t *testing.T) {
	t.Parallel()
	for _, script := range []bool{true, false} {
		name, root := "script", openDialog
		if !script {
			name, root = "no script", `[data-testid="dialog-page"]`
		}
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t)
			b := newBrowser(t, ts)
			if !script {
				b.withoutJavaScript()
			}
			b.signIn("admin", "pw-admin-long-enough")
			b.open("/security/api-keys")
			b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(root+` [data-testid="key-form"]`)))
			dependents := map[string]string{
				"custom expiry": root + ` [data-testid="custom-expiry"]`,
				"custom value":  root + ` [data-testid="custom-value-field"]`,
				"accounts":      root + ` [data-testid="account-picker"]`,
			}
			for what, sel := range dependents {
				if b.shown(sel) {
					t.Errorf("%s shown before its choice", what)
				}
			}
			b.do(
				chromedp.SetValue(chromedp.CSS(root+` #expires_in`), "custom"),
				chromedp.SetValue(chromedp.CSS(root+` #access_type`), "custom"),
				// By keyboard: the box is reached and ticked with the space bar.
				chromedp.Focus(chromedp.CSS(root+` input[name="roles"][value="account-viewer"]`)),
				chromedp.KeyEvent(" "),
			)
			for what, sel := range dependents {
				if !b.shown(sel) {
					t.Errorf("%s hidden after its choice", what)
				}
			}
			b.screenshot("dependent-fields-shown-" + name)

			// Days typed, then a preset chosen: hidden, sent, refused beside the field.
			b.do(
				chromedp.SetValue(chromedp.CSS(root+` #access_type`), "generated"),
				chromedp.Focus(chromedp.CSS(root+` input[name="roles"][value="account-viewer"]`)),
				chromedp.KeyEvent(" "),
				chromedp.SendKeys(chromedp.CSS(root+` #name`), "Dependent"),
				chromedp.SendKeys(chromedp.CSS(root+` #custom_days`), "45"),
				chromedp.SetValue(chromedp.CSS(root+` #expires_in`), "180d"),
			)
			if b.shown(dependents["custom expiry"]) || b.shown(dependents["custom value"]) || b.shown(dependents["accounts"]) {
				t.Fatal("a field still shown after its choice was undone")
			}
			b.do(
				chromedp.Click(chromedp.CSS(root+` [data-testid="key-form"] button[type="submit"]:not(.visually-hidden)`)),
				chromedp.WaitVisible(chromedp.CSS(root+` [data-testid="error-custom_days"]`)),
			)
			b.screenshot("dependent-fields-refused-" + name)
			if v := run(b, chromedp.Value(chromedp.CSS(root+` #custom_days`))); v != "45" || !b.shown(root+` #custom_days`) {
				t.Errorf("days not kept in sight: %q", v)
			}
			if p, _ := ts.db.ListKeys(t.Context(), storeQuery(ts, "Dependent")); len(p.Keys) != 0 {
				t.Fatal("stored with the days dropped")
			}

			// Regenerating a custom-value key: the value field waits for its choice.
			k, _ := ts.addKey(t, "Own value", func(k *apikey.Key) { k.AccessType = apikey.AccessCustom })
			b.open(keyURL(k.ID) + "/regenerate")
			field := `[data-testid="confirm-form"] [data-testid="custom-value-field"]`
			if b.shown(field) {
				t.Error("custom value shown before its choice")
			}
			b.do(chromedp.Click(chromedp.CSS(`input[name="secret"][value="custom"]`)))
			if !b.shown(field) {
				t.Error("custom value hidden after its choice")
			}
		})
	}
}

// TestBrowserEditConflict: an admin saves an edit after another changed
// the key; the dialog lists what the other changed, shows the key as it is
// with the admin's edit on top, fits a phone's width, and saving again
// keeps both.
func TestBrowserEditConflict(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Shared till")
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.viewport(390, 844)
	b.open(keyURL(k.ID))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="edit-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))

	olga := ts.signIn(t, "olga", ts.addUser(t, "olga", apikey.RoleGlobalAdmin))
	theirs := editFormOf(t, olga, k.ID)
	theirs.Set("type", "embedded")
	theirs.Set("allowed_ips", "192.0.2.0/24\n198.51.100.7")
	if res, _ := olga.post(t, keyURL(k.ID), theirs); res.StatusCode != 303 {
		t.Fatalf("olga's save: %d", res.StatusCode)
	}

	b.do(
		chromedp.SendKeys(chromedp.CSS(openDialog+` input[name="header_name"]`), "X-Team"),
		chromedp.SendKeys(chromedp.CSS(openDialog+` input[name="header_value"]`), "billing"),
		chromedp.Click(chromedp.CSS(openDialog+` [data-testid="key-form"] button[type="submit"]:not(.visually-hidden)`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="conflict-changes"]`)),
	)
	b.screenshot("edit-conflict-390")
	if !b.js(`document.querySelectorAll('dialog[open] [data-testid="conflict-change"]').length === 2`) {
		t.Errorf("changes listed: %q", b.text(openDialog+` [data-testid="conflict-changes"]`))
	}
	if !b.js(`(() => { const r = document.querySelector("dialog[open] article").getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth })()`) {
		t.Error("the conflict dialog is wider than the phone")
	}
	if v := run(b, chromedp.Value(chromedp.CSS(openDialog+` #type`))); v != "embedded" {
		t.Errorf("type in the form %q, want olga's", v)
	}
	if v := run(b, chromedp.Value(chromedp.CSS(openDialog+` input[name="header_value"]`))); v != "billing" {
		t.Errorf("the admin's edit not kept: %q", v)
	}
	// Saved again by keyboard, from the button.
	b.navigates(
		chromedp.Focus(chromedp.CSS(openDialog+` [data-testid="key-form"] button[type="submit"]:not(.visually-hidden)`)),
		chromedp.KeyEvent(kb.Enter),
	)
	got, _ := ts.db.Key(t.Context(), k.ID)
	if got.Type != apikey.TypeEmbedded || len(got.AllowedIPs) != 2 || len(got.ResponseHeaders) != 1 || got.ResponseHeaders[0].Name != "X-Team" {
		t.Fatalf("stored %+v", got)
	}
}
