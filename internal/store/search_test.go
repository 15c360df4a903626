package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
		return searchPage(t, db, []string{acc}, term, "", 1).keys
	}
	prefix := keys["Munich"].DisplayPrefix
	for _, term := range []string{"berlin", "Berlin", "RLI", "strasse", "STRAßE", "_100%", "0%", "a*b", "?c[", "[d]", "r_s",
		"ünï", "ÖLF", "nothing here", "berlin office", "n OF", "straße 5", "ünïcode  ölf", "a b", prefix, strings.ToUpper(prefix[3:]), "kc_", "ff", "b"} {
		for _, order := range listOrders {
			if got, want := searchPage(t, db, []string{acc}, term, order, 1), scanPage(t, db, []string{acc}, term, order, 1); got.keys != want.keys {
				t.Errorf("%q by %q: index found %s, a scan %s", term, order, got.keys, want.keys)
			}
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

// A search finding many of the account's keys is matched as the list
// reads them in order, one finding few read by id (short texts are found
// along the name index first): both find what a scan does, page by page
// and in total, in every order, for the account and for one below it
// (its own keys and the many inherited merged).
func TestBroadSearchMatchesAScan(t *testing.T) {
	t.Parallel()
	db, now := openAt(t, storetest.DSN(t))
	acc := newAccounts(t, db, "Globex")[0]
	below := &apikey.Account{ParentID: acc, Name: "Below"}
	if err := db.CreateAccount(context.Background(), below); err != nil {
		t.Fatal(err)
	}
	// 1,150 keys in the account, 50 below it: "ab" in all but every 25th,
	// which holds "x9" instead.
	loadKeys(t, db, 1200, func(i int) *apikey.Key {
		name := fmt.Sprintf("Key ab %04d", i)
		if i%25 == 0 {
			name = fmt.Sprintf("Other x9 %04d", i) // 48 of them, 2 below
		}
		k := bulkKey(fmt.Sprintf("key_s_%04d", i), acc, name, *now)
		if i >= 1150 {
			k.AccountID = below.ID
		}
		if i%3 == 0 {
			at := now.Add(time.Duration(i%7) * 24 * time.Hour)
			k.ExpiresAt = &at
		}
		return k
	})
	// Both ways are taken on SQLite: "x9" read by id, "ab" as the list reads.
	for term, drives := range map[string]bool{"x9": true, "ab": false} {
		if s, err := db.searchKeys(context.Background(), term, []string{acc}, apikey.SortByExpires); err != nil || db.e.keySearchIndex() != "" && s.drives != drives {
			t.Fatalf("%q by expiry: %+v %v", term, s, err)
		}
	}
	for _, c := range []struct {
		term     string
		accounts []string
		total    int
	}{
		{"ab", []string{acc}, 1104},
		{"x9", []string{acc}, 46},
		{"ab 00", []string{acc}, 96},
		{"ab", []string{below.ID, acc}, 1152},
		{"x9", []string{below.ID, acc}, 48},
		{"ab 11", []string{below.ID, acc}, 96}, // 1100-1199: 48 above, 48 below
	} {
		for _, order := range listOrders {
			for _, n := range []int{1, 3} {
				got, want := searchPage(t, db, c.accounts, c.term, order, n), scanPage(t, db, c.accounts, c.term, order, n)
				if got.keys != want.keys || got.total != c.total {
					t.Errorf("%q in %d accounts by %q, page %d: found %d keys in all, %s; a scan %s",
						c.term, len(c.accounts), order, n, got.total, got.keys, want.keys)
				}
			}
		}
	}
}

// listed is a page of keys: their ids, and the list's total.
type listed struct {
	keys  string
	total int
}

// searchPage is page n of the keys of accounts that term finds, in order,
// 20 a page.
func searchPage(t *testing.T, db *DB, accounts []string, term, order string, n int) listed {
	t.Helper()
	page, err := db.ListKeys(context.Background(), apikey.KeyQuery{AccountIDs: accounts, Search: term, Sort: order, Page: n, PerPage: 20, Now: db.now()})
	if err != nil {
		t.Fatal(err)
	}
	return listed{ids(page.Keys), page.Total}
}

// scanPage is searchPage found by matching every key with LIKE, sorted
// all together.
func scanPage(t *testing.T, db *DB, accounts []string, term, order string, n int) listed {
	t.Helper()
	q := keyQuery{KeyQuery: apikey.KeyQuery{AccountIDs: accounts, Search: term, Sort: order, Now: db.now()},
		search: keySearch{cond: `search_fold LIKE ? ESCAPE '\'`, args: []any{likeContains(term)}}}
	page, err := db.listTogether(context.Background(), q, apikey.KeyPage{PerPage: 20}, (n-1)*20)
	if err != nil {
		t.Fatal(err)
	}
	return listed{keys: ids(page.Keys)}
}
