package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyconsole/internal/apikey"
)

// axe-core is vendored for this test only, under testdata (never embedded
// in static/, so the product does not serve it).
const axeDir = "testdata/axe/"

var loadAxe = sync.OnceValues(func() (string, error) {
	src, err := os.ReadFile(axeDir + "axe.min.js")
	if err != nil {
		return "", err
	}
	sum, err := os.ReadFile(axeDir + "axe.min.js.sha256")
	if err != nil {
		return "", err
	}
	want, _, _ := strings.Cut(string(sum), " ")
	got := sha256.Sum256(src)
	if hex.EncodeToString(got[:]) != want {
		return "", fmt.Errorf("axe.min.js does not match axe.min.js.sha256 (%x)", got)
	}
	return string(src), nil
})

// axeViolation is what axe reports of one rule broken, with the elements
// that break it.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v axeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s; at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
}

// axeRun is the script that runs every axe rule on the page and keeps the
// serious and critical violations.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
	.filter(v => v.impact === "serious" || v.impact === "critical")
	.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))})))`

// axe runs axe-core on the page as it is, injected through the DevTools
// protocol (which the page's CSP does not govern; the product's policy
// stays as strict as ever), and fails the test with each serious or
// critical violation.
func (b *browser) axe(name string) {
	b.t.Helper()
	found := b.axeViolations()
	if len(found) == 0 {
		return
	}
	shot := b.screenshot("axe-" + name)
	for _, v := range found {
		b.t.Errorf("%s: %s (screenshot %s)", name, v, shot)
	}
}

// axeViolations are the serious and critical violations axe finds on the page.
func (b *browser) axeViolations() []axeViolation {
	b.t.Helper()
	src, err := loadAxe()
	if err != nil {
		b.t.Fatal(err)
	}
	b.waitFor(`document.readyState === "complete"`)
	if !b.js(`typeof axe === "object"`) {
		b.do(chromedp.Evaluate[chromedp.Void](src))
	}
	return run(b, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
}

// openDialogBy clicks sel and waits for the dialog it opens.
func (b *browser) openDialogBy(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(openDialog+" form, "+openDialog+` [data-testid="secret-dialog"]`)))
}

// TestBrowserAxe runs axe-core on every kind of page and dialog, at a
// desktop's width and a phone's, and finds no serious or critical
// violation: as the admin, as a viewer refused a page, and signed out.
func TestBrowserAxe(t *testing.T) {
	t.Parallel()
	if _, err := loadAxe(); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t)
	// axe-core is the test's, never the product's.
	for _, path := range []string{"/static/axe.min.js", "/static/testdata/axe/axe.min.js"} {
		if res, _ := ts.get(t, path); res.StatusCode != 404 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	k, _ := ts.addKey(t, "Billing gateway", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
	})
	ts.addKey(t, "Chrome extension", func(k *apikey.Key) { k.Type = apikey.TypeChrome; k.Active = false })
	soon, past := ts.now.Add(48*time.Hour), ts.now.Add(-time.Hour)
	ts.addKey(t, "Expiring", func(k *apikey.Key) { k.ExpiresAt = &soon })
	ts.addKey(t, "Expired", func(k *apikey.Key) { k.ExpiresAt = &past })
	// An account made in the console starts with predefined keys, which its
	// list warns of.
	if res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Vendor"}, "parent_id": {ts.root}}); res.StatusCode != 303 {
		t.Fatalf("add account: %d", res.StatusCode)
	}
	var vendor string
	accounts, _ := ts.db.Accounts(context.Background())
	for _, a := range accounts {
		if a.Name == "Vendor" {
			vendor = a.ID
		}
	}
	vic := ts.addUser(t, "vic", apikey.RoleGlobalViewer)
	admin := newBrowser(t, ts)
	admin.signIn("admin", "pw-admin-long-enough")
	viewer := admin.another()
	viewer.signIn("vic", vic)
	visitor := admin.another()

	// axe finds what it should, here: a picture without a text alternative.
	admin.open("/security/api-keys")
	admin.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/static/none.png">')`))
	if v := admin.axeViolations(); len(v) != 1 || v[0].ID != "image-alt" {
		t.Fatalf("axe on a picture without alt: %v", v)
	}

	for _, w := range []int64{1440, 390} {
		at := func(name string) string { return fmt.Sprintf("%s-%d", name, w) }
		for _, b := range []*browser{admin, viewer, visitor} {
			b.viewport(w, 900)
		}
		admin.open("/security/api-keys")
		admin.axe(at("keys"))
		admin.open("/security/api-keys?account=" + vendor)
		admin.axe(at("keys-predefined"))
		admin.do(chromedp.Click(chromedp.CSS(`[data-testid="key-row"] .row-menu summary`)))
		admin.axe(at("keys-row-menu"))
		admin.open("/security/api-keys")
		admin.openDialogBy(`[data-testid="test-key"]`)
		admin.axe(at("test-key"))
		admin.do(chromedp.SendKeys(chromedp.ID("key"), "kc_g_not-a-key"), chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-test-result"]`)))
		admin.axe(at("test-key-result"))
		admin.open("/security/api-keys")
		admin.openDialogBy(`[data-testid="add-key"]`)
		admin.axe(at("add-key"))
		admin.do(chromedp.SetValue(chromedp.ID("allowed_ips"), "192.168.1.300"), chromedp.Click(chromedp.CSS(openDialog+` .form-actions button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(openDialog+` #allowed_ips[aria-invalid="true"]`)))
		admin.axe(at("add-key-errors"))
		admin.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("allowed_ips").value = ""`), chromedp.SendKeys(chromedp.ID("name"), at("Axe key")), chromedp.Click(chromedp.CSS(openDialog+` .form-actions button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)))
		admin.axe(at("show-once"))
		for _, tab := range []string{"", "?tab=endpoints", "?tab=usage", "?tab=audit"} {
			admin.open(keyURL(k.ID) + tab)
			admin.axe(at("details" + strings.ReplaceAll(tab, "?tab=", "-")))
		}
		for _, action := range []string{"edit-key", "regenerate-key", "delete-key"} {
			admin.open(keyURL(k.ID))
			admin.openDialogBy(`[data-testid="` + action + `"]`)
			admin.axe(at(action))
		}
		for _, path := range []string{"/accounts", "/accounts/" + vendor + "/move", "/users", "/security/audit", passwordPath} {
			admin.open(path)
			admin.axe(at(strings.ReplaceAll(strings.Trim(path, "/"), "/", "-")))
		}
		viewer.open("/users")
		if !strings.Contains(viewer.text("h1"), "Forbidden") {
			t.Fatalf("the viewer reached the users page: %q", viewer.text("h1"))
		}
		viewer.axe(at("forbidden"))
		visitor.open("/login")
		visitor.axe(at("login"))
	}
}
