package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// flashIn is the status message at the top of a page, "" without one.
func flashIn(t testing.TB, body string) string {
	t.Helper()
	return strings.TrimSpace(parseHTML(t, body).Find(`main [role="status"][data-testid="flash"]`).Text())
}

// TestChangesThatAskFirst: deactivating the predefined keys, a key, a user
// (from the user's edit page) and deleting an account each ask first, naming exactly what changes; the
// question works as a page (without JavaScript) and as a dialog (htmx); a
// post without the confirm field asks again and changes nothing; the
// confirmed post changes it, goes back where it was asked from, and the
// page there says what was done.
func TestChangesThatAskFirst(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Globex Berlin"}, "parent_id": {ts.root}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add account: %d", res.StatusCode)
	}
	globex := strings.TrimPrefix(res.Header.Get("Location"), "/security/api-keys?account=")
	own, _ := ts.addKey(t, "Billing gateway")
	ts.addUser(t, "vera", apikey.RoleGlobalViewer)
	vera, _ := ts.db.UserByName(ctx, "vera")
	empty := ts.addAccount(t, "Empty shop", "")

	predefinedOn := func() int {
		keys, _ := ts.db.PredefinedKeys(ctx, globex)
		n := 0
		for _, k := range keys {
			if k.Active {
				n++
			}
		}
		return n
	}
	keyOn := func() bool { k, _ := ts.db.Key(ctx, own.ID); return k.Active }
	userOn := func() bool { u, _ := ts.db.UserByName(ctx, "vera"); return u.Active }
	accountThere := func() bool { p, _ := ts.db.AccountPath(ctx, empty); return len(p) > 0 }

	for _, c := range []struct {
		name       string
		listURL    string // the page offering the change
		button     string // its link to the question, selected
		says       []string
		untouched  func() bool
		back, done string // where the answer goes, and what the page there says
	}{
		{"predefined keys", "/security/api-keys?account=" + globex, `[data-testid="deactivate-predefined"]`,
			[]string{"Deactivate 3 predefined keys of Globex Berlin: Chrome extension key, Default key for client and gateway, Embedded terminal key?", "Every client using them stops working"},
			func() bool { return predefinedOn() == 3 }, "/security/api-keys?account=" + globex, "Deactivated 3 predefined keys of Globex Berlin"},
		{"key from the list", "/security/api-keys?account=" + ts.root + "&q=billing", `[data-testid="deactivate-key"]`,
			[]string{"Deactivate the key “Billing gateway” (" + apikey.KeyHint(own.DisplayPrefix) + ")?", "Every client that uses it is refused"},
			keyOn, "/security/api-keys?account=" + ts.root + "&q=billing", "The key “Billing gateway” is inactive"},
		{"user", "/users/" + vera.ID, `[data-testid="deactivate-user"]`,
			[]string{"Deactivate the user “vera” (Global Viewer)?", "signed out at once"},
			userOn, "/users", "vera is inactive and signed out"},
		{"account", "/accounts?account=" + ts.root + "&q=empty", `[data-testid="delete-account"]`,
			[]string{"Delete the account “Empty shop”?", "cannot be undone"},
			accountThere, "/accounts?account=" + ts.root + "&q=empty", "Deleted the account “Empty shop”"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, list := ts.get(t, c.listURL)
			ask, ok := parseHTML(t, list).Find(c.button).First().Attr("href")
			if !ok {
				t.Fatalf("no link to the question on %s", c.listURL)
			}
			// With htmx: the same question, as a dialog.
			_, dialog := ts.get(t, ask, "HX-Request", "true", "HX-Target", "dialog-slot")
			if parseHTML(t, dialog).Find(`dialog [data-testid="confirm-form"]`).Length() != 1 || strings.Contains(dialog, "<html") {
				t.Errorf("htmx question: %.300s", dialog)
			}
			// A post without the confirm field asks again and changes nothing.
			action, _ := parseHTML(t, dialog).Find(`[data-testid="confirm-form"]`).Attr("action")
			res, again := ts.admin.post(t, action, url.Values{"return": {c.back}})
			if res.StatusCode != http.StatusOK || parseHTML(t, again).Find(`[data-testid="confirm-form"]`).Length() != 1 || !c.untouched() ||
				!strings.Contains(parseHTML(t, again).Find(`[data-testid="error-confirm"]`).Text(), "Nothing was") {
				t.Fatalf("unconfirmed post: %d, changed: %v", res.StatusCode, !c.untouched())
			}
			// Without JavaScript: the question as a page, then its form.
			question, res, _ := ts.admin.answer(t, ask)
			msg := parseHTML(t, question).Find(`[data-testid="dialog-page"] [data-testid="confirm-form"]`).Text()
			for _, want := range c.says {
				if !strings.Contains(msg, want) || !strings.Contains(dialog, want) {
					t.Errorf("the question does not say %q: %q", want, msg)
				}
			}
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != c.back || c.untouched() {
				t.Fatalf("confirmed: %d to %q, changed: %v", res.StatusCode, res.Header.Get("Location"), !c.untouched())
			}
			_, page := ts.get(t, c.back)
			if got := flashIn(t, page); !strings.Contains(got, c.done) {
				t.Errorf("back at %s the page says %q, want %q", c.back, got, c.done)
			}
		})
	}
}

// TestActivateConfirmsInOneClick: activating needs no question, so its
// buttons carry the confirm field; the address still answers a GET with
// the question, and a bare post only asks.
func TestActivateConfirmsInOneClick(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Sleeping", func(k *apikey.Key) { k.Active = false })
	if res, _ := ts.admin.post(t, keyURL(k.ID)+"/activate", url.Values{}); res.StatusCode != http.StatusOK || keyByName(t, ts, "Sleeping").Active {
		t.Fatalf("bare post: %d", res.StatusCode)
	}
	_, page := ts.get(t, keyURL(k.ID))
	button := parseHTML(t, page).Find(`[data-testid="activate-key"]`)
	if name, _ := button.Attr("name"); name != "confirm" {
		t.Fatalf("the Activate button does not confirm: %q", name)
	}
	form := formValues(button.Closest("form"))
	form.Set("confirm", "yes")
	if res, _ := ts.admin.postRaw(t, keyURL(k.ID)+"/activate", form); res.StatusCode != http.StatusSeeOther || !keyByName(t, ts, "Sleeping").Active {
		t.Fatalf("activate: %d", res.StatusCode)
	}
}
