package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// TestFlashAfterEveryChange: each change says what it did at the top of
// the next whole page, in a status region, once; a list or dialog swapped
// in by htmx meanwhile does not use the message up, and no message holds a
// secret.
func TestFlashAfterEveryChange(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := context.Background()
	ts.addUser(t, "sam", apikey.RoleSupport)
	sam, _ := ts.db.UserByName(ctx, "sam")
	movable := ts.addAccount(t, "Movable", "")
	under := ts.addAccount(t, "New home", "")
	var created *apikey.Key
	var secrets []string
	keyPath := func() string { return keyURL(created.ID) }

	steps := []struct {
		name string
		do   func() *http.Response
		next func() string // the page after; nil: where the answer redirects
		want string
	}{
		{"key created", func() *http.Response {
			res, body := ts.admin.post(t, "/security/api-keys/new?account="+ts.root, createForm("Flash key"))
			secrets = append(secrets, shownSecret(t, body))
			created = keyByName(t, ts, "Flash key")
			// A list swapped in by htmx is not the next page.
			if _, part := ts.get(t, "/security/api-keys?q=flash", "HX-Request", "true", "HX-Target", "key-list"); strings.Contains(part, "Created the key") {
				t.Error("the message went to a list region")
			}
			return res
		}, func() string { return "/security/api-keys" }, "Created the key “Flash key”."},
		{"key saved", func() *http.Response {
			_, page := ts.get(t, keyPath()+"/edit")
			form := parseHTML(t, page).Find(`[data-testid="key-form"]`)
			v := formValues(form)
			v.Set("allowed_ips", "192.0.2.9")
			action, _ := form.Attr("action")
			res, _ := ts.admin.post(t, action, v)
			return res
		}, nil, "Saved the changes to “Flash key”."},
		{"key regenerated", func() *http.Response {
			res, body := ts.admin.post(t, keyPath()+"/regenerate", url.Values{"grace": {"1h"}})
			secrets = append(secrets, shownSecret(t, body))
			return res
		}, keyPath, "“Flash key” has a new secret."},
		{"overlap ended", func() *http.Response {
			res, _ := ts.admin.post(t, keyPath()+"/end-grace", url.Values{})
			return res
		}, nil, "The previous secret of “Flash key” no longer works."},
		{"key deactivated", func() *http.Response {
			res, _ := ts.admin.post(t, keyPath()+"/deactivate", yes())
			return res
		}, nil, "The key “Flash key” is inactive"},
		{"key activated", func() *http.Response {
			res, _ := ts.admin.post(t, keyPath()+"/activate", yes())
			return res
		}, nil, "The key “Flash key” is active"},
		{"endpoint trusted", func() *http.Response {
			if _, err := ts.db.RegisterEndpoint(ctx, created.ID, "till-7", "Till 7", "", false, ts.now); err != nil {
				t.Fatal(err)
			}
			res, _ := ts.admin.post(t, keyPath()+"/endpoints/till-7/trust", url.Values{})
			return res
		}, nil, "The endpoint till-7 is trusted"},
		{"endpoint distrusted", func() *http.Response {
			res, _ := ts.admin.post(t, keyPath()+"/endpoints/till-7/distrust", url.Values{})
			return res
		}, nil, "The endpoint till-7 is no longer trusted"},
		{"key moved", func() *http.Response {
			res, _ := ts.admin.post(t, keyPath()+"/move", url.Values{"account_id": {under}})
			return res
		}, nil, "Moved the key “Flash key” to New home."},
		{"key deleted", func() *http.Response {
			res, _ := ts.admin.post(t, keyPath()+"/delete", url.Values{})
			return res
		}, nil, "Deleted the key “Flash key”"},
		{"user created", func() *http.Response {
			res, _ := ts.admin.post(t, "/users/new", url.Values{"username": {"nina"}, "password": {"a-good-long-password"}, "role": {"global-viewer"}, "account_id": {ts.root}})
			return res
		}, nil, "Added the user nina (Global Viewer)."},
		{"user deleted", func() *http.Response {
			nina, _ := ts.db.UserByName(ctx, "nina")
			res, _ := ts.admin.post(t, "/users/"+nina.ID+"/delete", yes())
			return res
		}, nil, "Deleted the user nina."},
		{"role saved", func() *http.Response {
			res, _ := ts.admin.post(t, "/users/"+sam.ID+"/role", url.Values{"role": {"global-viewer"}})
			return res
		}, nil, "Saved the role of sam: Global Viewer."},
		{"password reset", func() *http.Response {
			res, _ := ts.admin.post(t, "/users/"+sam.ID+"/password", url.Values{"password": {"another-long-password"}})
			return res
		}, nil, "Set a new password for sam"},
		{"account created", func() *http.Response {
			res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Initech"}, "parent_id": {ts.root}})
			return res
		}, nil, "Added the account “Initech” with its predefined keys."},
		{"account deleted", func() *http.Response {
			_, page := ts.get(t, "/accounts?q=initech")
			ask, _ := parseHTML(t, page).Find(`[data-testid="delete-account"]`).Attr("href")
			_, res, _ := ts.admin.answer(t, ask)
			return res
		}, nil, "Deleted the account “Initech” with its 3 predefined keys."},
		{"account moved", func() *http.Response {
			res, _ := ts.admin.post(t, "/accounts/"+movable+"/move", url.Values{"parent_id": {under}})
			return res
		}, nil, "Moved “Movable” under “New home”."},
	}
	for _, s := range steps {
		res := s.do()
		var next string
		if s.next != nil {
			next = s.next()
		} else if next = res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", s.name, res.StatusCode)
		}
		_, page := ts.get(t, next)
		if got := flashIn(t, page); !strings.Contains(got, s.want) {
			t.Errorf("%s: %s says %q, want %q", s.name, next, got, s.want)
		}
		for _, secret := range secrets {
			if secret != "" && strings.Contains(page, secret) {
				t.Errorf("%s: a secret on the page after", s.name)
			}
		}
		if _, page = ts.get(t, next); flashIn(t, page) != "" {
			t.Errorf("%s: the message shows twice", s.name)
		}
	}
}

// TestFlashesDoNotPileUp: a client that makes change after change and
// opens no page (a script) keeps a session cookie browsers accept; the next
// page says what the newest changes did.
func TestFlashesDoNotPileUp(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "A key with a rather long name, to make every message as long as it gets")
	_, page := ts.get(t, keyURL(k.ID))
	token := csrfIn(t, page)
	for i := range 40 {
		action := "/deactivate"
		if i%2 == 1 {
			action = "/activate"
		}
		if res, _ := ts.admin.postRaw(t, keyURL(k.ID)+action, yes("_csrf", token)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("change %d: %d", i, res.StatusCode)
		}
	}
	_, page = ts.get(t, keyURL(k.ID))
	shown := parseHTML(t, page).Find(`[data-testid="flash"] p`)
	if shown.Length() != 3 || !strings.Contains(shown.Last().Text(), "is active") {
		t.Errorf("after 40 changes the page says %q", shown.Text())
	}
}
