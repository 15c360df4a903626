package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
)

// scopeOf is the accounts of a key's Account Viewer role.
func scopeOf(k *apikey.Key) []string {
	for _, g := range k.Roles {
		if g.Role == apikey.RoleAccountViewer {
			return slices.Sorted(slices.Values(g.Accounts))
		}
	}
	return nil
}

// TestKeyFormWithManyAccounts: past a hundred accounts, the accounts of a
// key's Account Viewer role are found by name rather than offered as a box
// each. Without JavaScript a search posts the form, which comes back as
// typed with the accounts found; ticking some and posting again saves them.
// htmx asks for what a search finds alone.
func TestKeyFormWithManyAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ids := ts.addAccounts(t, 1000)

	res, body := ts.get(t, "/security/api-keys/new")
	_, dialog := ts.get(t, "/security/api-keys/new", "HX-Request", "true", "HX-Target", "dialog-slot")
	t.Logf("add-key page, 1,000 accounts: %d bytes, %d as a dialog", len(body), len(dialog))
	if res.StatusCode != http.StatusOK || len(body) > 20_000 || len(dialog) > 20_000 {
		t.Fatalf("add form: %d, %d bytes; budget 20,000", res.StatusCode, len(body))
	}
	form := parseHTML(t, body).Find(`[data-testid="key-form"]`)
	if n := form.Find(`input[name="role_accounts"]`).Length(); n != 1 || form.Find(`input[name="role_accounts_q"]`).Length() != 1 {
		t.Fatalf("%d boxes of accounts, or no search", n)
	}
	action, _ := form.Attr("action")
	post := func(v url.Values) (*http.Response, *goquery.Selection, string) {
		t.Helper()
		res, body := ts.admin.postRaw(t, action, v)
		return res, parseHTML(t, body).Find(`[data-testid="key-form"]`), body
	}
	found := func(form *goquery.Selection) []string {
		var labels []string
		for _, l := range form.Find(`[data-testid="found-accounts"] label`).EachIter() {
			labels = append(labels, strings.TrimSpace(l.Text()))
		}
		return labels
	}

	// A search comes back with everything typed, and what it found.
	v := formValues(form)
	v.Set("_csrf", csrfIn(t, body))
	v.Set("name", "Scoped script")
	v["roles"] = []string{"account-viewer"}
	v.Set("allowed_ips", "192.0.2.7")
	v.Set("custom_value", "not-sent-back-not-sent-back-not-sent-back")
	v.Set("role_accounts_q", "customer 0004")
	res, form, _ = post(v)
	if res.StatusCode != http.StatusOK || len(found(form)) != 10 || found(form)[0] != "Customer 00040" {
		t.Fatalf("search: %d, found %q", res.StatusCode, found(form))
	}
	if name, _ := form.Find("#name").Attr("value"); name != "Scoped script" || strings.TrimSpace(form.Find("#allowed_ips").Text()) != "192.0.2.7" ||
		!form.Find(`input[name="roles"][value="account-viewer"]`).Is("[checked]") || form.Find(`[data-testid="error-form"]`).Length() != 0 {
		t.Errorf("the search lost what was typed: name %q", name)
	}
	if !strings.Contains(form.Find(`[data-testid="error-custom_value"]`).Text(), "Type it again") {
		t.Error("the custom value is dropped without a word")
	}
	// Many found: a page of them, and how many more.
	v.Set("role_accounts_q", "customer")
	if _, many, _ := post(v); len(found(many)) != choicesPerPage || strings.TrimSpace(many.Find(`[data-testid="more-accounts"]`).Text()) != "950 more match: type more of the name." {
		t.Errorf("broad search: %d found, %q", len(found(many)), many.Find(`[data-testid="more-accounts"]`).Text())
	}

	// Ticked among those found, an account is saved with the key.
	form.Find(`[data-testid="found-accounts"] input[value="`+ids[42]+`"]`).SetAttr("checked", "")
	v = formValues(form)
	v.Set("_csrf", csrfIn(t, body))
	v.Set("access_type", "generated")
	if v.Get("role_accounts_q") != v.Get("role_accounts_shown") || !slices.Contains(v["role_accounts"], ids[42]) {
		t.Fatalf("posted %v", v)
	}
	if res, _, page := post(v); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %.300s", res.StatusCode, page)
	}
	k := keyByName(t, ts, "Scoped script")
	if got := scopeOf(k); !slices.Equal(got, ids[42:43]) {
		t.Fatalf("stored scope %v", got)
	}

	// No account: the refusal beside the picker, the rest kept.
	delete(v, "role_accounts")
	v.Del("role_accounts_q")
	v.Set("name", "Unscoped script")
	res, form, _ = post(v)
	if res.StatusCode != http.StatusUnprocessableEntity || strings.TrimSpace(form.Find(`[data-testid="error-role_accounts"]`).Text()) == "" {
		t.Fatalf("no accounts: %d", res.StatusCode)
	}

	// The edit form: the chosen accounts ticked by name; a search keeps the
	// version the form was read at; the save adds what was ticked.
	edit := keyURL(k.ID) + "/edit"
	res, body = ts.get(t, edit)
	t.Logf("edit-key page, 1,000 accounts: %d bytes", len(body))
	form = parseHTML(t, body).Find(`[data-testid="key-form"]`)
	if chosen := form.Find(`[data-testid="chosen-accounts"] input[checked]`); res.StatusCode != http.StatusOK || len(body) > 20_000 ||
		chosen.Length() != 1 || strings.TrimSpace(chosen.Parent().Text()) != "Customer 00042" {
		t.Fatalf("edit form: %d, %d bytes; budget 20,000", res.StatusCode, len(body))
	}
	action, _ = form.Attr("action")
	v = formValues(form)
	v.Set("role_accounts_q", "00077")
	v.Set("find", "role_accounts")
	meanwhile := formValues(form)
	meanwhile.Set("allowed_ips", "203.0.113.9")
	if res, _, _ := post(meanwhile); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a save meanwhile: %d", res.StatusCode)
	}
	res, form, _ = post(v)
	if version, _ := form.Find(`input[name="version"]`).Attr("value"); res.StatusCode != http.StatusOK || version != v.Get("version") || len(found(form)) != 1 {
		t.Fatalf("search in the edit form: %d, version %q (was %q), found %q", res.StatusCode, version, v.Get("version"), found(form))
	}
	form.Find(`[data-testid="found-accounts"] input`).SetAttr("checked", "")
	res, form, _ = post(formValues(form))
	if res.StatusCode != http.StatusConflict || form.Find(`[data-testid="conflict"]`).Length() != 1 {
		t.Fatalf("a save over another's: %d", res.StatusCode)
	}
	if res, _, _ = post(formValues(form)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if got := scopeOf(keyByName(t, ts, "Scoped script")); !slices.Equal(got, slices.Sorted(slices.Values([]string{ids[42], ids[77]}))) {
		t.Errorf("stored scope %v", got)
	}

	// htmx: the matches alone, those chosen left out.
	_, body = ts.get(t, "/accounts/choices?role_accounts_q=customer+0004&role_accounts="+ids[42], "HX-Request", "true", "HX-Target", "role_accounts-found")
	matches := parseHTML(t, body)
	if !strings.HasPrefix(body, `<div id="role_accounts-found"`) || matches.Find(`input[name="role_accounts"]`).Length() != 9 ||
		matches.Find(`input[value="`+ids[42]+`"]`).Length() != 0 {
		t.Fatalf("matches: %.300s", body)
	}
}

// TestNewUserWithManyAccounts: with a thousand accounts, a new user goes in
// the account shown and the accounts it sees are found by name; the form
// comes back from a search as typed, but for the password.
func TestNewUserWithManyAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ids := ts.addAccounts(t, 1000)
	_, body := ts.get(t, "/users/new?account="+ids[7])
	v := formValues(parseHTML(t, body).Find(`[data-testid="user-form"]`))
	if v.Get("account_id") != ids[7] {
		t.Fatalf("the user goes in %q", v.Get("account_id"))
	}
	v.Set("username", "scoped.viewer")
	v.Set("password", "a-long-enough-password")
	v.Set("role", "account-viewer")
	v.Set("role_accounts_q", "customer 0001")
	res, body := ts.admin.postRaw(t, "/users", v)
	form := parseHTML(t, body).Find(`[data-testid="user-form"]`)
	if name, _ := form.Find("#username").Attr("value"); res.StatusCode != http.StatusOK || name != "scoped.viewer" ||
		form.Find(`[data-testid="chosen-account_id"]`).Text() != "Customer 00007" || form.Find(`[data-testid="found-accounts"] input[name="role_accounts"]`).Length() != 10 {
		t.Fatalf("search: %d, %q in %q, %d found", res.StatusCode, name, form.Find(`[data-testid="chosen-account_id"]`).Text(), form.Find(`[data-testid="found-accounts"] input[name="role_accounts"]`).Length())
	}
	if !strings.Contains(form.Find(`[data-testid="error-password"]`).Text(), "Type it again") {
		t.Error("the password is dropped without a word")
	}
	form.Find(`[data-testid="found-accounts"] input[value="`+ids[12]+`"]`).SetAttr("checked", "")
	v = formValues(form)
	v.Set("password", "a-long-enough-password")
	if res, _ := ts.admin.postRaw(t, "/users", v); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	if u, _ := ts.db.UserByName(t.Context(), "scoped.viewer"); u == nil || u.AccountID != ids[7] || !slices.Equal(u.RoleAccounts, ids[12:13]) {
		t.Errorf("stored %+v", u)
	}
}
