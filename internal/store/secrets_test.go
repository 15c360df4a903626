package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// customKey is a key named name whose secret hashes to hash.
func customKey(account, name, hash string) *apikey.Key {
	return &apikey.Key{AccountID: account, Settings: apikey.Settings{Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessCustom, Active: true},
		SecretHash: hash, DisplayPrefix: "…", CreatedBy: "admin"}
}

// A secret still in its grace period opens its own key only: no other key
// may take it as its secret, by create or by regenerate, until the grace
// period ends or the key is deleted.
func TestSecretUniqueAcrossGracePeriods(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	a := newKey(t, db, acc, "A")
	old := a.SecretHash
	until := now.Add(time.Hour)
	if err := db.ReplaceSecret(ctx, a, apikey.HashSecret("a's next"), "kc_g_n", apikey.AccessGenerated, &until, "admin", nil); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error) {
		t.Helper()
		if apikey.ErrorCode(err) != apikey.EINVALID || apikey.ErrorField(err) != "custom_value" {
			t.Fatalf("%s: %v, want a refusal beside custom_value", what, err)
		}
	}
	refused("create with a previous secret", db.CreateKey(ctx, customKey(acc, "B", old), nil))
	c := newKey(t, db, acc, "C")
	refused("regenerate to a previous secret", db.ReplaceSecret(ctx, c, old, "…", apikey.AccessCustom, nil, "admin", nil))
	if got, _ := db.KeyByHash(ctx, old); got == nil || got.ID != a.ID {
		t.Fatalf("the previous secret opens %v, want A", got)
	}
	a, _ = db.Key(ctx, a.ID)
	if err := db.EndGracePeriod(ctx, a, "admin", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateKey(ctx, customKey(acc, "B", old), nil); err != nil {
		t.Fatalf("after the grace period: %v", err)
	}
	// A deleted key's secrets are free again.
	b := customKey(acc, "D", apikey.HashSecret("d's"))
	if err := db.CreateKey(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteKey(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateKey(ctx, customKey(acc, "E", b.SecretHash), nil); err != nil {
		t.Fatalf("a deleted key's secret: %v", err)
	}
}

// A key created with another key's secret at the moment that key is
// regenerated with a grace period (its secret becoming the previous one)
// is refused whichever commits first: the database decides.
func TestConcurrentSecretClaimsRefused(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	until := now.Add(time.Hour)
	for round := range 10 {
		a := newKey(t, db, acc, fmt.Sprintf("A%d", round))
		errs := race(
			func() error {
				return db.ReplaceSecret(ctx, a, apikey.HashSecret(fmt.Sprint("next ", round)), "kc_g_n", apikey.AccessGenerated, &until, "admin", nil)
			},
			func() error { return db.CreateKey(ctx, customKey(acc, fmt.Sprintf("B%d", round), a.SecretHash), nil) },
		)
		if errs[0] != nil {
			t.Fatalf("round %d: regenerate: %v", round, errs[0])
		}
		if apikey.ErrorField(errs[1]) != "custom_value" {
			t.Fatalf("round %d: a key took another's secret: %v", round, errs[1])
		}
	}
}

// The upgrade records every key's secrets, ends the grace period of a
// previous secret that another key already has as its own, and keeps
// nothing of the start of a custom value.
func TestKeySecretsMigration(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	a, b := newKey(t, db, acc, "A"), newKey(t, db, acc, "B")
	c := customKey(acc, "Custom", apikey.HashSecret("custom"))
	if err := db.CreateKey(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	// The database as it was before: no table of secrets, a clash, the
	// start of a custom value shown.
	name := map[string]string{"sqlite": "0015_key_secrets.sql", "postgres": "0007_key_secrets.sql"}[db.e.name()]
	for _, q := range []string{`DROP TABLE api_key_secrets`, `DELETE FROM schema_migrations WHERE name = '` + name + `'`,
		`UPDATE api_keys SET previous_secret_hash = '` + b.SecretHash + `', previous_valid_until = '2099-01-01T00:00:00Z' WHERE id = '` + a.ID + `'`,
		`UPDATE api_keys SET display_prefix = 'custom-s', search_fold = 'custom' || chr(10) || 'custom-s' WHERE id = '` + c.ID + `'`} {
		if db.e.name() == "sqlite" {
			q = strings.ReplaceAll(q, "chr(10)", "char(10)")
		}
		if _, err := db.writer.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Key(ctx, a.ID); got.PreviousSecretHash != "" {
		t.Error("the clashing previous secret still opens A")
	}
	if got, _ := db.Key(ctx, c.ID); got.DisplayPrefix != "…" {
		t.Errorf("custom key shows %q", got.DisplayPrefix)
	}
	var fold string
	if err := db.writer.QueryRowContext(ctx, `SELECT search_fold FROM api_keys WHERE id = ?`, c.ID).Scan(&fold); err != nil || fold != "custom\n…" {
		t.Errorf("custom key searched as %q (%v)", fold, err)
	}
	var n int
	if err := db.writer.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_key_secrets`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d secrets recorded (%v), want 3", n, err)
	}
	refused := db.CreateKey(ctx, customKey(acc, "D", b.SecretHash), nil)
	if apikey.ErrorField(refused) != "custom_value" {
		t.Errorf("a recorded secret taken again: %v", refused)
	}
}
