package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"keyconsole/internal/store/storetest"
)

// Two instances started at once on one empty database both come up, with
// one root account, one admin (its password printed by one of them only)
// and one signing key, which both publish.
func TestTwoInstancesStartTogetherOnAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	secret := filepath.Join(t.TempDir(), "session.key")
	var wg sync.WaitGroup
	bases := make([]string, 2)
	logs := make([]string, 2)
	var mu sync.Mutex
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base, stderr := startServe(t, map[string]string{"KEYCONSOLE_DB": dsn, "KEYCONSOLE_SECRET_FILE": secret})
			mu.Lock()
			bases[i], logs[i] = base, stderr.String()
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	printed := 0
	for _, l := range logs {
		printed += strings.Count(l, "one-time password")
	}
	if printed != 1 {
		t.Errorf("the admin's password was printed %d times:\n%s", printed, strings.Join(logs, "\n"))
	}
	var kids []string
	for _, base := range bases {
		res, err := http.Get(base + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		err = json.NewDecoder(res.Body).Decode(&set)
		res.Body.Close()
		if err != nil || len(set.Keys) != 1 {
			t.Fatalf("jwks of %s: %+v %v", base, set, err)
		}
		kids = append(kids, set.Keys[0].Kid)
	}
	if kids[0] != kids[1] {
		t.Errorf("the instances publish different signing keys: %v", kids)
	}
	for table, want := range map[string]int{"accounts": 1, "users": 1, "signing_keys": 1} {
		if n := storetest.Count(t, dsn, table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
}
