package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// TestMoveKeyToAnotherAccount: an admin moves a key from its details page;
// its version moves on, the audit trail names both accounts, and
// verification, which had cached the key, reports the new account at once.
func TestMoveKeyToAnotherAccount(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	k, secret := ts.addKey(t, "mover", inAccount(tr.customer))
	caller := ts.verifierKey(t)
	if _, out := ts.verify(t, caller, map[string]any{"key": secret}); out["account_id"] != tr.customer {
		t.Fatalf("before the move: %v", out)
	}

	_, page := ts.get(t, keyURL(k.ID))
	move, _ := parseHTML(t, page).Find(`[data-testid="move-key"]`).Attr("href")
	_, page = ts.get(t, move)
	form := formValues(parseHTML(t, page).Find(`[data-testid="key-move-form"]`))
	if form.Get("account_id") != tr.customer || form.Get("version") != "1" {
		t.Fatalf("move form %v", form)
	}
	form.Set("account_id", tr.other)
	res, _ := ts.admin.post(t, move, form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != keyURL(k.ID) {
		t.Fatalf("move: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	moved, _ := ts.db.Key(context.Background(), k.ID)
	if moved.AccountID != tr.other || moved.Version != 2 || moved.UpdatedBy != "admin" {
		t.Errorf("after the move: account %s, version %d, by %q", moved.AccountID, moved.Version, moved.UpdatedBy)
	}
	events, _ := ts.db.KeyAudit(context.Background(), k.ID, 1)
	if len(events) != 1 || events[0].Action != apikey.ActionKeyMoved || events[0].AccountID != tr.other ||
		len(events[0].Changes) != 1 || events[0].Changes[0].Field != apikey.FieldAccountID ||
		string(events[0].Changes[0].From) != `"`+tr.customer+`"` || string(events[0].Changes[0].To) != `"`+tr.other+`"` {
		t.Errorf("audit %+v", events)
	}
	if _, out := ts.verify(t, caller, map[string]any{"key": secret}); out["account_id"] != tr.other {
		t.Errorf("verification after the move: %v", out)
	}
	if code, _ := ts.verify(t, caller, map[string]any{"key": secret, "account_id": tr.customer}); code != "FORBIDDEN" {
		t.Errorf("the moved key in its old account: %s", code)
	}
}

// TestMoveKeyRefusals: a name taken in the new account, a move over a
// newer save, a predefined key and users who may not change keys are
// refused, with the reason beside the account chosen; nothing moves.
func TestMoveKeyRefusals(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	k, _ := ts.addKey(t, "twin", inAccount(tr.customer))
	ts.addKey(t, "twin", inAccount(tr.other))
	move := keyURL(k.ID) + "/move"
	refused := func(who *client, form url.Values, status int, want string) {
		t.Helper()
		res, body := who.post(t, move, form)
		msg := parseHTML(t, body).Find(`[data-testid="error-account_id"]`).Text()
		if res.StatusCode != status || !strings.Contains(msg, want) {
			t.Errorf("%v: %d %q, want %d %q", form, res.StatusCode, msg, status, want)
		}
		if v, _ := parseHTML(t, body).Find(`select[name="account_id"] option[selected]`).Attr("value"); status != http.StatusForbidden && v != form.Get("account_id") {
			t.Errorf("the account chosen is not kept: %q", v)
		}
	}
	refused(ts.admin, url.Values{"account_id": {tr.other}, "version": {"1"}}, http.StatusConflict, `Other vendor already has a key named "twin"`)
	ts.db.SetKeyActive(context.Background(), k, false, "someone", nil)
	refused(ts.admin, url.Values{"account_id": {tr.vendor}, "version": {"1"}}, http.StatusConflict, "after you opened it")

	// Users limited to one account may see the key but not move it.
	for _, r := range []apikey.Role{apikey.RoleSupport, apikey.RoleAccountViewer} {
		u := ts.signIn(t, string(r), ts.addUser(t, string(r), r, tr.customer))
		if res, _ := u.post(t, move, url.Values{"account_id": {tr.vendor}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s moves: %d", r, res.StatusCode)
		}
		if res, _ := u.get(t, move); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s opens the move page: %d", r, res.StatusCode)
		}
	}

	// A predefined key stays with its account: no way to move it is offered.
	res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Shop"}, "parent_id": {tr.vendor}})
	shop := strings.TrimPrefix(res.Header.Get("Location"), "/security/api-keys?account=")
	predefined, _ := ts.db.PredefinedKeys(context.Background(), shop)
	p := predefined[0]
	_, page := ts.get(t, keyURL(p.ID))
	if parseHTML(t, page).Find(`[data-testid="move-key"]`).Length() != 0 {
		t.Error("a predefined key offers a move")
	}
	_, page = ts.get(t, keyURL(p.ID)+"/move")
	if !strings.Contains(parseHTML(t, page).Find(`[data-testid="move-refusal"]`).Text(), "moves only with it") {
		t.Error("the move page of a predefined key does not say why")
	}
	res, page = ts.admin.post(t, keyURL(p.ID)+"/move", url.Values{"account_id": {tr.other}, "version": {strconv.Itoa(p.Version)}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, page).Find(`[data-testid="move-refusal"]`).Text(), "moves only with it") {
		t.Errorf("moving a predefined key: %d", res.StatusCode)
	}
	for _, id := range []string{k.ID, p.ID} {
		if got, _ := ts.db.Key(context.Background(), id); got.AccountID == tr.other {
			t.Errorf("key %s moved", id)
		}
	}
}

// TestMoveKeyThroughTheAPI: POST /api/v1/keys/:id/move, for keys that may
// change keys; the answer is the key in its new account.
func TestMoveKeyThroughTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tr := threeLevels(t, ts)
	k, _ := ts.addKey(t, "scripted", inAccount(tr.vendor))
	_, admin := ts.addKey(t, "admin script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	_, support := ts.addKey(t, "support script", inAccount(tr.vendor), func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleSupport}} })
	path := "/api/v1/keys/" + k.ID + "/move"

	if res, out := ts.apiCall(t, "POST", path, support, map[string]any{"account_id": tr.other}); res.StatusCode != http.StatusForbidden {
		t.Errorf("support moves: %d %v", res.StatusCode, out)
	}
	if res, out := ts.apiCall(t, "POST", path, admin, map[string]any{}); res.StatusCode != http.StatusUnprocessableEntity || errFields(out)["account_id"] == nil {
		t.Errorf("no account: %d %v", res.StatusCode, out)
	}
	if res, out := ts.apiCall(t, "POST", path, admin, map[string]any{"account_id": "acc_nowhere"}); res.StatusCode != http.StatusUnprocessableEntity || errFields(out)["account_id"] == nil {
		t.Errorf("a missing account: %d %v", res.StatusCode, out)
	}
	if res, out := ts.apiCall(t, "POST", path, admin, map[string]any{"account_id": tr.other, "version": 7}); res.StatusCode != http.StatusConflict {
		t.Errorf("an old version: %d %v", res.StatusCode, out)
	}
	res, out := ts.apiCall(t, "POST", path, admin, map[string]any{"account_id": tr.other, "version": 1})
	if res.StatusCode != http.StatusOK || out["account_id"] != tr.other || out["version"] != float64(2) {
		t.Fatalf("move: %d %v", res.StatusCode, out)
	}
	if res, out := ts.apiCall(t, "PATCH", "/api/v1/keys/"+k.ID, admin, map[string]any{"account_id": tr.vendor}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(errFields(out)["account_id"].(string), "/move") {
		t.Errorf("PATCH of the account: %d %v", res.StatusCode, out)
	}
}
