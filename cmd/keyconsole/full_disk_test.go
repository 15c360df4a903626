package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
)

// TestFullDisk: with the database on a small file system that fills up,
// writes answer 503 STORAGE_UNAVAILABLE (logged once, not per request),
// /readyz fails, and both recover on their own once space is freed.
// It needs a tmpfs mount, so root; elsewhere it is skipped.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("no tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	path := filepath.Join(dir, "k.db")
	secret, rootID := adminKeyIn(t, path)
	keyID, otherID := keyAndAccountIn(t, path, rootID)
	base, stderr, stop := startServeStop(t, map[string]string{"KEYCONSOLE_DB": path, "KEYCONSOLE_SECRET_FILE": filepath.Join(dir, "session.key"),
		"KEYCONSOLE_ADMIN_PASSWORD": "the-operator-chose-this"})
	// A console session, and the add form's token, while there is room.
	browser, _ := signInConsole(t, base, "admin", "the-operator-chose-this")
	res, err := browser.Get(base + "/security/api-keys/new")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if token == nil {
		t.Fatal("no token on the add form")
	}

	create := func(name string) (int, string) {
		body, _ := json.Marshal(map[string]any{"name": name, "type": "general"})
		req, _ := http.NewRequest("POST", base+"/api/v1/keys", bytes.NewReader(body))
		req.Header.Set("X-Api-Key", secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ Error struct{ Code string } }
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out.Error.Code
	}
	if code, _ := create("before"); code != 201 {
		t.Fatalf("create on a roomy disk: %d", code)
	}
	// Fill the file system.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	for i := range 5 {
		if code, apiCode := create("while full " + string(rune('a'+i))); code != 503 || apiCode != "STORAGE_UNAVAILABLE" {
			t.Fatalf("create on a full disk: %d %s", code, apiCode)
		}
	}
	if code, reason := readyz(t, base); code != 503 {
		t.Fatalf("readyz on a full disk: %d %s", code, reason)
	}
	// The console's form comes back as typed, saying why nothing was stored.
	res, err = browser.PostForm(base+"/security/api-keys/new", url.Values{"_csrf": {string(token[1])}, "name": {"typed while full"},
		"type": {"general"}, "access_type": {"generated"}, "expires_in": {"never"}, "active": {"on"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !strings.Contains(string(page), `value="typed while full"`) || !strings.Contains(string(page), "cannot store anything right now") {
		t.Fatalf("the add form on a full disk: %d\n%s", res.StatusCode, page)
	}
	// So does the accounts page's form.
	res, err = browser.PostForm(base+"/accounts", url.Values{"_csrf": {string(token[1])}, "name": {"Account typed while full"}, "parent_id": {rootID}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !strings.Contains(string(page), `value="Account typed while full"`) || !strings.Contains(string(page), "cannot store anything right now") {
		t.Fatalf("the account form on a full disk: %d\n%s", res.StatusCode, page)
	}
	res, err = browser.PostForm(base+"/users/new", url.Values{"_csrf": {string(token[1])}, "username": {"typedwhilefull"},
		"password": {"a-long-enough-password-1"}, "role": {"global-viewer"}, "account_id": {rootID}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !strings.Contains(string(page), `value="typedwhilefull"`) || !strings.Contains(string(page), "cannot store anything right now") {
		t.Fatalf("the user form on a full disk: %d\n%s", res.StatusCode, page)
	}
	res, err = browser.PostForm(base+"/account/password", url.Values{"_csrf": {string(token[1])}, "current_password": {"the-operator-chose-this"},
		"password": {"another-long-password-2"}, "password_confirm": {"another-long-password-2"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !strings.Contains(string(page), "cannot store anything right now") {
		t.Fatalf("the password form on a full disk: %d\n%s", res.StatusCode, page)
	}
	// Questions come back too: as answered, the reason at their top.
	for _, q := range []struct {
		path string
		form url.Values
		kept string
	}{
		{"/security/api-keys/" + keyID + "/deactivate", url.Values{"confirm": {"yes"}, "reason": {"reason typed while full"}}, `value="reason typed while full"`},
		{"/security/api-keys/" + keyID + "/delete", url.Values{"reason": {"another reason typed"}}, `value="another reason typed"`},
		{"/security/api-keys/" + keyID + "/move", url.Values{"account_id": {otherID}, "version": {"1"}}, `value="` + otherID + `" selected`},
	} {
		q.form.Set("_csrf", string(token[1]))
		res, err = browser.PostForm(base+q.path, q.form)
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 503 || !strings.Contains(string(page), q.kept) || !strings.Contains(string(page), "cannot store anything right now") {
			t.Fatalf("%s on a full disk: %d\n%s", q.path, res.StatusCode, page)
		}
	}
	os.Remove(filler)
	if code, _ := create("after"); code != 201 {
		t.Fatalf("create once space is free: %d", code)
	}
	if code, reason := readyz(t, base); code != 200 {
		t.Fatalf("readyz once space is free: %d %s", code, reason)
	}
	stop()
	if n := strings.Count(stderr.String(), "the database takes no writes"); n != 1 {
		t.Fatalf("logged %d times:\n%s", n, stderr.String())
	}
}

// adminKeyIn opens (or makes) the database at dsn and adds a Global Admin
// API key to it, changed by mutate; it returns the key's secret and the
// root account's id.
func adminKeyIn(t *testing.T, dsn string, mutate ...func(*apikey.Key)) (string, string) {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	defer db.Close()
	root, err := db.RootAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := apikey.GenerateSecret(apikey.TypeGeneral)
	if err != nil {
		t.Fatal(err)
	}
	k := &apikey.Key{AccountID: root.ID, CreatedBy: "test", SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
		Settings: apikey.Settings{Name: "script", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
			AllowUnauthenticated: true, Roles: []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}}}
	for _, m := range mutate {
		m(k)
	}
	if err := db.CreateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	return secret, root.ID
}

// keyAndAccountIn adds a key and a second account under the root to the
// database at dsn, for questions to ask about; it returns their ids.
func keyAndAccountIn(t *testing.T, dsn, rootID string) (string, string) {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	defer db.Close()
	other := &apikey.Account{ParentID: rootID, Name: "Other"}
	if err := db.CreateAccount(ctx, other); err != nil {
		t.Fatal(err)
	}
	secret, _ := apikey.GenerateSecret(apikey.TypeGeneral)
	k := &apikey.Key{AccountID: rootID, CreatedBy: "test", SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
		Settings: apikey.Settings{Name: "asked about", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
	if err := db.CreateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	return k.ID, other.ID
}

// openStore opens the database at dsn, migrated, for a test to fill.
func openStore(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
