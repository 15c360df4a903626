package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
)

// editForm is the key's edit form as a browser would post it unchanged.
func editForm(t *testing.T, ts *testServer, k *apikey.Key) (*http.Response, string) {
	t.Helper()
	_, page := ts.get(t, keyURL(k.ID)+"/edit")
	form := parseHTML(t, page).Find(`[data-testid="key-form"]`)
	if form.Length() != 1 {
		t.Fatal("no edit form")
	}
	action, _ := form.Attr("action")
	return ts.admin.post(t, action, formValues(form))
}

// TestSaveWithoutChangesSavesNothing: saving the edit form as it came writes
// no audit entry, keeps the version and the last change, and says so.
func TestSaveWithoutChangesSavesNothing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "steady", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleSupport}} })
	before, _ := ts.db.Key(context.Background(), k.ID)
	res, _ := editForm(t, ts, k)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != keyURL(k.ID) {
		t.Fatalf("save: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	after, _ := ts.db.Key(context.Background(), k.ID)
	if after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) || after.UpdatedBy != before.UpdatedBy {
		t.Errorf("version %d→%d, changed %v→%v by %q", before.Version, after.Version, before.UpdatedAt, after.UpdatedAt, after.UpdatedBy)
	}
	if events, _ := ts.db.KeyAudit(context.Background(), k.ID, 10); len(events) != 0 {
		t.Errorf("audit %+v", events)
	}
	_, page := ts.get(t, res.Header.Get("Location"))
	if !strings.Contains(parseHTML(t, page).Find(`[data-testid="flash"]`).Text(), "Nothing changed") {
		t.Error("the page does not say nothing changed")
	}
	if _, page = ts.get(t, keyURL(k.ID)); parseHTML(t, page).Find(`[data-testid="flash"]`).Length() != 0 {
		t.Error("the notice shows again without a save")
	}
}

// TestTypeChangeSaysSecretKeepsLetter: the edit form says a generated
// secret keeps its type letter, and after a change of type the details page
// says the secret still starts with the old one and how to get the new one.
func TestTypeChangeSaysSecretKeepsLetter(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "retyped")
	_, page := ts.get(t, keyURL(k.ID)+"/edit")
	doc := parseHTML(t, page)
	if !strings.Contains(doc.Find(`[data-testid="type-letter-help"]`).Text(), "kc_g_") {
		t.Error("the edit form does not say the secret keeps its letter")
	}
	if _, page = ts.get(t, keyURL(k.ID)); parseHTML(t, page).Find(`[data-testid="type-letter-notice"]`).Length() != 0 {
		t.Error("letter notice on a key whose letter is right")
	}
	edit := formValues(doc.Find(`[data-testid="key-form"]`))
	edit.Set("type", string(apikey.TypeChrome))
	if res, _ := ts.admin.post(t, keyURL(k.ID), edit); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != keyURL(k.ID) {
		t.Fatalf("save: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, page = ts.get(t, keyURL(k.ID))
	notice := parseHTML(t, page).Find(`[data-testid="type-letter-notice"]`)
	if codes := notice.Find("code").Map(func(_ int, s *goquery.Selection) string { return s.Text() }); len(codes) != 2 || codes[0] != "kc_g_" || codes[1] != "kc_c_" {
		t.Errorf("letter notice %q", notice.Text())
	}
	// A regenerate gives the new letter, and the notice goes.
	_, body := ts.admin.post(t, keyURL(k.ID)+"/regenerate", map[string][]string{"grace": {"0"}})
	if s := secretIn(t, body); !strings.HasPrefix(s, "kc_c_") {
		t.Errorf("regenerated %q", s[:5])
	}
	if _, page = ts.get(t, keyURL(k.ID)); parseHTML(t, page).Find(`[data-testid="type-letter-notice"]`).Length() != 0 {
		t.Error("letter notice after a regenerate")
	}
}

// TestRegenerateCustomValueKeyAsks: regenerating a custom-value key asks
// for a generated secret or a new custom value, says what each does, and
// does what was chosen.
func TestRegenerateCustomValueKeyAsks(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	k, _ := ts.addKey(t, "own value", func(k *apikey.Key) { k.AccessType = apikey.AccessCustom })
	_, page := ts.get(t, keyURL(k.ID)+"/regenerate")
	choice := parseHTML(t, page).Find(`[data-testid="secret-choice"]`)
	if choice.Find(`input[name="secret"]`).Length() != 2 || !strings.Contains(choice.Text(), "becomes a generated key") ||
		!strings.Contains(choice.Text(), "keeps a custom value") {
		t.Fatalf("choice %q", choice.Text())
	}
	stored := func() *apikey.Key {
		got, err := ts.db.Key(context.Background(), k.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// Without a choice, or with a bad value, nothing changes.
	for field, form := range map[string]url.Values{
		"secret":       {"grace": {"0"}},
		"custom_value": {"grace": {"24h"}, "secret": {"custom"}, "custom_value": {"short"}},
	} {
		res, body := ts.admin.post(t, keyURL(k.ID)+"/regenerate", form)
		doc := parseHTML(t, body)
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="error-`+field+`"]`).Text() == "" {
			t.Errorf("%s: %d", field, res.StatusCode)
		}
		if grace, _ := doc.Find(`#grace option[selected]`).Attr("value"); grace != form.Get("grace") {
			t.Errorf("%s: grace %q not kept", field, grace)
		}
	}
	if got := stored(); got.SecretHash != k.SecretHash || got.AccessType != apikey.AccessCustom {
		t.Fatal("a refused regenerate changed the key")
	}
	value := "Fresh-custom-value-0123456789-abcdef"
	res, body := ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"0"}, "secret": {"custom"}, "custom_value": {value}})
	if shown := shownSecret(t, body); res.StatusCode != 200 || shown != value {
		t.Fatalf("new custom value: %d", res.StatusCode)
	}
	if got := stored(); got.AccessType != apikey.AccessCustom || got.SecretHash != apikey.HashSecret(value) {
		t.Errorf("after a new custom value: %s", got.AccessType)
	}
	res, body = ts.admin.post(t, keyURL(k.ID)+"/regenerate", url.Values{"grace": {"0"}, "secret": {"generate"}})
	if res.StatusCode != 200 || !strings.HasPrefix(secretIn(t, body), "kc_g_") {
		t.Fatalf("generated: %d", res.StatusCode)
	}
	if got := stored(); got.AccessType != apikey.AccessGenerated {
		t.Errorf("after generate: %s", got.AccessType)
	}
	// A generated key is not asked.
	if _, page = ts.get(t, keyURL(k.ID)+"/regenerate"); parseHTML(t, page).Find(`[data-testid="secret-choice"]`).Length() != 0 {
		t.Error("a generated key is asked which secret")
	}
}

// TestAPIRegenerateCustomValue: the API's regenerate takes a new custom
// value for a custom-value key, checks it, and refuses one for other keys.
func TestAPIRegenerateCustomValue(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, admin := ts.addKey(t, "script", func(k *apikey.Key) { k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}} })
	own, _ := ts.addKey(t, "own value", func(k *apikey.Key) { k.AccessType = apikey.AccessCustom })
	generated, _ := ts.addKey(t, "generated")
	value := "Fresh-custom-value-0123456789-abcdef"
	res, body := ts.apiCall(t, "POST", "/api/v1/keys/"+own.ID+"/regenerate", admin, map[string]any{"custom_value": value})
	if res.StatusCode != 200 || body["secret"] != value || body["access_type"] != "custom" {
		t.Fatalf("new custom value: %d %v", res.StatusCode, body)
	}
	for id, v := range map[string]string{own.ID: "short", generated.ID: value} {
		if res, body := ts.apiCall(t, "POST", "/api/v1/keys/"+id+"/regenerate", admin, map[string]any{"custom_value": v}); res.StatusCode != 422 || errFields(body)["custom_value"] == nil {
			t.Errorf("%s with %q: %d %v", id, v, res.StatusCode, body)
		}
	}
}
