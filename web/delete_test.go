package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// TestDeleteAccountWithOnlyPredefinedKeys: the question names the
// predefined keys that go with the account; a delete without its confirm
// field is asked again and changes nothing; confirmed, the account and its keys
// go, and verification forgets the keys at once.
func TestDeleteAccountWithOnlyPredefinedKeys(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Shop"}, "parent_id": {ts.root}})
	shop := strings.TrimPrefix(res.Header.Get("Location"), "/security/api-keys?account=")
	_, secret := ts.addKey(t, "Kiosk key", inAccount(shop), func(k *apikey.Key) { k.Predefined = true })
	caller := ts.verifierKey(t)
	if code, _ := ts.verify(t, caller, map[string]any{"key": secret}); code != "VALID" {
		t.Fatalf("before: %s", code)
	}
	predefined, _ := ts.db.PredefinedKeys(context.Background(), shop)

	_, page := ts.get(t, "/accounts")
	ask, _ := parseHTML(t, page).Find(`[data-account-id="` + shop + `"] [data-testid="delete-account"]`).Attr("href")
	_, page = ts.get(t, ask)
	doc := parseHTML(t, page)
	var listed []string
	for _, li := range doc.Find(`[data-testid="confirm-items"] li`).EachIter() {
		listed = append(listed, li.Text())
	}
	if len(listed) != 4 || !slices.Contains(listed, "Kiosk key") || len(predefined) != 4 ||
		!strings.Contains(doc.Find(`[data-testid="confirm-form"]`).Text(), "These keys will be deleted with the account:") {
		t.Fatalf("the question lists %v", listed)
	}

	// Unconfirmed, it is asked again, keys listed, and told nothing went.
	res, page = ts.admin.post(t, "/accounts/"+shop+"/delete", url.Values{})
	again := parseHTML(t, page)
	if msg := again.Find(`[data-testid="error-confirm"]`).Text(); res.StatusCode != http.StatusOK || !strings.Contains(msg, "Nothing was deleted") ||
		again.Find(`[data-testid="confirm-items"] li`).Length() != 4 {
		t.Errorf("unconfirmed: %d %q", res.StatusCode, msg)
	}
	if _, err := ts.db.Account(context.Background(), shop); err != nil {
		t.Fatalf("an unconfirmed delete removed the account: %v", err)
	}

	res, _ = ts.admin.post(t, "/accounts/"+shop+"/delete", formValues(doc.Find(`[data-testid="confirm-form"]`)))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/accounts" {
		t.Fatalf("confirmed: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, page := ts.get(t, "/accounts"); !strings.Contains(flashIn(t, page), "Deleted the account “Shop” with its 4 predefined keys.") {
		t.Errorf("the page after says %q", flashIn(t, page))
	}
	if _, err := ts.db.Account(context.Background(), shop); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("the account is still there: %v", err)
	}
	for _, k := range predefined {
		if _, err := ts.db.Key(context.Background(), k.ID); apikey.ErrorCode(err) != apikey.ENOTFOUND {
			t.Errorf("key %s is still there", k.Name)
		}
	}
	if code, _ := ts.verify(t, caller, map[string]any{"key": secret}); code != "NOT_FOUND" {
		t.Errorf("a key deleted with its account verifies: %s", code)
	}
	events, _, _ := ts.db.ListAudit(context.Background(), apikey.AuditQuery{Key: shop})
	if len(events) == 0 || events[0].Action != apikey.ActionAccountDeleted || events[0].ActorName != "admin" || !strings.Contains(string(events[0].Changes[0].From), `"Kiosk key"`) {
		t.Errorf("audit %+v", events)
	}
}

// TestDeleteUser: from the user's edit page, after a question; a delete
// without its confirm field is asked again, one of oneself refused.
func TestDeleteUser(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	sam := ts.signIn(t, "sam", ts.addUser(t, "sam", apikey.RoleSupport))
	u, _ := ts.db.UserByName(context.Background(), "sam")

	_, page := ts.get(t, "/users")
	edit, _ := parseHTML(t, page).Find(`[data-testid="user-row"][data-username="sam"] [data-testid="edit-user"]`).Attr("href")
	_, page = ts.get(t, edit)
	ask, _ := parseHTML(t, page).Find(`[data-testid="delete-user"]`).Attr("href")
	_, page = ts.get(t, ask)
	form := formValues(parseHTML(t, page).Find(`[data-testid="confirm-form"]`))
	if form.Get("confirm") != "yes" || !strings.Contains(page, "Delete the user “sam”") {
		t.Fatalf("question %v", form)
	}
	res, page := ts.admin.post(t, ask, url.Values{}) // asked again
	if res.StatusCode != http.StatusOK || !strings.Contains(parseHTML(t, page).Find(`[data-testid="error-confirm"]`).Text(), "Nothing was deleted") {
		t.Errorf("unconfirmed: %d", res.StatusCode)
	}
	if _, err := ts.db.User(context.Background(), u.ID); err != nil {
		t.Fatalf("an unconfirmed delete removed the user: %v", err)
	}
	res, _ = ts.admin.post(t, ask, form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/users" {
		t.Fatalf("delete: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, page := ts.get(t, "/users"); !strings.Contains(flashIn(t, page), "Deleted the user sam.") {
		t.Errorf("the page after says %q", flashIn(t, page))
	}
	if _, err := ts.db.User(context.Background(), u.ID); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("sam is still there: %v", err)
	}
	if res, _ := sam.get(t, "/security/api-keys"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("sam's session after the delete: %d", res.StatusCode)
	}
	events, _, _ := ts.db.ListAudit(context.Background(), apikey.AuditQuery{Key: u.ID})
	if len(events) == 0 || events[0].Action != apikey.ActionUserDeleted || events[0].ActorName != "admin" {
		t.Errorf("audit %+v", events)
	}

	admin, _ := ts.db.UserByName(context.Background(), "admin")
	_, page = ts.get(t, "/users/"+admin.ID)
	if parseHTML(t, page).Find(`[data-testid="delete-user"]`).Length() != 0 {
		t.Error("one's own edit page offers to delete oneself")
	}
	res, page = ts.admin.post(t, "/users/"+admin.ID+"/delete", url.Values{"confirm": {"yes"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, page).Find(`[data-testid="confirm-refusal"]`).Text(), "cannot delete yourself") {
		t.Errorf("self: %d", res.StatusCode)
	}
	if _, err := ts.db.User(context.Background(), admin.ID); err != nil {
		t.Errorf("the admin deleted themself: %v", err)
	}
}
