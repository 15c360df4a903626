package store

import (
	"context"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// A search finds the same keys along the trigram index as a LIKE on every
// key would, whatever the term holds (pattern characters, case, letters
// that fold to two), and the index follows regenerations and deletions.
func TestKeySearchMatchesAScan(t *testing.T) {
	t.Parallel()
	db, _ := openAt(t, storetest.DSN(t))
	ctx := context.Background()
	acc := newAccounts(t, db, "Globex")[0]
	names := []string{"Berlin office", "BERLIN backup", "Munich", "Straße 5", "rate_100%", "a*b?c[d]", "under_score", "Ünïcode Ölf", "plain"}
	keys := map[string]*apikey.Key{}
	for _, n := range names {
		keys[n] = newKey(t, db, acc, n)
	}
	search := func(term string) string {
		t.Helper()
		page, err := db.ListKeys(ctx, apikey.KeyQuery{AccountIDs: []string{acc}, Search: term, PerPage: 100, Now: db.now()})
		if err != nil {
			t.Fatal(err)
		}
		return ids(page.Keys)
	}
	scan := func(term string) string {
		t.Helper()
		q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: []string{acc}, Search: term, PerPage: 100, Now: db.now()},
			search: keySearch{cond: `search_fold LIKE ? ESCAPE '\'`, args: []any{likeContains(term)}}}
		page, err := db.listTogether(ctx, q, apikey.KeyPage{PerPage: 100}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return ids(page.Keys)
	}
	prefix := keys["Munich"].DisplayPrefix
	for _, term := range []string{"berlin", "Berlin", "RLI", "strasse", "STRAßE", "_100%", "0%", "a*b", "?c[", "[d]", "r_s",
		"ünï", "ÖLF", "nothing here", "berlin office", "n OF", "straße 5", "ünïcode  ölf", "a b", prefix, strings.ToUpper(prefix[3:]), "kc_", "ff"} {
		got, want := search(term), scan(term)
		if got != want {
			t.Errorf("%q: index found %s, a scan %s", term, got, want)
		}
	}
	if got := search("berlin"); len(strings.Fields(got)) != 2 {
		t.Errorf("berlin: %s", got)
	}
	// Regenerated: the old prefix is gone, the new one found.
	k := keys["Munich"]
	secret, _ := apikey.GenerateSecret(apikey.TypeGeneral)
	newPrefix := apikey.DisplayPrefix(secret)
	if err := db.ReplaceSecret(ctx, k, apikey.HashSecret(secret), newPrefix, apikey.AccessGenerated, nil, "admin", nil); err != nil {
		t.Fatal(err)
	}
	if got := search(prefix); got != "" {
		t.Errorf("old prefix still found: %s", got)
	}
	if got := search(newPrefix); got != k.ID {
		t.Errorf("new prefix: %s", got)
	}
	if err := db.DeleteKey(ctx, keys["Berlin office"], nil); err != nil {
		t.Fatal(err)
	}
	if got := search("berlin"); got != keys["BERLIN backup"].ID {
		t.Errorf("after delete: %s", got)
	}
}
