package web

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
	"keyconsole/internal/usage"
	"keyconsole/internal/verify"
)

// createForm is a valid add form.
func createForm(name string) url.Values {
	return url.Values{
		"name": {name}, "type": {"general"}, "access_type": {"generated"}, "active": {"true"},
		"roles": {"global-viewer", "account-viewer"}, "role_accounts": {"all"},
		"advanced_permissions": {"verify"}, "expires_in": {"90d"},
		"allowed_ips": {"10.0.0.0/8\n2001:db8::/32\n192.0.2.7"},
	}
}

// shownSecret is the text of the show-once answer's secret box, "" without one.
func shownSecret(t *testing.T, body string) string {
	t.Helper()
	return parseHTML(t, body).Find(`textarea[data-testid="secret-value"]`).Text()
}

// secretIn reads the secret from a show-once answer.
func secretIn(t *testing.T, body string) string {
	t.Helper()
	v := shownSecret(t, body)
	if !apikey.LooksGenerated(v) {
		t.Fatalf("no secret in answer: %.400s", body)
	}
	return v
}

func keyByName(t *testing.T, ts *testServer, name string) *apikey.Key {
	t.Helper()
	p, err := ts.db.ListKeys(context.Background(), storeQuery(ts, name))
	if err != nil || len(p.Keys) != 1 {
		t.Fatalf("key %q: %v %v", name, p.Keys, err)
	}
	return p.Keys[0]
}

func TestCreateKeyShowsSecretOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, body := ts.admin.post(t, "/security/api-keys", createForm("Billing gateway"))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %.300s", res.StatusCode, body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("show-once Cache-Control %q", cc)
	}
	secret := secretIn(t, body)
	if !strings.Contains(body, "will not be shown again") {
		t.Error("no warning")
	}
	k := keyByName(t, ts, "Billing gateway")
	if k.SecretHash != apikey.HashSecret(secret) || !strings.HasPrefix(secret, k.DisplayPrefix) {
		t.Fatal("stored hash or prefix does not match the shown secret")
	}
	if len(k.Roles) != 2 || len(k.AllowedIPs) != 3 || k.ExpiresAt == nil || k.CreatedBy != "admin" || len(k.AdvancedPermissions) != 1 {
		t.Fatalf("stored %+v", k)
	}

	// Nowhere else: not in any later page, edit, regenerate confirmation or
	// fragment, not in the log, the audit trail or the database files.
	for _, path := range []string{"/security/api-keys", "/security/api-keys?q=" + k.DisplayPrefix, keyURL(k.ID), keyURL(k.ID) + "?tab=audit",
		keyURL(k.ID) + "/edit", keyURL(k.ID) + "/regenerate", keyURL(k.ID) + "/delete", "/users"} {
		ts.get(t, path)
		ts.get(t, path, "HX-Request", "true", "HX-Target", "dialog-slot")
	}
	ts.admin.post(t, keyURL(k.ID)+"/deactivate", yes())
	ts.admin.post(t, keyURL(k.ID)+"/activate", yes())
	if n := ts.responsesContaining(secret); n != 1 {
		t.Errorf("the secret is in %d response bodies, want exactly 1", n)
	}
	if n := ts.responsesContaining(secret[11:30]); n != 1 {
		t.Errorf("part of the secret is in %d response bodies, want exactly 1", n)
	}
	if strings.Contains(ts.logs.String(), secret[5:]) {
		t.Error("secret in the log")
	}
	assertNotInDatabase(t, ts, secret)
	events, _ := ts.db.KeyAudit(context.Background(), k.ID, 10)
	created := events[len(events)-1]
	if len(events) != 3 || created.Action != apikey.ActionKeyCreated || created.ActorName != "admin" || created.ClientIP != "127.0.0.1" || created.TargetName != "Billing gateway" {
		t.Fatalf("audit %+v", events)
	}
	for _, ev := range events {
		for _, ch := range ev.Changes {
			if v := string(ch.From) + string(ch.To); strings.Contains(v, secret[5:]) || strings.Contains(v, k.SecretHash) {
				t.Fatal("secret or its hash in the audit trail")
			}
		}
	}
}

// assertNotInDatabase reads everything stored (an SQLite WAL included) for the secret.
func assertNotInDatabase(t *testing.T, ts *testServer, secret string) {
	t.Helper()
	for _, s := range []string{secret, secret[11:]} {
		if storetest.Holds(t, ts.dbPath, s) {
			t.Fatal("secret stored in the database")
		}
	}
}

func TestCreateKeyErrorsKeepInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	form := createForm("")
	form.Set("allowed_ips", "10.0.0.1/8\n300.1.1.1")
	form.Set("expires_in", "custom")
	form.Set("custom_days", "0")
	form.Set("access_type", "custom")
	form.Set("custom_value", "too-short-secret-value")
	res, body := ts.admin.post(t, "/security/api-keys", form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	doc := parseHTML(t, body)
	for _, field := range []string{"name", "allowed_ips", "custom_days", "custom_value"} {
		if strings.TrimSpace(doc.Find(`[data-testid="error-`+field+`"]`).Text()) == "" {
			t.Errorf("no message beside %s", field)
		}
		if v, _ := doc.Find("#" + field).Attr("aria-invalid"); v != "true" {
			t.Errorf("%s not marked invalid", field)
		}
	}
	if got := doc.Find("#allowed_ips").Text(); got != "10.0.0.1/8\n300.1.1.1" {
		t.Errorf("allowed IPs not kept: %q", got)
	}
	if !strings.Contains(doc.Find(`[data-testid="error-allowed_ips"]`).Text(), "Line 2") {
		t.Error("IP message does not say which line")
	}
	if v, _ := doc.Find(`input[name="roles"][value="account-viewer"]`).Attr("checked"); v != "checked" && !doc.Find(`input[name="roles"][value="account-viewer"]`).Is("[checked]") {
		t.Error("roles not kept")
	}
	if strings.Contains(body, "too-short-secret-value") {
		t.Error("custom value echoed back")
	}
	if p, _ := ts.db.ListKeys(context.Background(), storeQuery(ts, "")); p.Total != 0 {
		t.Fatal("a key was stored")
	}

	// A taken name is said beside the name.
	ts.admin.post(t, "/security/api-keys", createForm("Twice"))
	res, body = ts.admin.post(t, "/security/api-keys", createForm("twice"))
	if res.StatusCode != http.StatusConflict || !strings.Contains(parseHTML(t, body).Find(`[data-testid="error-name"]`).Text(), "already exists") {
		t.Fatalf("duplicate name: %d", res.StatusCode)
	}
	// As a dialog for htmx.
	res, body = ts.admin.post(t, "/security/api-keys", createForm(""), "HX-Request", "true", "HX-Target", "dialog-slot")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(strings.TrimSpace(body), "<dialog") {
		t.Fatalf("htmx errors not a dialog: %d %.100s", res.StatusCode, body)
	}
}

func TestCustomValueKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	form := createForm("Custom")
	form.Set("access_type", "custom")
	form.Set("custom_value", "My-Own-Very-Long-Custom-Value-2026-xyz")
	res, body := ts.admin.post(t, "/security/api-keys", form)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("%d %.300s", res.StatusCode, body)
	}
	k := keyByName(t, ts, "Custom")
	if k.SecretHash != apikey.HashSecret("My-Own-Very-Long-Custom-Value-2026-xyz") || k.AccessType != apikey.AccessCustom || k.DisplayPrefix != "…-xyz" {
		t.Fatalf("stored %+v", k)
	}
	// The same value twice is refused beside the field.
	form.Set("name", "Other")
	res, body = ts.admin.post(t, "/security/api-keys", form)
	if res.StatusCode != http.StatusUnprocessableEntity || strings.TrimSpace(parseHTML(t, body).Find(`[data-testid="error-custom_value"]`).Text()) == "" {
		t.Fatalf("reused value: %d", res.StatusCode)
	}
}

func TestEditKeyAndVersionConflict(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.admin.post(t, "/security/api-keys", createForm("Terminal"))
	k := keyByName(t, ts, "Terminal")
	other := ts.signIn(t, "olga", ts.addUser(t, "olga", apikey.RoleGlobalAdmin))

	// Both open the form at version 1.
	_, page := ts.get(t, keyURL(k.ID)+"/edit")
	doc := parseHTML(t, page)
	if v, _ := doc.Find(`input[name="version"]`).Attr("value"); v != "1" {
		t.Fatalf("version field %q", v)
	}
	if doc.Find("#name").Length() != 0 || doc.Find("#custom_value").Length() != 0 {
		t.Error("edit form offers name or secret")
	}
	if got := doc.Find("#allowed_ips").Text(); got != "10.0.0.0/8\n2001:db8::/32\n192.0.2.7" {
		t.Errorf("edit form IPs %q", got)
	}

	edit := createForm("")
	edit.Del("name")
	edit.Set("version", "1")
	edit.Set("expires_in", "keep")
	edit.Del("active")
	if res, _ := other.post(t, keyURL(k.ID), edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: %d", res.StatusCode)
	}
	saved := keyByName(t, ts, "Terminal")
	if saved.Active || saved.Version != 2 || !saved.ExpiresAt.Equal(*k.ExpiresAt) || saved.UpdatedBy != "olga" {
		t.Fatalf("after save %+v", saved)
	}

	// The admin saves from the stale form: refused, told who and when, edits kept.
	edit.Set("active", "true")
	edit.Set("allowed_ips", "203.0.113.9")
	res, body := ts.admin.post(t, keyURL(k.ID), edit)
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("stale save: %d", res.StatusCode)
	}
	doc = parseHTML(t, body)
	if msg := doc.Find(`[data-testid="conflict"]`).Text(); !strings.Contains(msg, "olga changed this key") {
		t.Fatalf("conflict message %q", msg)
	}
	if got := doc.Find("#allowed_ips").Text(); got != "203.0.113.9" {
		t.Errorf("edits not kept: %q", got)
	}
	// Posted without the form's base, what olga changed is unknown: every
	// field that differs is listed as changed by both, the admin's value kept.
	if got := doc.Find(`[data-field="Active"] [data-testid="conflict-collision"]`).Text(); !strings.Contains(got, "Yes") || doc.Find(`[data-testid="flag-allowed_ips"]`).Length() != 1 {
		t.Errorf("conflict without a base lists %q", doc.Find(`[data-testid="conflict-changes"]`).Text())
	}
	if v, _ := doc.Find(`input[name="version"]`).Attr("value"); v != "2" {
		t.Errorf("conflict form version %q", v)
	}
	if keyByName(t, ts, "Terminal").Active {
		t.Fatal("stale save was stored")
	}
	// Saving again, deliberately, works.
	edit.Set("version", "2")
	if res, _ := ts.admin.post(t, keyURL(k.ID), edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second save: %d", res.StatusCode)
	}
	events, _ := ts.db.KeyAudit(context.Background(), k.ID, 10)
	if len(events) != 3 || events[0].Action != apikey.ActionKeyUpdated || len(events[0].Changes) != 2 {
		t.Fatalf("audit %+v", events)
	}
	if events[0].Changes[0].Field != apikey.FieldActive || events[0].Changes[1].Field != apikey.FieldAllowedIPs || string(events[0].Changes[1].To) != `["203.0.113.9/32"]` {
		t.Errorf("changes %+v", events[0].Changes)
	}
	// A bad edit keeps the input and says what is wrong.
	edit.Set("version", strconv.Itoa(4))
	edit.Set("allowed_ips", "10.0.0.256")
	res, body = ts.admin.post(t, keyURL(k.ID), edit)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "out of range") {
		t.Fatalf("bad edit: %d", res.StatusCode)
	}
}

func TestRegenerate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, body := ts.admin.post(t, "/security/api-keys", createForm("General one"))
	old := secretIn(t, body)
	chromeForm := createForm("Chrome one")
	chromeForm.Set("type", "chrome")
	chromeForm.Del("roles") // like the predefined Chrome extension key
	chromeForm.Del("role_accounts")
	chromeForm.Del("advanced_permissions")
	ts.admin.post(t, "/security/api-keys", chromeForm)
	strongChrome := createForm("Chrome admin")
	strongChrome.Set("type", "chrome")
	strongChrome.Set("roles", "global-admin")
	strongChrome.Del("role_accounts")
	ts.admin.post(t, "/security/api-keys", strongChrome)
	general, chrome := keyByName(t, ts, "General one"), keyByName(t, ts, "Chrome one")

	_, confirm := ts.get(t, keyURL(general.ID)+"/regenerate")
	if !strings.Contains(confirm, "must be given the new one") || !strings.Contains(confirm, `name="grace"`) {
		t.Error("no confirmation warning")
	}
	res, body := ts.admin.post(t, keyURL(general.ID)+"/regenerate", url.Values{})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("regenerate: %d", res.StatusCode)
	}
	fresh := secretIn(t, body)
	k := keyByName(t, ts, "General one")
	if fresh == old || k.SecretHash != apikey.HashSecret(fresh) || k.Version != 2 {
		t.Fatal("secret not replaced")
	}
	assertNotInDatabase(t, ts, fresh)

	support := ts.signIn(t, "sue", ts.addUser(t, "sue", apikey.RoleSupport))
	if res, _ := support.get(t, keyURL(chrome.ID)+"/regenerate"); res.StatusCode != http.StatusOK {
		t.Fatalf("support confirm on chrome: %d", res.StatusCode)
	}
	res, body = support.post(t, keyURL(chrome.ID)+"/regenerate", url.Values{})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("support regenerates chrome: %d", res.StatusCode)
	}
	secretIn(t, body)
	// Whoever regenerates a key holds its secret: support may not take a
	// Chrome key with more power than support has.
	strong := keyByName(t, ts, "Chrome admin")
	if res, body := support.post(t, keyURL(strong.ID)+"/regenerate", url.Values{}); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "beyond your own") {
		t.Fatalf("support regenerates a Chrome key with Global Admin: %d", res.StatusCode)
	}
	if _, page := support.get(t, keyURL(strong.ID)); strings.Contains(page, `data-testid="regenerate-key"`) {
		t.Error("regenerate offered on a Chrome key stronger than support")
	}
	if _, page := support.get(t, keyURL(chrome.ID)); !strings.Contains(page, `data-testid="regenerate-key"`) {
		t.Error("regenerate not offered on a plain Chrome key")
	}
	if got := keyByName(t, ts, "Chrome admin"); got.SecretHash != strong.SecretHash {
		t.Fatal("the refused regenerate changed the secret")
	}
	for _, path := range []string{keyURL(general.ID) + "/regenerate"} {
		if res, _ := support.get(t, path); res.StatusCode != http.StatusForbidden {
			t.Errorf("support confirm on general: %d", res.StatusCode)
		}
		if res, _ := support.post(t, path, url.Values{}); res.StatusCode != http.StatusForbidden {
			t.Errorf("support regenerates general: %d", res.StatusCode)
		}
	}
	// The details page offers support regenerate on the Chrome key only, and nothing else.
	_, page := support.get(t, keyURL(chrome.ID))
	actions := parseHTML(t, page).Find(`[data-testid="key-actions"]`)
	if actions.Find(`[data-testid="regenerate-key"]`).Length() != 1 || actions.Find(`[data-testid="edit-key"], [data-testid="delete-key"], [data-testid="deactivate-key"]`).Length() != 0 {
		t.Errorf("support controls on chrome key: %s", actions.Text())
	}
	_, page = support.get(t, keyURL(general.ID))
	if parseHTML(t, page).Find(`[data-testid="regenerate-key"]`).Length() != 0 {
		t.Error("support offered regenerate on a general key")
	}
}

func TestActivateDeactivateDelete(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.admin.post(t, "/security/api-keys", createForm("Toggle"))
	k := keyByName(t, ts, "Toggle")
	res, _ := ts.admin.post(t, keyURL(k.ID)+"/deactivate", yes("return", "/security/api-keys?q=Tog"))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/security/api-keys?q=Tog" {
		t.Fatalf("deactivate: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if keyByName(t, ts, "Toggle").Active {
		t.Fatal("still active")
	}
	res, _ = ts.admin.post(t, keyURL(k.ID)+"/activate", yes("return", "https://evil.example/"))
	if res.Header.Get("Location") != "/security/api-keys" || !keyByName(t, ts, "Toggle").Active {
		t.Fatalf("activate: %q", res.Header.Get("Location"))
	}

	_, confirm := ts.get(t, keyURL(k.ID)+"/delete")
	if !strings.Contains(confirm, "Delete the key “Toggle”") {
		t.Error("delete confirmation does not name the key")
	}
	res, _ = ts.admin.post(t, keyURL(k.ID)+"/delete", url.Values{}, "HX-Request", "true")
	if res.StatusCode != http.StatusNoContent || res.Header.Get("HX-Redirect") != "/security/api-keys" {
		t.Fatalf("delete via htmx: %d", res.StatusCode)
	}
	if res, _ := ts.get(t, keyURL(k.ID)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted key still shown: %d", res.StatusCode)
	}
	events, _ := ts.db.KeyAudit(context.Background(), k.ID, 10)
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, ",") != "key.deleted,key.activated,key.deactivated,key.created" {
		t.Fatalf("audit actions %v", actions)
	}

	// DELETE from htmx, with the header token.
	ts.admin.post(t, "/security/api-keys", createForm("Second"))
	k2 := keyByName(t, ts, "Second")
	_, page := ts.get(t, "/security/api-keys")
	res, _ = ts.admin.do(t, http.MethodDelete, keyURL(k2.ID), nil, "HX-Request", "true", "X-CSRF-Token", csrfIn(t, page))
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", res.StatusCode)
	}
}

func TestDetailsPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.admin.post(t, "/security/api-keys", createForm("Shown"))
	k := keyByName(t, ts, "Shown")
	_, page := ts.get(t, keyURL(k.ID))
	doc := parseHTML(t, page)
	settings := doc.Find(`[data-testid="key-settings"]`).Text()
	for _, want := range []string{"General", "Account Viewer (all accounts), Global Viewer", "verify", "10.0.0.0/8, 2001:db8::/32, 192.0.2.7", "by admin", "Never", k.DisplayPrefix} {
		if !strings.Contains(settings, want) {
			t.Errorf("settings lack %q", want)
		}
	}
	// Once used, the time says how far behind it may be.
	used := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	if err := ts.db.RecordUsage(context.Background(), []apikey.LastUse{{KeyID: k.ID, At: used, From: "192.0.2.44"}}, nil); err != nil {
		t.Fatal(err)
	}
	_, usedPage := ts.get(t, keyURL(k.ID))
	if got := parseHTML(t, usedPage).Find(`[data-testid="key-settings"]`).Text(); !strings.Contains(got, "2026-03-04 05:06 UTC from 192.0.2.44 (kept to within 15 minutes)") {
		t.Errorf("last use not shown with its precision: %q", got)
	}
	if doc.Find(`[data-testid="key-actions"] a, [data-testid="key-actions"] button`).Length() != 5 { // with Move
		t.Errorf("admin actions: %q", doc.Find(`[data-testid="key-actions"]`).Text())
	}
	_, page = ts.get(t, keyURL(k.ID)+"?tab=audit")
	if parseHTML(t, page).Find(`[data-testid="audit-row"]`).Length() != 1 {
		t.Error("audit tab empty")
	}
	viewer := ts.signIn(t, "vic", ts.addUser(t, "vic", apikey.RoleGlobalViewer))
	_, page = viewer.get(t, keyURL(k.ID))
	if parseHTML(t, page).Find(`[data-testid="key-actions"] a, [data-testid="key-actions"] button`).Length() != 0 {
		t.Error("viewer sees change controls")
	}
	_, page = viewer.get(t, "/security/api-keys")
	if d := parseHTML(t, page); d.Find(`[data-testid="add-key"]`).Length() != 0 || d.Find(`[data-testid="deactivate-key"]`).Length() != 0 {
		t.Error("viewer sees add or deactivate on the list")
	}
	_, page = ts.get(t, "/security/api-keys")
	if d := parseHTML(t, page); d.Find(`[data-testid="add-key"]`).Length() != 1 || d.Find(`[data-testid="deactivate-key"]`).Length() != 1 {
		t.Error("admin lacks add or deactivate on the list")
	}
	if res, _ := ts.get(t, "/security/api-keys/key_nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown key: %d", res.StatusCode)
	}
}

func TestResponseHeadersInTheForm(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	form := createForm("Headers")
	form["header_name"] = []string{"X-Tenant", "X-Debug", ""}
	form["header_value"] = []string{"${account.name}", "on", ""}
	form["header_excluded"] = []string{"1"}
	if res, body := ts.admin.post(t, "/security/api-keys", form); res.StatusCode != 201 {
		t.Fatalf("create: %d %.300s", res.StatusCode, body)
	}
	k := keyByName(t, ts, "Headers")
	if len(k.ResponseHeaders) != 2 || k.ResponseHeaders[0].Name != "X-Tenant" || k.ResponseHeaders[0].Excluded || !k.ResponseHeaders[1].Excluded {
		t.Fatalf("stored %+v", k.ResponseHeaders)
	}
	// The edit form shows them, with blank rows to add more.
	_, page := ts.get(t, keyURL(k.ID)+"/edit")
	doc := parseHTML(t, page)
	if n := doc.Find(`input[name="header_name"]`).Length(); n != 4 {
		t.Fatalf("%d header rows", n)
	}
	if v, _ := doc.Find(`input[name="header_value"]`).First().Attr("value"); v != "${account.name}" {
		t.Errorf("first value %q", v)
	}
	if !doc.Find(`input[name="header_excluded"][value="1"]`).Is("[checked]") {
		t.Error("excluded box not ticked")
	}
	// A refused name is said, and every row stays as typed.
	edit := createForm("")
	edit.Del("name")
	edit.Set("version", "1")
	edit.Set("expires_in", "keep")
	edit["header_name"] = []string{"Set-Cookie", "X-Debug"}
	edit["header_value"] = []string{"a=b", "on"}
	res, body := ts.admin.post(t, keyURL(k.ID), edit)
	doc = parseHTML(t, body)
	if res.StatusCode != 422 || !strings.Contains(doc.Find(`[data-testid="error-response_headers"]`).Text(), "Set-Cookie") {
		t.Fatalf("refused header: %d", res.StatusCode)
	}
	if v, _ := doc.Find(`input[name="header_name"]`).First().Attr("value"); v != "Set-Cookie" {
		t.Errorf("row not kept: %q", v)
	}
	// Emptying the rows removes the headers.
	edit["header_name"] = []string{"", ""}
	edit["header_value"] = []string{"", ""}
	if res, _ := ts.admin.post(t, keyURL(k.ID), edit); res.StatusCode != 303 {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if got := keyByName(t, ts, "Headers"); len(got.ResponseHeaders) != 0 {
		t.Fatalf("headers left %+v", got.ResponseHeaders)
	}
}

func TestKeyTestExplainsAndRecordsNothing(t *testing.T) {
	t.Parallel()
	var rec *usage.Recorder
	ts := newTestServer(t, func(c *testConfig) {
		rec = usage.New(c.Store, nil)
		c.Usage = rec
		c.RateLimit = verify.Config{RatePerSecond: 1, Burst: 1}
	})
	k, secret := ts.addKey(t, "tested", func(k *apikey.Key) {
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Source: "192.0.2.0/24"}}
	})
	cases := []struct {
		key, ip, code string
	}{
		{secret, "192.0.2.9", "VALID"},
		{secret, "192.0.2.9", "VALID"}, // again: no rate-limit token was spent
		{secret, "198.51.100.1", "IP_NOT_ALLOWED"},
		{otherLast(secret), "", "NOT_FOUND"},
	}
	for _, c := range cases {
		res, body := ts.admin.post(t, "/security/api-keys/test", url.Values{"key": {c.key}, "client_ip": {c.ip}})
		got := parseHTML(t, body).Find(`[data-testid="key-test-result"] code`).Text()
		if res.StatusCode != 200 || got != c.code {
			t.Errorf("%s from %q: %d %q, want %s", c.key[:8], c.ip, res.StatusCode, got, c.code)
		}
		if strings.Contains(body, c.key) {
			t.Error("the tested key is echoed back")
		}
	}
	res, body := ts.admin.post(t, "/security/api-keys/test", url.Values{"key": {""}, "client_ip": {"300.1.1.1"}})
	doc := parseHTML(t, body)
	if res.StatusCode != 422 || doc.Find(`[data-testid="error-key"]`).Text() == "" || doc.Find(`[data-testid="error-client_ip"]`).Text() == "" {
		t.Fatalf("bad input: %d", res.StatusCode)
	}
	if v, _ := doc.Find("#client_ip").Attr("value"); v != "300.1.1.1" {
		t.Errorf("address not kept: %q", v)
	}
	// A key is taken from the form body only: in the address, logs and
	// histories would keep it.
	res, body = ts.admin.post(t, "/security/api-keys/test?key="+url.QueryEscape(secret), url.Values{"client_ip": {"192.0.2.9"}})
	if res.StatusCode != 422 || parseHTML(t, body).Find(`[data-testid="error-key"]`).Text() == "" {
		t.Errorf("key in the query string: %d", res.StatusCode)
	}
	rec.Flush(context.Background())
	if got, _ := ts.db.Key(context.Background(), k.ID); got.LastUsedAt != nil {
		t.Fatal("the test recorded a use")
	}
	if counts, _ := ts.db.KeyUsage(context.Background(), k.ID, "2000-01-01"); len(counts) != 0 {
		t.Fatalf("the test counted %v", counts)
	}
}

// TestAccountViewerScopePicker: an Account Viewer key's accounts are ticked
// from the tree, not typed; they read back by name, stay ticked in the edit
// form, and an account that does not exist is refused beside the field.
func TestAccountViewerScopePicker(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	vendor := ts.addAccount(t, "Vendor", "")
	customer := ts.addAccount(t, "Customer", vendor)

	_, page := ts.get(t, "/security/api-keys/new")
	picker := parseHTML(t, page).Find(`[data-testid="account-picker"]`)
	for _, id := range []string{"all", ts.root, vendor, customer} {
		if picker.Find(`input[type="checkbox"][name="role_accounts"][value="`+id+`"]`).Length() != 1 {
			t.Errorf("picker offers no box for %s", id)
		}
	}
	if !strings.Contains(picker.Text(), "Customer") {
		t.Errorf("picker does not name the accounts: %q", picker.Text())
	}

	form := createForm("Scoped")
	form["role_accounts"] = []string{vendor, customer}
	if res, body := ts.admin.post(t, "/security/api-keys", form); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %.300s", res.StatusCode, body)
	}
	k := keyByName(t, ts, "Scoped")
	_, page = ts.get(t, keyURL(k.ID))
	if settings := parseHTML(t, page).Find(`[data-testid="key-settings"]`).Text(); !strings.Contains(settings, "Account Viewer (Vendor, Customer)") &&
		!strings.Contains(settings, "Account Viewer (Customer, Vendor)") {
		t.Errorf("scope not shown by name: %q", settings)
	}
	_, page = ts.get(t, keyURL(k.ID)+"/edit")
	doc := parseHTML(t, page)
	for _, id := range []string{vendor, customer} {
		if !doc.Find(`input[name="role_accounts"][value="` + id + `"]`).Is("[checked]") {
			t.Errorf("edit form lost the scope %s", id)
		}
	}
	if doc.Find(`input[name="role_accounts"][value="all"]`).Is("[checked]") {
		t.Error("edit form ticks All accounts")
	}

	// A scope naming a missing account: refused beside the field, kept ticked, nothing stored.
	edit := createForm("")
	edit.Del("name")
	edit.Set("version", strconv.Itoa(k.Version))
	edit.Set("expires_in", "keep")
	edit["role_accounts"] = []string{customer, "acc_gone"}
	res, body := ts.admin.post(t, keyURL(k.ID), edit)
	doc = parseHTML(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`[data-testid="error-role_accounts"]`).Text(), "There is no account “acc_gone”") {
		t.Fatalf("missing account: %d %q", res.StatusCode, doc.Find(`[data-testid="error-role_accounts"]`).Text())
	}
	if !doc.Find(`input[name="role_accounts"][value="acc_gone"]`).Is("[checked]") {
		t.Error("the refused choice is not kept on screen")
	}
	if got := keyByName(t, ts, "Scoped"); got.Version != k.Version || len(got.Roles) != 2 {
		t.Errorf("refused edit changed the key: %+v", got.Roles)
	}

	// The JSON API names the field too.
	_, admin := ts.addKey(t, "api admin", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	res2, out := ts.apiCall(t, "POST", "/api/v1/keys", admin, map[string]any{
		"name": "api scoped", "type": "general", "roles": []string{"account-viewer"}, "role_accounts": []string{"acc_gone"}})
	if res2.StatusCode != http.StatusUnprocessableEntity || errCode(out) != "VALIDATION" || errFields(out)["role_accounts"] == nil {
		t.Fatalf("API create with a missing account: %d %v", res2.StatusCode, out)
	}
}

// The details page names an advanced permission as the form does, never by
// its id.
func TestDetailsNameAdvancedPermissions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "verifier", func(k *apikey.Key) { k.AdvancedPermissions = []string{apikey.AdvancedVerify} })
	_, body := ts.admin.get(t, keyURL(k.ID)+"?tab=settings")
	text := parseHTML(t, body).Find("main").Text()
	if !strings.Contains(text, "Verify other keys (POST /api/v1/keys/verify)") {
		t.Errorf("advanced permission not named:\n%s", text)
	}
}
