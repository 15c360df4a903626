package web

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"keyconsole/internal/apikey"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browser is one real, headless Chromium tab with its own cookies.
type browser struct {
	t   *testing.T
	ts  *testServer
	ctx context.Context
}

// newBrowser opens a tab for the test in a browser context of its own (its
// own cookies and storage) of the package's one Chromium. Missing Chromium
// skips the test on a developer's machine and fails it in CI, where
// .ci/run installs it.
func newBrowser(t *testing.T, ts *testServer) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium missing at %s in CI", chromiumPath)
		}
		t.Skipf("Chromium not installed at %s", chromiumPath)
	}
	root, err := chromium.start()
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return (&browser{t: t, ts: ts, ctx: root}).another()
}

// chromium is the one browser process of the package's tests: a process
// start per test cost more than a tab (about a second of two busy cores).
var chromium sharedChromium

type sharedChromium struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

func (c *sharedChromium) start() (context.Context, error) {
	c.once.Do(func() {
		dir, err := os.MkdirTemp("", "keyconsole-chromium")
		if err != nil {
			c.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(chromiumPath),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("no-first-run", true),
			// Windows behind others would otherwise be throttled.
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1400, 900),
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		c.ctx, c.err = ctx, chromedp.Do(ctx)
		c.cancel = func() { cancel(); cancelAlloc(); os.RemoveAll(dir) }
	})
	return c.ctx, c.err
}

// stop ends the browser, if a test started it.
func (c *sharedChromium) stop() {
	if c.cancel != nil {
		c.cancel()
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	chromium.stop()
	os.Exit(code)
}

// another opens a tab in a fresh browser context: its own cookies, its own user.
func (b *browser) another() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("new browser context: %v", err)
	}
	tab := &browser{t: b.t, ts: b.ts, ctx: ctx}
	// Each window acts focused, as the one window of a browser of its own.
	tab.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	return tab
}

// withoutJavaScript turns scripts off in this tab, for the no-JS paths.
func (b *browser) withoutJavaScript() *browser {
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	return b
}

// stepTimeout bounds each call into the browser, so a stuck wait fails
// with a screenshot instead of hanging the suite.
const stepTimeout = 20 * time.Second

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		shot := b.screenshot("failure")
		b.t.Fatalf("browser: %v (screenshot %s)", err, shot)
	}
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		shot := b.screenshot("failure")
		b.t.Fatalf("browser: %v (screenshot %s)", err, shot)
	}
	return v
}

// js evaluates a boolean expression in the page.
func (b *browser) js(expr string) bool {
	b.t.Helper()
	return run(b, chromedp.Evaluate[bool](expr))
}

// waitFor polls until the expression is true. Errors while a page is
// being replaced (no execution context yet) are expected and retried.
func (b *browser) waitFor(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	shot := b.screenshot("failure")
	b.t.Fatalf("waiting for %s: %v (screenshot %s)", expr, last, shot)
}

// screenshot writes a PNG of the page under the test's temp dir (and under
// $KEYCONSOLE_SCREENSHOTS when set, to look at) and returns its path.
func (b *browser) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "(none: " + err.Error() + ")"
	}
	path := filepath.Join(b.t.TempDir(), name+".png")
	os.WriteFile(path, buf, 0o644)
	if dir := os.Getenv("KEYCONSOLE_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	}
	return path
}

// navigates runs steps that make the page navigate, and returns once a new
// document has loaded: a marker on the old window tells the two apart.
func (b *browser) navigates(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`window.__oldPage = true`))
	b.do(steps...)
	b.waitFor(`window.__oldPage === undefined && document.readyState === "complete"`)
}

// switchAccount chooses account in the header's select, as a person does,
// and waits for the page it goes to.
func (b *browser) switchAccount(account string) {
	b.t.Helper()
	b.navigates(chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("account-switch");
		s.value = "` + account + `";
		s.dispatchEvent(new Event("change", { bubbles: true }));
	})()`))
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.ts.URL + path))
}

// signIn uses the sign-in form like a person.
func (b *browser) signIn(username, password string) {
	b.t.Helper()
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-user"]`)),
	)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Text(chromedp.CSS(sel))))
}

func (b *browser) location() string {
	b.t.Helper()
	return run(b, chromedp.Location())
}

const (
	openDialog    = `dialog[open]`
	submitKeyForm = `[data-testid="key-form"] button[type="submit"]`
)

// TestBrowserKeyLifecycle drives the whole life of a key in Chromium:
// sign in, add with roles and IPs, read the secret once, find it, edit it
// through a version conflict, regenerate, deactivate and delete.
func TestBrowserKeyLifecycle(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	ts.addKey(t, "Existing gateway")

	// Add a key in the dialog.
	b.open("/security/api-keys")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
	if !b.js(`document.activeElement && document.activeElement.id === "name"`) {
		t.Error("focus did not move into the dialog")
	}
	// A mistake first: the error shows beside the field and the input stays.
	b.do(
		chromedp.SendKeys(chromedp.ID("name"), "Browser key"),
		chromedp.SetValue(chromedp.ID("allowed_ips"), "10.0.0.0/8\n192.168.1.300"),
		chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` #allowed_ips[aria-invalid="true"]`)),
	)
	b.screenshot("add-form-error")
	if msg := b.text(`[data-testid="error-allowed_ips"]`); !strings.Contains(msg, "Line 2") {
		t.Errorf("IP error %q", msg)
	}
	if !b.js(`document.activeElement && document.activeElement.id === "allowed_ips"`) {
		t.Error("focus not on the field with the error")
	}
	if v := run(b, chromedp.Value(chromedp.ID("name"))); v != "Browser key" {
		t.Errorf("name not kept: %q", v)
	}
	b.do(
		chromedp.SetValue(chromedp.ID("allowed_ips"), "10.0.0.0/8\n2001:db8::/32"),
		chromedp.Click(chromedp.CSS(`input[name="roles"][value="global-viewer"]`)),
		chromedp.Click(chromedp.CSS(`input[name="roles"][value="support"]`)),
		chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)),
	)
	secret := run(b, chromedp.Value(chromedp.CSS(`[data-testid="secret-value"]`)))
	if !apikey.LooksGenerated(secret) {
		t.Fatalf("secret %q", secret)
	}
	b.screenshot("show-once")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="copy-secret"]`)))
	b.waitFor(`document.querySelector('[data-copy-status]').textContent.length > 0`)
	b.navigates(chromedp.Click(chromedp.CSS(`[data-testid="secret-done"]`)))
	k := keyByName(t, ts, "Browser key")
	if k.SecretHash != apikey.HashSecret(secret) || len(k.Roles) != 2 || len(k.AllowedIPs) != 2 {
		t.Fatalf("stored %+v", k)
	}
	if strings.Contains(run(b, chromedp.OuterHTML(chromedp.CSS("html"))), secret) {
		t.Fatal("secret still in the page after Done")
	}

	// Find it by search: htmx swaps the table and pushes the URL.
	b.do(chromedp.SendKeys(chromedp.ID("key-search"), "browser"))
	b.waitFor(`document.querySelectorAll('[data-testid="key-row"]').length === 1`)
	if loc := b.location(); !strings.Contains(loc, "q=browser") {
		t.Errorf("URL not pushed: %s", loc)
	}
	b.do(chromedp.Reload())
	b.waitFor(`document.querySelectorAll('[data-testid="key-row"]').length === 1`)
	b.do(chromedp.Navigate(ts.URL + "/security/api-keys"))
	b.screenshot("list")

	// Edit, while someone else saves first from another session.
	b.open(keyURL(k.ID))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="edit-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
	other := ts.signIn(t, "olga", ts.addUser(t, "olga", apikey.RoleGlobalAdmin))
	sneak := createForm("")
	sneak.Del("name")
	sneak.Set("version", "1")
	sneak.Set("expires_in", "keep")
	if res, _ := other.post(t, keyURL(k.ID), sneak); res.StatusCode != 303 {
		t.Fatalf("other session's save: %d", res.StatusCode)
	}
	b.do(
		chromedp.SetValue(chromedp.ID("allowed_ips"), "203.0.113.0/24"),
		chromedp.Click(chromedp.CSS(openDialog+` button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="conflict"]`)),
	)
	if msg := b.text(`[data-testid="conflict"]`); !strings.Contains(msg, "olga changed this key") {
		t.Errorf("conflict %q", msg)
	}
	if v := run(b, chromedp.Value(chromedp.ID("allowed_ips"))); v != "203.0.113.0/24" {
		t.Errorf("edit not kept after conflict: %q", v)
	}
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` button[type="submit"]`)))
	if got := keyByName(t, ts, "Browser key"); len(got.AllowedIPs) != 1 || got.AllowedIPs[0].Source != "203.0.113.0/24" {
		t.Fatalf("after save %+v", got.AllowedIPs)
	}

	// Escape closes a dialog and gives focus back to what opened it.
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="regenerate-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog)))
	b.do(chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS(openDialog)))
	if !b.js(`document.activeElement && document.activeElement.dataset.testid === "regenerate-key"`) {
		t.Error("focus not returned to the opener")
	}

	// Regenerate: confirm, then the new secret once.
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid="regenerate-key"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)),
		chromedp.Click(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)),
	)
	fresh := run(b, chromedp.Value(chromedp.CSS(`[data-testid="secret-value"]`)))
	if fresh == secret || !apikey.LooksGenerated(fresh) || keyByName(t, ts, "Browser key").SecretHash != apikey.HashSecret(fresh) {
		t.Fatal("regenerate did not show the new secret")
	}
	// Closing the secret reloads the page behind it (to show the change).
	b.navigates(chromedp.KeyEvent(kb.Escape))

	// Deactivate from the details page, confirming in a dialog that names the key.
	b.open(keyURL(k.ID))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="deactivate-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	if msg := b.text(openDialog + ` [data-testid="confirm-message"]`); !strings.Contains(msg, "Browser key") {
		t.Errorf("deactivate confirmation %q", msg)
	}
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="confirm-button"]`)))
	if st := b.text(`[data-testid="key-status"]`); st != "Inactive" {
		t.Errorf("status %q", st)
	}
	if msg := b.text(`[role="status"][data-testid="flash"]`); !strings.Contains(msg, "“Browser key” is inactive") {
		t.Errorf("after deactivate the page says %q", msg)
	}

	// Delete, confirming in a dialog that names the key.
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="delete-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	if msg := b.text(openDialog + ` [data-testid="confirm-form"] p`); !strings.Contains(msg, "Browser key") {
		t.Errorf("delete confirmation %q", msg)
	}
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="confirm-button"]`)))
	if !strings.HasSuffix(b.location(), "/security/api-keys") {
		t.Errorf("after delete at %s", b.location())
	}
	if p, _ := ts.db.ListKeys(context.Background(), storeQuery(ts, "Browser key")); p.Total != 0 {
		t.Fatal("key not deleted")
	}
}

// TestBrowserWithoutJavaScript adds and edits a key with scripts off: the
// dialogs are plain pages and every form posts normally.
func TestBrowserWithoutJavaScript(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := newBrowser(t, ts).withoutJavaScript()
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/security/api-keys")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="dialog-page"] [data-testid="key-form"]`)))
	b.do(
		chromedp.SendKeys(chromedp.ID("name"), "No script"),
		chromedp.SendKeys(chromedp.ID("allowed_ips"), "192.0.2.1"),
		chromedp.Click(chromedp.CSS(submitKeyForm)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dialog-page"] [data-testid="secret-dialog"]`)),
	)
	secret := run(b, chromedp.Value(chromedp.CSS(`[data-testid="secret-value"]`)))
	k := keyByName(t, ts, "No script")
	if k.SecretHash != apikey.HashSecret(secret) {
		t.Fatal("secret shown is not the key's")
	}
	// Reloading the list never brings the secret back.
	b.navigates(chromedp.Click(chromedp.CSS(`[data-testid="secret-done"]`)))
	if strings.Contains(run(b, chromedp.OuterHTML(chromedp.CSS("html"))), secret) {
		t.Fatal("secret on the list page")
	}

	b.open(keyURL(k.ID))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="edit-key"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="dialog-page"] [data-testid="key-form"]`)))
	b.do(
		chromedp.SetValue(chromedp.ID("allowed_ips"), "192.0.2.0/33"),
		chromedp.Click(chromedp.CSS(submitKeyForm)),
		chromedp.WaitVisible(chromedp.CSS(`#allowed_ips[aria-invalid="true"]`)),
	)
	b.do(
		chromedp.SetValue(chromedp.ID("allowed_ips"), "192.0.2.0/24"),
		chromedp.Click(chromedp.CSS(`input[name="roles"][value="global-viewer"]`)),
		chromedp.Click(chromedp.CSS(submitKeyForm)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="key-settings"]`)),
	)
	got := keyByName(t, ts, "No script")
	if got.AllowedIPs[0].Prefix.String() != "192.0.2.0/24" || len(got.Roles) != 1 || got.Version != 2 {
		t.Fatalf("after edit %+v", got)
	}

	// A row's Deactivate leads to the question as a page; confirming comes
	// back to the list as it was.
	b.open("/security/api-keys?q=script")
	b.navigates(chromedp.Click(chromedp.CSS(`[data-testid="key-row"] [data-testid="deactivate-key"]`)))
	if msg := b.text(`[data-testid="dialog-page"] [data-testid="confirm-message"]`); !strings.Contains(msg, "No script") || !keyByName(t, ts, "No script").Active {
		t.Fatalf("the question says %q", msg)
	}
	b.navigates(chromedp.Click(chromedp.CSS(`[data-testid="confirm-button"]`)))
	if loc := b.location(); !strings.HasSuffix(loc, "/security/api-keys?q=script") || keyByName(t, ts, "No script").Active {
		t.Errorf("deactivated from the list: back at %s, active %v", loc, keyByName(t, ts, "No script").Active)
	}
}

// TestBrowserRoles: a viewer sees no change controls; support regenerates
// a Chrome key and is refused on a General key.
func TestBrowserRoles(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	general, _ := ts.addKey(t, "General key")
	chrome, _ := ts.addKey(t, "Chrome key", func(k *apikey.Key) { k.Type = apikey.TypeChrome })
	admin := newBrowser(t, ts)

	viewer := admin.another()
	viewer.signIn("vic", ts.addUser(t, "vic", apikey.RoleGlobalViewer))
	viewer.open("/security/api-keys")
	viewer.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="key-table"]`)))
	if viewer.js(`document.querySelector('[data-testid="add-key"], [data-testid="deactivate-key"]') !== null`) {
		t.Error("viewer sees change controls on the list")
	}
	viewer.open(keyURL(general.ID))
	if viewer.js(`document.querySelectorAll('[data-testid="key-actions"] a, [data-testid="key-actions"] button').length !== 0`) {
		t.Error("viewer sees change controls on the details")
	}
	viewer.open(keyURL(general.ID) + "/edit")
	if !strings.Contains(viewer.text("h1"), "Forbidden") {
		t.Errorf("viewer reached the edit form: %q", viewer.text("h1"))
	}
	// The refusal stays in the signed-in frame and says what the role may do.
	if !viewer.js(`(document.querySelector('[data-testid="current-user"]')?.textContent ?? "").includes("vic") && document.querySelector('nav.sidenav a[href="/security/api-keys"]') !== null && document.querySelector('main a[href="/login"]') === null`) {
		t.Error("the refusal is not shown signed in")
	}
	if may := viewer.text(`[data-testid="role-may"]`); !strings.Contains(may, "Global Viewer") {
		t.Errorf("role says %q", may)
	}

	support := admin.another()
	support.signIn("sue", ts.addUser(t, "sue", apikey.RoleSupport))
	support.open(keyURL(chrome.ID))
	support.do(
		chromedp.Click(chromedp.CSS(`[data-testid="regenerate-key"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)),
		chromedp.Click(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)),
	)
	secret := run(support, chromedp.Value(chromedp.CSS(`[data-testid="secret-value"]`)))
	if got := keyByName(t, ts, "Chrome key"); got.SecretHash != apikey.HashSecret(secret) {
		t.Fatal("support's regenerate not stored")
	}
	support.open(keyURL(general.ID))
	if support.js(`document.querySelector('[data-testid="regenerate-key"]') !== null`) {
		t.Error("support offered regenerate on a General key")
	}
	support.open(keyURL(general.ID) + "/regenerate")
	if !strings.Contains(support.text("h1"), "Forbidden") {
		t.Errorf("support reached regenerate on a General key: %q", support.text("h1"))
	}
	before := keyByName(t, ts, "General key").SecretHash
	// The POST itself is refused too (a person could forge the form).
	res, _ := ts.signIn(t, "sue", "pw-sue-long-enough").post(t, keyURL(general.ID)+"/regenerate", url.Values{})
	if res.StatusCode != 403 || keyByName(t, ts, "General key").SecretHash != before {
		t.Fatalf("support regenerated a General key: %d", res.StatusCode)
	}
}

// TestBrowserAccountSwitch switches accounts in the header and sees the
// keys inherited from above, marked, and read-only when opened.
func TestBrowserAccountSwitch(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	ts.addKey(t, "vendor gateway", inAccount(tr.vendor))
	customerApp, _ := ts.addKey(t, "customer app", inAccount(tr.customer))
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/security/api-keys")
	// Choosing an account in the switcher goes there at once.
	b.switchAccount(tr.customer)
	if loc := b.location(); !strings.Contains(loc, "account="+tr.customer) {
		t.Fatalf("switched to %s", loc)
	}
	b.waitFor(`document.querySelectorAll('[data-testid="key-row"]').length === 2`)
	if tag := b.text(`[data-testid="inherited"]`); tag != "Inherited from Vendor" {
		t.Errorf("inherited tag %q", tag)
	}
	// A row's Deactivate asks in a dialog and comes back here.
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="key-row"] [data-testid="deactivate-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="confirm-button"]`)))
	if loc := b.location(); !strings.Contains(loc, "account="+tr.customer) {
		t.Errorf("back at %s", loc)
	}
	if k, _ := ts.db.Key(context.Background(), customerApp.ID); k.Active || b.text(`[data-testid="key-row"] [data-testid="activate-key"]`) != "Activate" {
		t.Error("the row's Deactivate did not")
	}
	b.screenshot("inherited")
	b.navigates(chromedp.Click(`//a[contains(@class,"key-name")][text()="vendor gateway"]`))
	if !strings.Contains(b.text(`[data-testid="inherited-notice"]`), "inherited from Vendor") {
		t.Error("inherited key not read-only")
	}
	if b.js(`document.querySelector('[data-testid="edit-key"]') !== null`) {
		t.Error("edit offered on an inherited key")
	}
	b.screenshot("inherited-details")
	b.open("/accounts")
	b.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="account-table"]`)))
	b.screenshot("accounts")
}

// withManyAccounts is a test server with more accounts than a select
// holds, and a browser signed in as its admin.
func withManyAccounts(t *testing.T) (*testServer, []string, *browser) {
	t.Helper()
	ts := newTestServer(t)
	ids := ts.addAccounts(t, selectMax)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	return ts, ids, b
}

// TestBrowserAccountChooser: with more accounts than the header's select
// holds, the switcher opens the chooser, which finds an account by name; with
// scripts and without.
func TestBrowserAccountChooser(t *testing.T) {
	t.Parallel()
	_, ids, b := withManyAccounts(t)
	b.open("/security/audit")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="switch-account"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` #account-q`)))
	if !b.js(`document.activeElement && document.activeElement.id === "account-q"`) {
		t.Error("focus not in the search")
	}
	b.do(chromedp.SendKeys(chromedp.ID("account-q"), "00042"))
	b.waitFor(`document.querySelectorAll('dialog[open] [data-testid="account-choices"] a').length === 1`)
	b.screenshot("account-chooser")
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="account-choices"] a`)))
	b.screenshot("account-switched")
	if loc := b.location(); !strings.HasSuffix(loc, "/security/audit?account="+ids[42]) || b.text(`[data-testid="current-account"]`) != "Customer 00042" {
		t.Errorf("switched to %s, %q", loc, b.text(`[data-testid="current-account"]`))
	}

	plain := b.another().withoutJavaScript()
	plain.signIn("admin", "pw-admin-long-enough")
	plain.navigates(chromedp.Click(chromedp.CSS(`[data-testid="switch-account"]`)))
	plain.navigates(chromedp.SendKeys(chromedp.ID("account-q"), "00007"), chromedp.Click(chromedp.CSS(`[data-testid="account-search"] button[type="submit"]`)))
	plain.navigates(chromedp.Click(chromedp.CSS(`[data-testid="account-choices"] a`)))
	if loc := plain.location(); !strings.HasSuffix(loc, "/security/api-keys?account="+ids[7]) {
		t.Errorf("without scripts switched to %s", loc)
	}
}

// TestBrowserUserScope: an admin opens a user's role page from the users
// table, ticks an account, saves, and reads the new scope by name.
func TestBrowserUserScope(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	ts.addUser(t, "vera", apikey.RoleAccountViewer, tr.vendor)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	b.open("/users")
	row := `[data-testid="user-row"][data-username="vera"]`
	if got := b.text(row + ` [data-testid="user-scope"]`); got != "Sees Vendor" {
		t.Fatalf("summary %q", got)
	}
	b.screenshot("users")
	b.navigates(chromedp.Click(chromedp.CSS(row + ` [data-testid="edit-user"]`)))
	b.do(chromedp.Click(chromedp.CSS(`input[name="role_accounts"][value="` + tr.customer + `"]`)))
	b.screenshot("user-scope")
	b.navigates(chromedp.Click(chromedp.CSS(`[data-testid="role-form"] button[type="submit"]`)))
	if got := b.text(row + ` [data-testid="user-scope"]`); got != "Sees Vendor, Customer" && got != "Sees Customer, Vendor" {
		t.Errorf("after save the summary is %q", got)
	}
	// The picker shows only with the Account Viewer role chosen.
	b.navigates(chromedp.Click(chromedp.CSS(row + ` [data-testid="edit-user"]`)))
	b.do(chromedp.SetValue(chromedp.ID("role"), "support"))
	if b.js(`document.querySelector('[data-testid="account-picker"]').checkVisibility()`) {
		t.Error("account picker shown without the Account Viewer role")
	}
	// Deactivating from the edit page asks, naming the user, and comes back to the list.
	b.open("/users")
	b.navigates(chromedp.Click(chromedp.CSS(row + ` [data-testid="edit-user"]`)))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="deactivate-user"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="confirm-button"]`)))
	if msg := b.text(openDialog + ` [data-testid="confirm-message"]`); !strings.Contains(msg, "vera") {
		t.Errorf("the question says %q", msg)
	}
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="confirm-button"]`)))
	if u, _ := ts.db.UserByName(context.Background(), "vera"); u.Active || !strings.HasSuffix(b.location(), "/users") {
		t.Errorf("deactivated from the edit page: active %v, at %s", u.Active, b.location())
	}
	// The key form shows the accounts once Account Viewer is ticked.
	b.open("/security/api-keys/new")
	if b.js(`document.querySelector('[data-testid="account-picker"]').checkVisibility()`) {
		t.Error("account picker shown without the Account Viewer role")
	}
	b.do(chromedp.Click(chromedp.CSS(`input[name="roles"][value="account-viewer"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="account-picker"]`)),
		chromedp.ScrollIntoView(chromedp.CSS(`[data-testid="account-picker"]`)))
	b.screenshot("key-scope")
}

// TestBrowserAccountPicker: past a hundred accounts, the key form finds the
// accounts of an Account Viewer by name as one types; those ticked stay
// chosen through the next search, Enter in the search finds rather than
// sends the form, and the key is saved with them.
func TestBrowserAccountPicker(t *testing.T) {
	t.Parallel()
	ts, ids, b := withManyAccounts(t)
	b.open("/security/api-keys")
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="key-form"]`)))
	b.do(
		chromedp.SendKeys(chromedp.ID("name"), "Picked accounts"),
		chromedp.Click(chromedp.CSS(`input[name="roles"][value="account-viewer"]`)),
		chromedp.WaitVisible(chromedp.ID("role_accounts-q")),
		chromedp.SendKeys(chromedp.ID("role_accounts-q"), "00042"),
	)
	found := openDialog + ` [data-testid="found-accounts"] input[name="role_accounts"]`
	b.waitFor(`document.querySelectorAll('` + found + `').length === 1`)
	b.do(chromedp.Click(chromedp.CSS(found)))
	b.screenshot("account-picker")
	b.do(
		chromedp.Evaluate[chromedp.Void](`window.__dialog = document.querySelector('dialog[open]'); document.getElementById("role_accounts-q").value = ""`),
		chromedp.SendKeys(chromedp.ID("role_accounts-q"), "00007"+kb.Enter),
	)
	b.waitFor(`document.querySelectorAll('` + found + `').length === 1 && document.querySelector('` + found + `').value === "` + ids[7] + `"`)
	if !b.js(`document.querySelector('dialog[open]') === window.__dialog`) {
		t.Error("Enter in the search sent the form")
	}
	if !b.js(`document.querySelector('` + openDialog + ` [data-testid="chosen-accounts"] input[value="` + ids[42] + `"]').checked`) {
		t.Fatal("the account ticked before the search is not with the chosen ones")
	}
	// Enter searches through the Find button while the typing's delayed
	// search is still due: the list can be swapped once more for the same
	// accounts. The tick is given in the page, on whichever list is there
	// (a later swap carries ticked boxes over to the chosen ones), rather
	// than on a node looked up a moment before.
	b.do(
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+found+`').click()`),
		chromedp.Click(chromedp.CSS(openDialog+` .form-actions button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(openDialog+` [data-testid="secret-dialog"]`)),
	)
	if got := scopeOf(keyByName(t, ts, "Picked accounts")); !slices.Equal(got, slices.Sorted(slices.Values([]string{ids[7], ids[42]}))) {
		t.Errorf("stored scope %v", got)
	}
}

// TestBrowserAccountMove: past a hundred accounts, a row's Move opens a
// dialog that finds the new parent by name; choosing one and moving shows
// the account in its new place. Without scripts a row's Delete posts the
// page's shared form and comes back to the same page.
func TestBrowserAccountMove(t *testing.T) {
	t.Parallel()
	ts, ids, b := withManyAccounts(t)
	vendor := ts.addAccount(t, "Vendor", "")
	shop := ts.addAccount(t, "Shop", vendor)
	b.open("/accounts?q=vendor")
	b.screenshot("accounts-found")
	b.do(chromedp.Click(chromedp.CSS(`[data-account-id="`+vendor+`"] [data-testid="move-account"]`)), chromedp.WaitVisible(chromedp.CSS(openDialog+` #account-q`)))
	b.do(chromedp.SendKeys(chromedp.ID("account-q"), "00042"))
	// Once htmx has taken up the list it swapped in (as a person would find it).
	b.waitFor(`(() => {
		const a = document.querySelectorAll('dialog[open] [data-testid="account-choices"] a');
		return a.length === 1 && !!(a[0]['htmx-internal-data'] || {}).initHash;
	})()`)
	b.do(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="account-choices"] a`)))
	b.waitFor(`(document.querySelector('dialog[open] [data-testid="chosen-parent_id"]') || {}).textContent === "Customer 00042"`)
	b.screenshot("account-move")
	b.navigates(chromedp.Click(chromedp.CSS(openDialog + ` [data-testid="move-button"]`)))
	if loc := b.location(); !strings.HasSuffix(loc, "#account-"+vendor) {
		t.Errorf("after the move at %s", loc)
	}
	if path, _ := ts.db.AccountPath(context.Background(), shop); !slices.Equal(path, []string{shop, vendor, ids[42], ts.root}) {
		t.Errorf("path after the move %v", path)
	}

	plain := b.another().withoutJavaScript()
	plain.signIn("admin", "pw-admin-long-enough")
	plain.open("/accounts?q=shop")
	plain.navigates(chromedp.Click(chromedp.CSS(`[data-account-id="` + shop + `"] [data-testid="delete-account"]`)))
	plain.navigates(chromedp.Click(chromedp.CSS(`[data-testid="confirm-button"]`)))
	if loc := plain.location(); !strings.HasSuffix(loc, "/accounts?q=shop") || !plain.js(`document.querySelector('[data-testid="no-accounts"]') !== null`) {
		t.Errorf("after the delete at %s", loc)
	}
}

// fillPassword types into the change-password form and sends it.
func (b *browser) fillPassword(current, password, confirm string) {
	b.t.Helper()
	b.navigates(
		chromedp.SendKeys(chromedp.ID("current_password"), current),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("password_confirm"), confirm),
		chromedp.Click(chromedp.CSS(`[data-testid="password-form"] button[type="submit"]`)),
	)
}

// TestBrowserPasswordLifecycle: a user changes their password from the
// header, which signs out their other browser; an admin resets it from the
// users page, which signs them out; the temporary password leads to the
// password page and nowhere else until it is changed.
func TestBrowserPasswordLifecycle(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	old := ts.addUser(t, "rae", apikey.RoleSupport)
	admin := newBrowser(t, ts)
	admin.signIn("admin", "pw-admin-long-enough")
	rae, raeElsewhere := admin.another(), admin.another()
	rae.signIn("rae", old)
	raeElsewhere.signIn("rae", old)

	rae.navigates(chromedp.Click(chromedp.CSS(`[data-testid="change-password"]`)))
	rae.fillPassword("not-my-password", "raes-new-password", "raes-new-password")
	if got := rae.text(`[data-testid="error-current_password"]`); !strings.Contains(got, "wrong") {
		t.Fatalf("wrong current password: %q", got)
	}
	rae.fillPassword(old, "raes-new-password", "raes-new-password")
	if got := rae.text(`[role="status"][data-testid="flash"]`); !strings.Contains(got, "other sessions") {
		t.Fatalf("after the change: %q", got)
	}
	rae.screenshot("password-changed")
	raeElsewhere.open("/security/api-keys")
	if loc := raeElsewhere.location(); !strings.Contains(loc, "/login") {
		t.Fatalf("the other browser after the change is at %s", loc)
	}
	rae.open("/security/api-keys")
	if loc := rae.location(); !strings.HasSuffix(loc, "/security/api-keys") {
		t.Fatalf("the changing browser is at %s", loc)
	}

	admin.open("/users")
	admin.navigates(chromedp.Click(chromedp.CSS(`[data-testid="user-row"][data-username="rae"] [data-testid="edit-user"]`)))
	admin.navigates(chromedp.Click(chromedp.CSS(`[data-testid="reset-password"]`)))
	admin.navigates(
		chromedp.SendKeys(chromedp.ID("password"), "temporary-for-rae"),
		chromedp.Click(chromedp.CSS(`[data-testid="reset-password-form"] button[type="submit"]`)),
	)
	if loc := admin.location(); !strings.HasSuffix(loc, "/users") {
		t.Fatalf("after the reset the admin is at %s", loc)
	}
	rae.open("/security/api-keys")
	if loc := rae.location(); !strings.Contains(loc, "/login") {
		t.Fatalf("rae after the reset is at %s", loc)
	}

	rae.signIn("rae", "temporary-for-rae")
	if loc := rae.location(); !strings.HasSuffix(loc, passwordPath) || rae.text(`[data-testid="password-forced"]`) == "" {
		t.Fatalf("sign-in with the temporary password landed at %s", loc)
	}
	rae.screenshot("password-forced")
	rae.open("/security/audit")
	if loc := rae.location(); !strings.HasSuffix(loc, passwordPath) {
		t.Fatalf("before the change another page led to %s", loc)
	}
	rae.fillPassword("temporary-for-rae", "raes-own-password", "raes-own-password")
	rae.open("/security/api-keys")
	if loc := rae.location(); !strings.HasSuffix(loc, "/security/api-keys") {
		t.Fatalf("after the change rae is at %s", loc)
	}
}
