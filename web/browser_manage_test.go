package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyconsole/internal/apikey"
)

// TestBrowserAccountDeleteQuestion: the accounts page's Delete asks in a
// dialog that names the predefined keys going with the account, Cancel
// leaves everything, and the delete button removes account and keys; at
// 390 px the dialog stays on the screen. Without JavaScript the same
// question is a page.
func TestBrowserAccountDeleteQuestion(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Shop"}, "parent_id": {ts.root}})
	shop := strings.TrimPrefix(res.Header.Get("Location"), "/security/api-keys?account=")
	res, _ = ts.admin.post(t, "/accounts", url.Values{"name": {"Kiosk"}, "parent_id": {ts.root}})
	kiosk := strings.TrimPrefix(res.Header.Get("Location"), "/security/api-keys?account=")
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.viewport(390, 844)
	b.open("/accounts")
	deleteLink := `[data-account-id="` + shop + `"] [data-testid="delete-account"]`
	b.do(chromedp.Click(chromedp.CSS(deleteLink)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-items"]`)))
	b.screenshot("account-delete-question")
	if got := b.text(openDialog + ` [data-testid="confirm-items"]`); !strings.Contains(got, "Chrome extension key") || !strings.Contains(got, "Embedded terminal key") {
		t.Errorf("the question lists %q", got)
	}
	if !b.js(`(() => { const r = document.querySelector("dialog[open] article").getBoundingClientRect();
		return r.left >= 0 && r.right <= window.innerWidth })()`) {
		t.Error("at 390 px the question leaves the screen")
	}
	b.do(chromedp.Click(chromedp.CSS(openDialog+` [data-close-dialog].secondary`)), chromedp.WaitNotPresent(chromedp.CSS(openDialog)))
	if _, err := ts.db.Account(context.Background(), shop); err != nil {
		t.Fatalf("cancel deleted: %v", err)
	}
	b.do(chromedp.Click(chromedp.CSS(deleteLink)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="confirm-button"]`)))
	if _, err := ts.db.Account(context.Background(), shop); apikey.ErrorCode(err) != apikey.ENOTFOUND || !strings.HasSuffix(b.location(), "/accounts") {
		t.Errorf("after the delete at %s: %v", b.location(), err)
	}
	if keys, _ := ts.db.PredefinedKeys(context.Background(), shop); len(keys) != 0 {
		t.Errorf("%d predefined keys left", len(keys))
	}

	plain := b.another().withoutJavaScript()
	plain.signIn("admin", "pw-admin-long-enough")
	plain.open("/accounts")
	plain.navigates(chromedp.Click(chromedp.CSS(`[data-account-id="` + kiosk + `"] [data-testid="delete-account"]`)))
	if !strings.Contains(plain.text(`[data-testid="confirm-items"]`), "Default key for client and gateway") {
		t.Error("the question page does not list the keys")
	}
	plain.navigates(chromedp.Click(chromedp.CSS(`[data-testid="confirm-button"]`)))
	if _, err := ts.db.Account(context.Background(), kiosk); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("without JavaScript: %v", err)
	}
}

// TestBrowserUserEdit: each user row has one Edit link; the edit page
// saves the role with one button, by keyboard, and deletes after a
// question; at 390 px neither page scrolls sideways.
func TestBrowserUserEdit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addUser(t, "sam", apikey.RoleSupport)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.viewport(390, 844)
	b.open("/users")
	row := `[data-testid="user-row"][data-username="sam"]`
	if n := run(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="user-row"][data-username="sam"] button, [data-testid="user-row"][data-username="sam"] a').length`)); n != 1 {
		t.Errorf("a user row has %d controls, want its Edit link", n)
	}
	b.navigates(chromedp.Click(chromedp.CSS(row + ` [data-testid="edit-user"]`)))
	b.screenshot("user-edit-390")
	if !b.js(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the edit page scrolls sideways at 390 px")
	}
	// By keyboard: choose the role, then Enter in the form saves it.
	b.do(chromedp.Focus(chromedp.ID("role")), chromedp.SetValue(chromedp.ID("role"), "global-viewer"))
	b.navigates(chromedp.Focus(chromedp.CSS(`[data-testid="role-form"] button[type="submit"]`)), chromedp.KeyEvent("\r"))
	if u, _ := ts.db.UserByName(context.Background(), "sam"); u.Role != apikey.RoleGlobalViewer || !strings.HasSuffix(b.location(), "/users") {
		t.Fatalf("after save: %s at %s", u.Role, b.location())
	}
	b.navigates(chromedp.Click(chromedp.CSS(row + ` [data-testid="edit-user"]`)))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="delete-user"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	b.screenshot("user-delete-question")
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="confirm-button"]`)))
	if _, err := ts.db.UserByName(context.Background(), "sam"); apikey.ErrorCode(err) != apikey.ENOTFOUND || !strings.HasSuffix(b.location(), "/users") {
		t.Errorf("after the delete at %s: %v", b.location(), err)
	}
	if !b.js(`document.querySelector('[data-username="sam"]') === null`) {
		t.Error("sam still listed")
	}
}
