package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
)

func TestUserCreate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	// Bad input: messages beside each field, typed values kept, password not echoed.
	form := url.Values{"username": {"x"}, "password": {"short-pw"}, "role": {"account-viewer"}, "account_id": {ts.root}, "role_accounts": {""}}
	res, body := ts.admin.post(t, "/users", form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", res.StatusCode)
	}
	doc := parseHTML(t, body)
	for _, field := range []string{"username", "password", "role_accounts"} {
		if msg := strings.TrimSpace(doc.Find(`[data-testid="error-` + field + `"]`).Text()); msg == "" {
			t.Errorf("no message beside %s", field)
		}
	}
	if v, _ := doc.Find(`#username`).Attr("value"); v != "x" {
		t.Errorf("username not kept: %q", v)
	}
	if inv, _ := doc.Find(`#username`).Attr("aria-invalid"); inv != "true" {
		t.Error("username not marked invalid")
	}
	if sel, _ := doc.Find(`#role option[selected]`).Attr("value"); sel != "account-viewer" {
		t.Errorf("role not kept: %q", sel)
	}
	if strings.Contains(body, "short-pw") {
		t.Error("password echoed")
	}

	a, b := ts.addAccount(t, "Customer A", ""), ts.addAccount(t, "Customer B", "")
	scope := []string{a, b}
	slices.Sort(scope) // scopes read back in id order
	form = url.Values{"username": {"Vera"}, "password": {"a-good-long-password"}, "role": {"account-viewer"}, "account_id": {ts.root}, "role_accounts": scope}
	if res, body := ts.admin.post(t, "/users", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	u, err := ts.db.UserByName(context.Background(), "vera")
	if err != nil || u.Role != apikey.RoleAccountViewer || !slices.Equal(u.RoleAccounts, scope) || u.CreatedBy != "admin" {
		t.Fatalf("stored %+v %v", u, err)
	}
	if strings.Contains(u.PasswordHash, "a-good-long-password") || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatal("password not hashed")
	}
	ts.signIn(t, "vera", "a-good-long-password")

	// A taken username is said beside the field.
	res, body = ts.admin.post(t, "/users", form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(parseHTML(t, body).Find(`[data-testid="error-username"]`).Text(), "taken") {
		t.Fatalf("duplicate: %d", res.StatusCode)
	}
	_, body = ts.get(t, "/users")
	if n := parseHTML(t, body).Find(`[data-testid="user-row"]`).Length(); n != 2 {
		t.Fatalf("%d rows", n)
	}
}

func TestUserRoleChangeAndDeactivation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.signIn(t, "sam", ts.addUser(t, "sam", apikey.RoleSupport))
	sam, _ := ts.db.UserByName(context.Background(), "sam")

	if res, _ := c.get(t, "/users"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("support on /users: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, "/users/"+sam.ID+"/role", url.Values{"role": {"global-admin"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("role change: %d", res.StatusCode)
	}
	// The change applies to sam's live session at once.
	if res, _ := c.get(t, "/users"); res.StatusCode != http.StatusOK {
		t.Fatalf("promotion not seen by the live session: %d", res.StatusCode)
	}
	res, body := ts.admin.post(t, "/users/"+sam.ID+"/role", url.Values{"role": {"account-viewer"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose the accounts") {
		t.Fatalf("viewer without accounts: %d", res.StatusCode)
	}

	if res, _ := ts.admin.post(t, "/users/"+sam.ID+"/deactivate", yes()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}
	if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivated user still signed in: %d", res.StatusCode)
	}
	if res, _ := ts.newClient(t).tryLogin(t, "sam", "pw-sam-long-enough"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("deactivated user signed in: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, "/users/"+sam.ID+"/activate", yes()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("activate: %d", res.StatusCode)
	}
	ts.signIn(t, "sam", "pw-sam-long-enough")
	if res, _ := ts.admin.post(t, "/users/usr_nope/deactivate", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown user: %d", res.StatusCode)
	}
}

func TestLastAdminCannotBeRemoved(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	admin, _ := ts.db.UserByName(context.Background(), "admin")
	for _, step := range []struct {
		path   string
		form   url.Values
		beside string // where the reason shows
	}{
		{"/users/" + admin.ID + "/deactivate", yes(), `[data-testid="user-error"]`}, // on the user's edit page
		{"/users/" + admin.ID + "/role", url.Values{"role": {"global-viewer"}}, `[data-testid="error-role"]`},
	} {
		res, body := ts.admin.post(t, step.path, step.form)
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("%s: %d", step.path, res.StatusCode)
		}
		if !strings.Contains(parseHTML(t, body).Find(step.beside).Text(), "At least one active Global Admin must remain") {
			t.Errorf("%s: reason not shown at %s", step.path, step.beside)
		}
	}
	if res, _ := ts.get(t, "/users"); res.StatusCode != http.StatusOK {
		t.Fatal("admin lost access")
	}
}

// TestUserScopeByBoxes: an Account Viewer's accounts are ticked on the
// user's role page; the list's row names them; a missing account is
// refused beside the boxes.
func TestUserScopeByBoxes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	customer := ts.addAccount(t, "Customer", "")
	ts.addUser(t, "vera", apikey.RoleSupport)
	vera, _ := ts.db.UserByName(context.Background(), "vera")
	if res, _ := ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {customer}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("scope change: %d", res.StatusCode)
	}
	_, page := ts.get(t, "/users")
	row := parseHTML(t, page).Find(`[data-testid="user-row"][data-username="vera"]`)
	if got := row.Find(`[data-testid="user-scope"]`).Text(); !strings.Contains(got, "Sees Customer") {
		t.Errorf("row summary %q", got)
	}
	edit, _ := row.Find(`[data-testid="edit-user"]`).Attr("href")
	_, page = ts.get(t, edit)
	form := parseHTML(t, page).Find(`[data-testid="role-form"]`)
	if !form.Find(`input[name="role_accounts"][value="` + customer + `"]`).Is("[checked]") {
		t.Error("the scoped account is not ticked")
	}
	res, body := ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {"acc_gone"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, body).Find(`[data-testid="error-role_accounts"]`).Text(), "There is no account “acc_gone”") {
		t.Fatalf("missing account: %d", res.StatusCode)
	}
	if u, _ := ts.db.UserByName(context.Background(), "vera"); !slices.Equal(u.RoleAccounts, []string{customer}) {
		t.Errorf("refused change stored: %v", u.RoleAccounts)
	}
}

// Accounts ticked under a role that does not use them are not kept, and the
// message after saving says so, on the add form and the edit form alike.
func TestUserAccountsNotKeptAreSaid(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	a := ts.addAccount(t, "Customer A", "")
	b := ts.addAccount(t, "Customer B", "")
	res, _ := ts.admin.post(t, "/users/new", url.Values{"username": {"gwen"}, "password": {"a-good-long-password"},
		"role": {"global-viewer"}, "account_id": {ts.root}, "role_accounts": {a, b}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	if _, page := ts.get(t, "/users"); !strings.Contains(page, "The 2 accounts ticked were not kept") {
		t.Error("the add form's message does not say the accounts went")
	}
	gwen, _ := ts.db.UserByName(context.Background(), "gwen")
	if len(gwen.RoleAccounts) != 0 {
		t.Errorf("accounts kept: %v", gwen.RoleAccounts)
	}
	ts.admin.post(t, "/users/"+gwen.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {a}})
	if _, page := ts.get(t, "/users"); strings.Contains(page, "not kept") {
		t.Error("an Account Viewer's accounts said to be dropped")
	}
	ts.admin.post(t, "/users/"+gwen.ID+"/role", url.Values{"role": {"support"}, "role_accounts": {a}})
	if _, page := ts.get(t, "/users"); !strings.Contains(page, "The account ticked was not kept") {
		t.Error("the edit form's message does not say the account went")
	}
}

// Many users are listed a page at a time, with the way to the next.
func TestUsersPaged(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	var many []*apikey.User
	for i := range 60 {
		many = append(many, &apikey.User{ID: fmt.Sprintf("usr_many_%02d", i), AccountID: ts.root, Username: fmt.Sprintf("many%02d", i),
			PasswordHash: "$argon2id$x", Role: apikey.RoleSupport, Active: true, CreatedBy: "t", CreatedAt: ts.now, UpdatedAt: ts.now})
	}
	if err := ts.db.BulkLoad(context.Background(), store.Bulk{Users: many}); err != nil {
		t.Fatal(err)
	}
	_, body := ts.admin.get(t, "/users")
	doc := parseHTML(t, body)
	if n := doc.Find(`[data-testid="user-row"]`).Length(); n != 50 {
		t.Fatalf("first page lists %d users", n)
	}
	next, ok := doc.Find(`a[rel="next"]`).Attr("href")
	if !ok || !strings.Contains(doc.Find(`[data-testid="user-count"]`).Text(), "61 users") {
		t.Fatalf("no way on: %q, %q", next, doc.Find(`[data-testid="user-count"]`).Text())
	}
	_, body = ts.admin.get(t, next)
	doc = parseHTML(t, body)
	if n := doc.Find(`[data-testid="user-row"]`).Length(); n != 11 || doc.Find(`a[rel="next"]`).Length() != 0 {
		t.Fatalf("second page lists %d users", n)
	}
	// Past the last page: said so, with the way back.
	_, body = ts.admin.get(t, "/users?page=9")
	doc = parseHTML(t, body)
	if doc.Find(`[data-testid="past-end"] a[href="/users"]`).Length() != 1 || doc.Find(`[data-testid="empty-state"]`).Length() != 0 {
		t.Fatal("a page past the end does not say so")
	}
}

// With a thousand accounts the users page stays small: a row shows the
// role and the accounts it sees, and links to the user's role page, which
// holds the form with a box for each account.
func TestUsersPageWithManyAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	accounts := ts.addAccounts(t, 1000)
	for i := range 60 {
		u := &apikey.User{AccountID: accounts[i], Username: fmt.Sprintf("viewer.%02d@example.com", i), PasswordHash: "$argon2id$x",
			Role: apikey.RoleAccountViewer, RoleAccounts: accounts[i+1 : i+3], Active: i%9 != 0, CreatedBy: "t"}
		if err := ts.db.CreateUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, body := ts.get(t, "/users")
	doc := parseHTML(t, body)
	_, wire := ts.admin.wire(t, http.MethodGet, "/users", nil, "Accept-Encoding", "gzip")
	t.Logf("50 users, 1,000 accounts: %d bytes, %d gzip'd", len(body), len(wire))
	if n := doc.Find(`[data-testid="user-row"]`).Length(); n != 50 || len(body) > 45_000 || len(wire) > 8_000 {
		t.Fatalf("%d rows in %d bytes, %d gzip'd; budget 45,000 and 8,000", n, len(body), len(wire))
	}
	if doc.Find(`select, input[type="checkbox"]`).Length() != 0 {
		t.Error("the list offers choices of accounts")
	}
	row := doc.Find(`[data-testid="user-row"][data-username="viewer.05@example.com"]`)
	if got := row.Find(`[data-testid="user-scope"]`).Text(); got != "Sees Customer 00006, Customer 00007" && got != "Sees Customer 00007, Customer 00006" {
		t.Errorf("scope %q", got)
	}
	if add, _ := doc.Find(`[data-testid="add-user"]`).Attr("href"); add != "/users/new" {
		t.Errorf("add user at %q", add)
	} else {
		// The user goes in the account shown: a select of them all would weigh 60 KB.
		_, page := ts.get(t, add)
		form := parseHTML(t, page).Find(`[data-testid="user-form"]`)
		t.Logf("add-user page, 1,000 accounts: %d bytes", len(page))
		if v, _ := form.Find(`input[name="account_id"]`).Attr("value"); v != ts.root || form.Find(`[data-testid="chosen-account_id"]`).Text() != "Root" ||
			form.Find("option").Length() > 10 || len(page) > 15_000 {
			t.Errorf("add form: account %q, %d options, %d bytes; budget 15,000", v, form.Find("option").Length(), len(page))
		}
	}

	// The role page: the role chosen, the user's accounts ticked, more found by name.
	edit, _ := row.Find(`[data-testid="edit-user"]`).Attr("href")
	res, page := ts.get(t, edit)
	form := parseHTML(t, page).Find(`[data-testid="role-form"]`)
	t.Logf("role page, 1,000 accounts: %d bytes", len(page))
	if res.StatusCode != http.StatusOK || form.Find(`input[name="role_accounts"]`).Length() != 3 || form.Find(`input[name="role_accounts_q"]`).Length() != 1 || len(page) > 15_000 {
		t.Fatalf("role page: %d, %d boxes, %d bytes; budget 15,000", res.StatusCode, form.Find(`input[name="role_accounts"]`).Length(), len(page))
	}
	if v, _ := form.Find(`#role option[selected]`).Attr("value"); v != "account-viewer" {
		t.Errorf("role chosen %q", v)
	}
	var ticked []string
	for _, box := range form.Find(`input[name="role_accounts"][checked]`).EachIter() {
		v, _ := box.Attr("value")
		ticked = append(ticked, v)
	}
	slices.Sort(ticked)
	want := slices.Sorted(slices.Values(accounts[6:8]))
	if !slices.Equal(ticked, want) {
		t.Errorf("ticked %v, want %v", ticked, want)
	}
	action, _ := form.Attr("action")

	// A mistake comes back beside its field, with what was chosen kept.
	res, page = ts.admin.post(t, action, url.Values{"role": {""}, "role_accounts": {accounts[42]}})
	form = parseHTML(t, page).Find(`[data-testid="role-form"]`)
	if res.StatusCode != http.StatusUnprocessableEntity || strings.TrimSpace(form.Find(`[data-testid="error-role"]`).Text()) != "Choose a role." {
		t.Fatalf("no role: %d %q", res.StatusCode, form.Find(`[data-testid="error-role"]`).Text())
	}
	if inv, _ := form.Find(`#role`).Attr("aria-invalid"); inv != "true" || !form.Find(`input[name="role_accounts"][value="`+accounts[42]+`"]`).Is("[checked]") {
		t.Error("the role is not marked, or the ticked account not kept")
	}
	res, page = ts.admin.post(t, action, url.Values{"role": {"account-viewer"}})
	form = parseHTML(t, page).Find(`[data-testid="role-form"]`)
	if v, _ := form.Find(`#role option[selected]`).Attr("value"); res.StatusCode != http.StatusUnprocessableEntity || v != "account-viewer" ||
		strings.TrimSpace(form.Find(`[data-testid="error-role_accounts"]`).Text()) == "" {
		t.Fatalf("no accounts: %d, role kept %q", res.StatusCode, v)
	}

	// Without JavaScript, a search posts the form, which comes back as
	// chosen with the accounts found; the next post saves.
	res, page = ts.admin.post(t, action, url.Values{"role": {"account-viewer"}, "role_accounts": {accounts[42]}, "role_accounts_q": {"customer 0005"}})
	form = parseHTML(t, page).Find(`[data-testid="role-form"]`)
	if v, _ := form.Find(`#role option[selected]`).Attr("value"); res.StatusCode != http.StatusOK || v != "account-viewer" ||
		form.Find(`[data-testid="chosen-accounts"] input[checked]`).Length() != 1 || form.Find(`[data-testid="found-accounts"] input[name="role_accounts"]`).Length() != 10 {
		t.Fatalf("search: %d, role %q, %d chosen, %d found", res.StatusCode, v, form.Find(`[data-testid="chosen-accounts"] input[checked]`).Length(),
			form.Find(`[data-testid="found-accounts"] input[name="role_accounts"]`).Length())
	}
	shown, _ := form.Find(`input[name="role_accounts_shown"]`).Attr("value")
	res, _ = ts.admin.post(t, action, url.Values{"role": {"account-viewer"}, "role_accounts": {accounts[42], accounts[55]},
		"role_accounts_q": {"customer 0005"}, "role_accounts_shown": {shown}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/users" {
		t.Fatalf("save: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if u, _ := ts.db.UserByName(ctx, "viewer.05@example.com"); !slices.Equal(slices.Sorted(slices.Values(u.RoleAccounts)), slices.Sorted(slices.Values([]string{accounts[42], accounts[55]}))) {
		t.Errorf("stored %v", u.RoleAccounts)
	}
	// A user out of the visitor's reach has no role page.
	if res, _ := ts.get(t, "/users/usr_nope/role"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown user: %d", res.StatusCode)
	}
}
