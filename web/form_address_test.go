package web

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// TestEveryFormAddressAnswersGet (post/redirect/get): every form of the
// console posts to an address that a GET answers with that form's page, or
// a redirect to the page the form is on. After a refused post (422, 409)
// the browser's address is that address, so reloading it shows the form
// rather than posting again.
func TestEveryFormAddressAnswersGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Globex"}, "parent_id": {ts.root}})
	globex := strings.TrimPrefix(res.Header.Get("Location"), "/security/api-keys?account=")
	k, _ := ts.addKey(t, "Gateway")
	ts.addKey(t, "Sleeping", func(k *apikey.Key) { k.Active = false })
	if _, err := ts.db.RegisterEndpoint(ctx, k.ID, "dev-1", "Device 1", "", false, ts.now); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.RegisterEndpoint(ctx, k.ID, "dev-2", "Device 2", "", true, ts.now); err != nil {
		t.Fatal(err)
	}
	// A grace period, for the form that ends it.
	if res, _ := ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"1h"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("regenerate: %d", res.StatusCode)
	}
	ts.addUser(t, "sam", apikey.RoleSupport)
	sam, _ := ts.db.UserByName(ctx, "sam")
	ts.addUser(t, "gone", apikey.RoleSupport)
	gone, _ := ts.db.UserByName(ctx, "gone")
	if res, _ := ts.admin.post(t, "/users/"+gone.ID+"/deactivate", yes()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate user: %d", res.StatusCode)
	}
	shop := ts.addAccount(t, "Shop", "")
	root := "?account=" + ts.root

	pages := []string{
		"/security/api-keys" + root, "/security/api-keys?account=" + globex, "/security/api-keys/new" + root,
		keyURL(k.ID), keyURL(k.ID) + "?tab=endpoints", keyURL(k.ID) + "/edit", keyURL(k.ID) + "/regenerate",
		keyURL(k.ID) + "/delete", keyURL(k.ID) + "/deactivate", keyURL(keyByName(t, ts, "Sleeping").ID),
		"/security/api-keys/predefined/deactivate?account=" + globex, "/security/api-keys/test",
		"/accounts" + root, "/accounts/" + shop + "/move", "/accounts/" + shop + "/delete",
		"/users" + root, "/users/new" + root, "/users/" + sam.ID, "/users/" + gone.ID, "/users/" + sam.ID + "/role", "/users/" + sam.ID + "/password",
		"/users/" + sam.ID + "/deactivate", "/users/" + gone.ID + "/activate", "/users/" + sam.ID + "/delete", passwordPath,
		keyURL(k.ID) + "/move",
	}
	// Where each page's forms post: a form's action, or a button's formaction.
	posts := map[string]string{} // address → a page it is on
	for _, p := range pages {
		res, body := ts.get(t, p)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
		doc := parseHTML(t, body)
		for _, f := range doc.Find(`form[method="post"]`).EachIter() {
			action, _ := f.Attr("action")
			if action != "" {
				posts[action] = p
			}
		}
		for _, b := range doc.Find(`button[formaction]`).EachIter() {
			action, _ := b.Attr("formaction")
			posts[action] = p
		}
	}
	_, login := ts.newClient(t).get(t, "/login")
	if action, _ := parseHTML(t, login).Find(`[data-testid="login-form"]`).Attr("action"); action != "/login" {
		t.Errorf("the sign-in form posts to %q", action)
	}
	// Each kind of form of the console is among them.
	for _, want := range []string{"/security/api-keys/new", keyURL(k.ID) + "/edit", "/regenerate", "/delete", "/deactivate", "/activate",
		"/end-grace", "/trust", "/distrust", "/predefined/deactivate", "/security/api-keys/test", "/accounts", "/move",
		keyURL(k.ID) + "/move", "/accounts/" + shop + "/delete", "/users/new", "/role", "/password", "/users/" + sam.ID + "/delete",
		"/users/" + sam.ID + "/deactivate", "/users/" + gone.ID + "/activate", "/logout"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(posts)), func(a string) bool { return strings.Contains(a, want) }) {
			t.Errorf("no form posts to %s", want)
		}
	}
	for action, from := range posts {
		res, body := ts.get(t, action)
		switch res.StatusCode {
		case http.StatusOK:
			// The form's own page: it holds a form posting here.
			found := false
			for _, f := range parseHTML(t, body).Find(`form[method="post"]`).EachIter() {
				if a, _ := f.Attr("action"); a == action {
					found = true
				}
			}
			if !found {
				t.Errorf("GET %s (a form on %s posts there): a page without that form", action, from)
			}
		case http.StatusSeeOther:
			if to := res.Header.Get("Location"); to == "" || strings.HasPrefix(to, "/login") {
				t.Errorf("GET %s redirects to %q", action, to)
			}
		default:
			t.Errorf("GET %s (a form on %s posts there): %d", action, from, res.StatusCode)
		}
	}

	// A refused post: the address the browser shows then is the form's page.
	form := createForm("")
	res, body := ts.admin.post(t, "/security/api-keys/new"+root, form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad add: %d", res.StatusCode)
	}
	action, _ := parseHTML(t, body).Find(`[data-testid="key-form"]`).Attr("action")
	if res, again := ts.get(t, action); res.StatusCode != http.StatusOK || parseHTML(t, again).Find(`[data-testid="key-form"]`).Length() != 1 {
		t.Errorf("reloading %s after a refused add: %d", action, res.StatusCode)
	}
}

// TestRegenerateRepostAsksAgain: the regenerate answer shows a secret at
// the address of a post; reloading it posts again, which must not replace
// the secret just shown: the repeated post is asked again instead.
func TestRegenerateRepostAsksAgain(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "Rotated")
	_, question := ts.get(t, keyURL(k.ID)+"/regenerate")
	form := formValues(parseHTML(t, question).Find(`[data-testid="confirm-form"]`))
	res, body := ts.admin.postRaw(t, keyURL(k.ID)+"/regenerate", form)
	secret := shownSecret(t, body)
	if res.StatusCode != http.StatusOK || keyByName(t, ts, "Rotated").SecretHash != apikey.HashSecret(secret) {
		t.Fatalf("regenerate: %d", res.StatusCode)
	}
	res, body = ts.admin.postRaw(t, keyURL(k.ID)+"/regenerate", form) // the reload
	doc := parseHTML(t, body)
	if res.StatusCode != http.StatusConflict || !strings.Contains(doc.Find(`[data-testid="error-form"]`).Text(), "nothing was regenerated") {
		t.Fatalf("repeated post: %d %q", res.StatusCode, doc.Find(`[data-testid="error-form"]`).Text())
	}
	if keyByName(t, ts, "Rotated").SecretHash != apikey.HashSecret(secret) || shownSecret(t, body) != "" {
		t.Fatal("the repeated post replaced the secret")
	}
	// Asked again, it regenerates.
	res, body = ts.admin.postRaw(t, keyURL(k.ID)+"/regenerate", formValues(doc.Find(`[data-testid="confirm-form"]`)))
	if again := shownSecret(t, body); res.StatusCode != http.StatusOK || again == secret || keyByName(t, ts, "Rotated").SecretHash != apikey.HashSecret(again) {
		t.Fatalf("regenerate when asked again: %d", res.StatusCode)
	}
}
