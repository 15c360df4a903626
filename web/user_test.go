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

	if res, _ := ts.admin.post(t, "/users/"+sam.ID+"/deactivate", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}
	if res, _ := c.get(t, "/security/api-keys"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivated user still signed in: %d", res.StatusCode)
	}
	if res, _ := ts.newClient(t).tryLogin(t, "sam", "pw-sam-long-enough"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("deactivated user signed in: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, "/users/"+sam.ID+"/activate", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("activate: %d", res.StatusCode)
	}
	ts.signIn(t, "sam", "pw-sam-long-enough")
	if res, _ := ts.admin.post(t, "/users/usr_nope/deactivate", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown user: %d", res.StatusCode)
	}
}

func TestLastAdminCannotBeRemoved(t *testing.T) {
	ts := newTestServer(t)
	admin, _ := ts.db.UserByName(context.Background(), "admin")
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{"/users/" + admin.ID + "/deactivate", url.Values{}},
		{"/users/" + admin.ID + "/role", url.Values{"role": {"global-viewer"}}},
	} {
		res, body := ts.admin.post(t, step.path, step.form)
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("%s: %d", step.path, res.StatusCode)
		}
		row := parseHTML(t, body).Find(`[data-username="admin"]`)
		if !strings.Contains(row.Text(), "At least one active Global Admin must remain") {
			t.Errorf("%s: reason not shown beside the user", step.path)
		}
	}
	if res, _ := ts.get(t, "/users"); res.StatusCode != http.StatusOK {
		t.Fatal("admin lost access")
	}
}

// TestUserScopeByBoxes: an Account Viewer's accounts are ticked in the
// user's row; the summary names them; a missing account is refused there.
func TestUserScopeByBoxes(t *testing.T) {
	ts := newTestServer(t)
	customer := ts.addAccount(t, "Customer", "")
	ts.addUser(t, "vera", apikey.RoleSupport)
	vera, _ := ts.db.UserByName(context.Background(), "vera")
	if res, _ := ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {customer}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("scope change: %d", res.StatusCode)
	}
	_, page := ts.get(t, "/users")
	row := parseHTML(t, page).Find(`[data-testid="user-row"][data-username="vera"]`)
	if got := row.Find(`[data-testid="user-scope"] summary`).Text(); !strings.Contains(got, "Sees Customer") {
		t.Errorf("row summary %q", got)
	}
	if !row.Find(`input[name="role_accounts"][value="` + customer + `"]`).Is("[checked]") {
		t.Error("the scoped account is not ticked")
	}
	res, body := ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {"acc_gone"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "There is no account “acc_gone”") {
		t.Fatalf("missing account: %d", res.StatusCode)
	}
	if u, _ := ts.db.UserByName(context.Background(), "vera"); !slices.Equal(u.RoleAccounts, []string{customer}) {
		t.Errorf("refused change stored: %v", u.RoleAccounts)
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
