package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

// Installations in several schemas of one database, migrating it for the
// first time at once, all make their search index: one of them makes the
// pg_trgm extension, and the others, whose SERIALIZABLE snapshots began
// before it did, take the one it made rather than failing on "already
// exists". A fresh database each round, as the extension is made once.
func TestFirstMigrationsInSeveralSchemasAtOnce(t *testing.T) {
	t.Parallel()
	base := storetest.PostgresURL()
	if base == "" {
		t.Skip("no PostgreSQL server: set " + storetest.EnvPostgres)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	for round := range 3 {
		name := "kc_ext_" + strings.ToLower(rand.Text()[:12])
		if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`) })
		u, _ := url.Parse(base)
		u.Path = "/" + name
		setup, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			schema := fmt.Sprintf("s%d", i)
			if _, err := setup.Exec(`CREATE SCHEMA ` + schema); err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			q.Set("search_path", schema)
			dsn := *u
			dsn.RawQuery = q.Encode()
			wg.Go(func() {
				db, err := store.Open(ctx, dsn.String())
				if err == nil {
					db.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		setup.Close()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, schema s%d: %v", round+1, i, err)
			}
		}
	}
}
