package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// openTest opens a fresh database of the engine the environment chooses,
// with a settable clock.
func openTest(t *testing.T) (*DB, *time.Time) {
	t.Helper()
	return openAt(t, storetest.DSN(t))
}

// openAt opens the database at dsn for the test, its clock set to a fixed
// moment that the returned pointer moves.
func openAt(t *testing.T, dsn string) (*DB, *time.Time) {
	t.Helper()
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return now }
	return db, &now
}

func root(t *testing.T, db *DB) string {
	t.Helper()
	a, err := db.RootAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// newAccounts adds accounts below the root and returns their ids.
func newAccounts(t *testing.T, db *DB, names ...string) []string {
	t.Helper()
	var ids []string
	for _, n := range names {
		a := &apikey.Account{ParentID: root(t, db), Name: n}
		if err := db.CreateAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

func newKey(t *testing.T, db *DB, account, name string, mutate ...func(*apikey.Key)) *apikey.Key {
	t.Helper()
	secret, err := apikey.GenerateSecret(apikey.TypeGeneral)
	if err != nil {
		t.Fatal(err)
	}
	k := &apikey.Key{AccountID: account, Settings: apikey.Settings{Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true},
		SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret), CreatedBy: "admin"}
	for _, m := range mutate {
		m(k)
	}
	if err := db.CreateKey(context.Background(), k, nil); err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return k
}

func TestMigrationsRecordedAndIdempotent(t *testing.T) {
	ctx := context.Background()
	path := storetest.DSN(t)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	names, err := db.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || !strings.HasPrefix(names[0], "0001_") {
		t.Fatalf("applied %v", names)
	}
	db.Close()
	// Reopening applies nothing twice and keeps exactly one root account.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	again, _ := db.AppliedMigrations(ctx)
	if !slices.Equal(names, again) {
		t.Fatalf("migrations changed on reopen: %v -> %v", names, again)
	}
	accounts, err := db.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || accounts[0].ParentID != "" || accounts[0].Name != RootAccountName {
		t.Fatalf("accounts %+v", accounts)
	}
}

func TestPragmas(t *testing.T) {
	db, err := Open(context.Background(), storetest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var fk, busy int
	if err := db.writer.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v", mode, err)
	}
	if err := db.reader.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d %v", fk, err)
	}
	if err := db.reader.db.QueryRow(`PRAGMA busy_timeout`).Scan(&busy); err != nil || busy != 5000 {
		t.Fatalf("busy_timeout %d %v", busy, err)
	}
	if _, err := db.reader.db.Exec(`DELETE FROM accounts`); err == nil {
		t.Fatal("read pool accepted a write")
	}
}

func TestKeyRoundTrip(t *testing.T) {
	db, now := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	exp := now.Add(90 * 24 * time.Hour)
	scope := newAccounts(t, db, "A", "B")
	slices.Sort(scope) // scopes read back in id order
	k := newKey(t, db, acc, "Billing service", func(k *apikey.Key) {
		k.Type = apikey.TypeChrome
		k.AllowUnauthenticated, k.AutoEndpointTrust = true, true
		k.AdvancedPermissions = []string{apikey.AdvancedVerify}
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: scope}, {Role: apikey.RoleSupport}}
		k.ExpiresAt = &exp
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0 255.0.0.0"}, {Prefix: netip.MustParsePrefix("2001:db8::/32"), Source: "2001:db8::/32"}}
		k.ResponseHeaders = []apikey.Header{{Name: "X-Key", Value: "${key.name}"}, {Name: "X-Hidden", Value: "1", Excluded: true}}
	})
	got, err := db.Key(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Billing service" || got.Type != apikey.TypeChrome || !got.AllowUnauthenticated || got.AllowUntrustedEndpoints || !got.AutoEndpointTrust {
		t.Fatalf("fields %+v", got)
	}
	if got.Version != 1 || !got.CreatedAt.Equal(*now) || got.CreatedBy != "admin" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("meta %+v", got)
	}
	if len(got.Roles) != 2 || got.Roles[0].Role != apikey.RoleAccountViewer || !slices.Equal(got.Roles[0].Accounts, scope) ||
		got.Roles[1].Role != apikey.RoleSupport || !got.Roles[1].AllowsAllAccounts() {
		t.Fatalf("roles %+v", got.Roles)
	}
	if len(got.AllowedIPs) != 2 || got.AllowedIPs[0].Source != "10.0.0.0 255.0.0.0" || got.AllowedIPs[1].Prefix.String() != "2001:db8::/32" {
		t.Fatalf("ips %+v", got.AllowedIPs)
	}
	if len(got.ResponseHeaders) != 2 || !got.ResponseHeaders[1].Excluded || got.ResponseHeaders[0].Value != "${key.name}" {
		t.Fatalf("headers %+v", got.ResponseHeaders)
	}
	if !slices.Equal(got.AdvancedPermissions, []string{"verify"}) {
		t.Fatalf("permissions %v", got.AdvancedPermissions)
	}
	byHash, err := db.KeyByHash(ctx, k.SecretHash)
	if err != nil || byHash.ID != k.ID {
		t.Fatalf("by hash: %v %v", byHash, err)
	}
	if _, err := db.KeyByHash(ctx, apikey.HashSecret("nope")); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("unknown hash: %v", err)
	}
}

// A page reads every key's lists (roles, permissions, allowed IPs,
// headers) whole and in their order, as verification's one-statement load
// reads them, each key's own and none of another's.
func TestKeyListsOfAPage(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	scope := newAccounts(t, db, "A", "B", "C")
	keys := []*apikey.Key{
		newKey(t, db, acc, "a bare"),
		newKey(t, db, acc, "b full", func(k *apikey.Key) {
			k.AdvancedPermissions = []string{apikey.AdvancedVerify}
			k.Roles = []apikey.RoleGrant{{Role: apikey.RoleSupport}, {Role: apikey.RoleAccountViewer, Accounts: scope}}
			k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("192.168.0.0/16"), Source: "192.168.0.0/16"}, {Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}}
			k.ResponseHeaders = []apikey.Header{{Name: "X-Zulu", Value: "z"}, {Name: "X-Alpha", Value: "a", Excluded: true}, {Name: "X-Mike", Value: "m"}}
		}),
		newKey(t, db, acc, "c headers only", func(k *apikey.Key) {
			k.ResponseHeaders = []apikey.Header{{Name: "X-Only", Value: "1"}}
		}),
		newKey(t, db, acc, "d roles only", func(k *apikey.Key) {
			k.Roles = []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: scope[1:]}}
		}),
	}
	page, err := db.ListKeys(ctx, apikey.KeyQuery{AccountIDs: []string{acc}, PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != len(keys) {
		t.Fatalf("%d keys listed, want %d", len(page.Keys), len(keys))
	}
	for i, got := range page.Keys {
		whole, err := db.KeyByHash(ctx, keys[i].SecretHash)
		if err != nil {
			t.Fatal(err)
		}
		lists := func(k *apikey.Key) string {
			return fmt.Sprintf("roles %v; permissions %v; IPs %v; headers %v", k.Roles, k.AdvancedPermissions, k.AllowedIPs, k.ResponseHeaders)
		}
		if got.ID != keys[i].ID || lists(got) != lists(whole) {
			t.Errorf("%s listed:\n %s\nverification reads:\n %s", keys[i].Name, lists(got), lists(whole))
		}
	}
	if h := page.Keys[1].ResponseHeaders; len(h) != 3 || h[0].Name != "X-Zulu" || !h[1].Excluded || h[2].Name != "X-Mike" {
		t.Errorf("headers out of their order: %v", h)
	}
}

func TestNameUniquePerAccountIgnoringCase(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	newKey(t, db, acc, "Gateway")
	dup := &apikey.Key{AccountID: acc, Settings: apikey.Settings{Name: "gateway", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated},
		SecretHash: apikey.HashSecret("other"), DisplayPrefix: "x", CreatedBy: "admin"}
	err := db.CreateKey(ctx, dup, nil)
	if apikey.ErrorCode(err) != apikey.ECONFLICT || dup.ID != "" {
		t.Fatalf("duplicate name: %v", err)
	}
	// Nothing half-written: the failed insert left no children behind either.
	var n int
	db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d keys stored", n)
	}
	// The same name in another account is fine.
	other := &apikey.Account{ParentID: acc, Name: "Customer"}
	if err := db.CreateAccount(ctx, other); err != nil {
		t.Fatal(err)
	}
	newKey(t, db, other.ID, "Gateway")
	// A key in a missing account is refused by the foreign key.
	missing := &apikey.Key{AccountID: "acc_missing", Settings: apikey.Settings{Name: "x", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated},
		SecretHash: apikey.HashSecret("y"), DisplayPrefix: "y", CreatedBy: "admin"}
	if err := db.CreateKey(ctx, missing, nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("missing account: %v", err)
	}
}

func TestSecretHashUnique(t *testing.T) {
	db, _ := openTest(t)
	acc := root(t, db)
	a := newKey(t, db, acc, "A")
	b := &apikey.Key{AccountID: acc, Settings: apikey.Settings{Name: "B", Type: apikey.TypeGeneral, AccessType: apikey.AccessCustom},
		SecretHash: a.SecretHash, DisplayPrefix: "x", CreatedBy: "admin"}
	if err := db.CreateKey(context.Background(), b, nil); apikey.ErrorCode(err) != apikey.EINVALID || apikey.ErrorField(err) != "custom_value" {
		t.Fatalf("same secret twice: %v", err)
	}
}

func TestUpdateVersionConflict(t *testing.T) {
	db, now := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "Terminal", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer}}
	})

	// Two people open version 1; Alice saves first.
	alice, _ := db.Key(ctx, k.ID)
	bob, _ := db.Key(ctx, k.ID)
	*now = now.Add(time.Hour)
	alice.Active = false
	alice.UpdatedBy = "alice"
	alice.Roles = []apikey.RoleGrant{{Role: apikey.RoleSupport}}
	if err := db.UpdateKey(ctx, alice, nil); err != nil {
		t.Fatal(err)
	}
	if alice.Version != 2 {
		t.Fatalf("version after save %d", alice.Version)
	}

	bob.UpdatedBy = "bob"
	bob.AllowUnauthenticated = true
	err := db.UpdateKey(ctx, bob, nil)
	var stale *apikey.StaleError
	if !asStale(err, &stale) || stale.UpdatedBy != "alice" || stale.Version != 2 || !stale.UpdatedAt.Equal(*now) {
		t.Fatalf("stale save: %v", err)
	}
	if apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("code %q", apikey.ErrorCode(err))
	}
	got, _ := db.Key(ctx, k.ID)
	if got.Active || got.AllowUnauthenticated || got.Version != 2 || len(got.Roles) != 1 || got.Roles[0].Role != apikey.RoleSupport {
		t.Fatalf("stored after conflict %+v", got)
	}

	gone := *got
	gone.ID = "key_missing"
	if err := db.UpdateKey(ctx, &gone, nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("missing key: %v", err)
	}
	// An update names the account; a key of another account is not found.
	elsewhere := *got
	elsewhere.AccountID = "acc_other"
	if err := db.UpdateKey(ctx, &elsewhere, nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("update through another account: %v", err)
	}
	if err := db.SetKeyActive(ctx, &elsewhere, true, "x", nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("status through another account: %v", err)
	}
}

func TestDeleteScopedToAccount(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	k := newKey(t, db, acc, "Old", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("1.2.3.4/32"), Source: "1.2.3.4"}}
	})
	wrong := *k
	wrong.AccountID = "acc_other"
	if err := db.DeleteKey(ctx, &wrong, nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("delete from wrong account: %v", err)
	}
	if err := db.DeleteKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Key(ctx, k.ID); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	for _, table := range childTables {
		var n int
		db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
		if n != 0 {
			t.Errorf("%s keeps %d rows", table, n)
		}
	}
}

func TestListKeys(t *testing.T) {
	db, now := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	past, soon := now.Add(-time.Hour), now.Add(10*24*time.Hour)
	newKey(t, db, acc, "alpha")
	*now = now.Add(time.Minute)
	newKey(t, db, acc, "Beta_1", func(k *apikey.Key) { k.Type = apikey.TypeChrome; k.ExpiresAt = &soon })
	*now = now.Add(time.Minute)
	newKey(t, db, acc, "gamma", func(k *apikey.Key) { k.Active = false })
	*now = now.Add(time.Minute)
	newKey(t, db, acc, "delta", func(k *apikey.Key) { k.ExpiresAt = &past })
	other := &apikey.Account{ParentID: acc, Name: "Other"}
	db.CreateAccount(ctx, other)
	newKey(t, db, other.ID, "elsewhere")

	names := func(q apikey.KeyQuery) []string {
		t.Helper()
		q.Now = *now
		if q.AccountIDs == nil {
			q.AccountIDs = []string{acc}
		}
		p, err := db.ListKeys(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range p.Keys {
			out = append(out, k.Name)
		}
		return out
	}
	cases := []struct {
		q    apikey.KeyQuery
		want []string
	}{
		{apikey.KeyQuery{}, []string{"alpha", "Beta_1", "delta", "gamma"}},
		{apikey.KeyQuery{Sort: "-name"}, []string{"gamma", "delta", "Beta_1", "alpha"}},
		{apikey.KeyQuery{Sort: apikey.SortByCreated}, []string{"alpha", "Beta_1", "gamma", "delta"}},
		{apikey.KeyQuery{Sort: apikey.SortByExpires}, []string{"delta", "Beta_1", "alpha", "gamma"}},
		{apikey.KeyQuery{Sort: "-" + apikey.SortByExpires}, []string{"Beta_1", "delta", "gamma", "alpha"}}, // never-expiring keys stay last; ties go the same way
		{apikey.KeyQuery{PerPage: 3, Page: 9}, nil},
		{apikey.KeyQuery{Search: "BETA"}, []string{"Beta_1"}},
		{apikey.KeyQuery{Search: "a_"}, []string{"Beta_1"}}, // LIKE wildcards are literal
		{apikey.KeyQuery{Search: "%"}, nil},
		{apikey.KeyQuery{Search: "KC_G_"}, []string{"alpha", "Beta_1", "delta", "gamma"}}, // display prefix
		{apikey.KeyQuery{Type: apikey.TypeChrome}, []string{"Beta_1"}},
		{apikey.KeyQuery{Status: apikey.StatusActive}, []string{"alpha", "Beta_1"}},
		{apikey.KeyQuery{Status: apikey.StatusInactive}, []string{"gamma"}},
		{apikey.KeyQuery{Status: apikey.StatusExpired}, []string{"delta"}},
		{apikey.KeyQuery{AccountIDs: []string{acc, other.ID}}, []string{"alpha", "Beta_1", "delta", "elsewhere", "gamma"}},
		{apikey.KeyQuery{AccountIDs: []string{other.ID}, Search: "lsewher"}, []string{"elsewhere"}},
		{apikey.KeyQuery{PerPage: 3, Page: 2}, []string{"gamma"}},
		{apikey.KeyQuery{AccountIDs: []string{}}, nil},
	}
	for _, c := range cases {
		if got := names(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
		}
	}
	p, _ := db.ListKeys(ctx, apikey.KeyQuery{AccountIDs: []string{acc}, PerPage: 3, Now: *now})
	if p.Total != 4 || p.Pages() != 2 {
		t.Fatalf("total %d pages %d", p.Total, p.Pages())
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, storetest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	newKey(t, db, root(t, db), "kept")
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, path); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %o", fi.Mode().Perm())
	}
	copyDB, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	p, err := copyDB.ListKeys(ctx, apikey.KeyQuery{AccountIDs: []string{root(t, copyDB)}, Now: time.Now()})
	if err != nil || p.Total != 1 || p.Keys[0].Name != "kept" {
		t.Fatalf("backup holds %+v %v", p, err)
	}
}

func asStale(err error, target **apikey.StaleError) bool { return errors.As(err, target) }

func TestPathWithURIMetacharactersRefused(t *testing.T) {
	for _, name := range []string{"k#1.db", "we?ird.db"} {
		if _, err := Open(context.Background(), filepath.Join(t.TempDir(), name)); err == nil {
			t.Errorf("%s opened", name)
		}
	}
}

// TestConcurrentRegenerateFailsSecond: of two regenerates that read the
// same secret, the second is refused rather than overwriting the first
// (whose caller would hold a secret that never works).
func TestConcurrentRegenerateFailsSecond(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "raced")
	stale := *k
	if err := db.ReplaceSecret(ctx, k, apikey.HashSecret("first"), "kc_g_1", apikey.AccessGenerated, nil, "a", nil); err != nil {
		t.Fatal(err)
	}
	err := db.ReplaceSecret(ctx, &stale, apikey.HashSecret("second"), "kc_g_2", apikey.AccessGenerated, nil, "b", nil)
	if apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("second regenerate: %v", err)
	}
	if got, _ := db.Key(ctx, k.ID); got.SecretHash != apikey.HashSecret("first") {
		t.Fatal("the second regenerate overwrote the first")
	}
	if err := db.ReplaceSecret(ctx, &apikey.Key{ID: "key_gone", AccountID: k.AccountID}, "h", "p", apikey.AccessGenerated, nil, "c", nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("missing key: %v", err)
	}
}

// A regenerate judged on one version of a key is refused once the key has
// changed: support, allowed to regenerate a weak Chrome key, must not get
// the secret of a key an admin has just given more roles.
func TestRegenerateRefusedAfterAChange(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "judged")
	judged := *k
	k.Roles = []apikey.RoleGrant{{Role: apikey.RoleGlobalAdmin}}
	if err := db.UpdateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	err := db.ReplaceSecret(ctx, &judged, apikey.HashSecret("new"), "kc_g_n", apikey.AccessGenerated, nil, "support", nil)
	if apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("regenerate after a change: %v", err)
	}
	if err := db.EndGracePeriod(ctx, &judged, "support", nil); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Fatalf("end grace after a change: %v", err)
	}
	// Switching to the state a key is in writes nothing.
	before, _ := db.Key(ctx, k.ID)
	if err := db.SetKeyActive(ctx, before, before.Active, "x", apikey.NewAuditEvent(apikey.SystemPrincipal("x"), "", apikey.ActionKeyActivated)); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Key(ctx, k.ID)
	events, _ := db.KeyAudit(ctx, k.ID, 10)
	if after.Version != before.Version || len(events) != 0 {
		t.Fatalf("a no-op switch wrote: version %d -> %d, %d events", before.Version, after.Version, len(events))
	}
}

// A connection string meant for a server is never taken for a file name
// (which would quietly create an empty SQLite database), and the refusal
// does not repeat the password.
func TestConnectionStringsAreNotFiles(t *testing.T) {
	for _, dsn := range []string{
		"host=db.internal user=kc password=hunter2 dbname=kc",
		"mysql://kc:hunter2@db/kc",
	} {
		_, err := Open(context.Background(), dsn)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: %v", dsn, err)
		}
		if _, err := os.Stat(dsn); err == nil {
			os.RemoveAll(dsn)
			t.Errorf("%q was made as a file", dsn)
		}
	}
	if !IsPostgresURL("Postgres://x") || !IsPostgresURL("postgresql://x") || IsPostgresURL("data/k.db") {
		t.Error("the scheme is read without regard to case")
	}
	// A server that does not answer: the refusal hides the password.
	_, err := Open(context.Background(), "Postgres://kc:hunter2@127.0.0.1:1/kc?sslmode=disable&connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unreachable server: %v", err)
	}
}

// Pages merged from an account's own keys and those inherited from above
// are the pages one query sorting them all would give, in every order,
// on every page.
func TestListMergesInheritedKeysInOrder(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	top := root(t, db)
	child := &apikey.Account{ParentID: top, Name: "Child"}
	if err := db.CreateAccount(ctx, child); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 9))
	var keys []*apikey.Key
	loadKeys(t, db, 130, func(i int) *apikey.Key {
		account := child.ID
		if i%9 == 0 {
			account = top
		}
		created := now.Add(-time.Duration(rng.IntN(1000)) * time.Hour)
		k := bulkKey(fmt.Sprintf("key_m_%03d", i), account, fmt.Sprintf("%c key %03d", 'a'+rng.IntN(26), i), created)
		if rng.IntN(3) > 0 {
			at := now.Add(time.Duration(rng.IntN(100)) * time.Hour)
			k.ExpiresAt = &at
		}
		if rng.IntN(2) > 0 {
			at := now.Add(-time.Duration(rng.IntN(100)) * time.Hour)
			k.LastUsedAt = &at
		}
		k.Active = i%5 > 0
		keys = append(keys, k)
		return k
	})
	// Settled as a seeded database is: on PostgreSQL the pages' ids then
	// come from index-only scans.
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"name", "-name", apikey.SortByCreated, "-" + apikey.SortByCreated, apikey.SortByExpires,
		"-" + apikey.SortByExpires, apikey.SortByLastUsed, "-" + apikey.SortByLastUsed} {
		for _, status := range []apikey.Status{"", apikey.StatusActive} {
			total := 0 // active: on, and not expired
			for _, k := range keys {
				if status == "" || k.Active && (k.ExpiresAt == nil || k.ExpiresAt.After(*now)) {
					total++
				}
			}
			for pageNo := 1; pageNo <= 8; pageNo++ {
				q := apikey.KeyQuery{AccountIDs: []string{child.ID, top}, Sort: order, Status: status, Page: pageNo, PerPage: 20, Now: *now}
				got, want := pageAndTruth(t, db, q)
				if ids(got.Keys) != ids(want.Keys) {
					t.Fatalf("%s %s page %d:\n got %s\nwant %s", order, status, pageNo, ids(got.Keys), ids(want.Keys))
				}
				// Many keys above: each account read along its index, merged.
				merged, err := db.listMerged(ctx, keyQuery{KeyQuery: q}, apikey.KeyPage{PerPage: 20}, (pageNo-1)*20)
				if err != nil || ids(merged.Keys) != ids(want.Keys) || merged.Total != total {
					t.Fatalf("%s %s page %d merged: %d %s %v\nwant %s", order, status, pageNo, merged.Total, ids(merged.Keys), err, ids(want.Keys))
				}
				if got.Total != total {
					t.Fatalf("%s %s: total %d, want %d", order, status, got.Total, total)
				}
			}
		}
	}
}

// An account below a chain deeper than a merged page reads apart has its
// keys sorted together: SQLite refuses a compound SELECT of over 500 terms.
func TestDeepChainOfAccountsListsItsKeys(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	var bulk Bulk
	chain := accountChain(&bulk, root(t, db), "acc_chain", 510, 1, *now)
	parent := chain[len(chain)-1]
	for i := range maxInherited + 1 {
		bulk.Keys = append(bulk.Keys, bulkKey(fmt.Sprintf("key_top_%03d", i), chain[0], fmt.Sprintf("top %03d", i), *now))
	}
	bulk.Keys = append(bulk.Keys, bulkKey("key_bottom", parent, "bottom", *now))
	if err := db.BulkLoad(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(chain)
	got, want := pageAndTruth(t, db, apikey.KeyQuery{AccountIDs: chain, Page: 2, PerPage: 50, Now: *now})
	if ids(got.Keys) != ids(want.Keys) || len(got.Keys) != 50 || got.Total != maxInherited+2 {
		t.Errorf("total %d, page 2:\n got %s\nwant %s", got.Total, ids(got.Keys), ids(want.Keys))
	}
}

// accountChain adds n accounts named prefix_NNNN to bulk below parent,
// every every-th of them below the one before: the chain, parent first.
func accountChain(bulk *Bulk, parent, prefix string, n, every int, at time.Time) []string {
	chain := []string{parent}
	for i := range n {
		id := fmt.Sprintf("%s_%04d", prefix, i)
		bulk.Accounts = append(bulk.Accounts, apikey.Account{ID: id, ParentID: chain[len(chain)-1], Name: id, CreatedAt: at})
		if i%every == 0 {
			chain = append(chain, id)
		}
	}
	return chain
}

// pageAndTruth lists the page q asks for, and the same page read by one
// query sorting every key of its accounts together.
func pageAndTruth(t *testing.T, db *DB, q apikey.KeyQuery) (got, want apikey.KeyPage) {
	t.Helper()
	got, err := db.ListKeys(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	want, err = db.listTogether(context.Background(), keyQuery{KeyQuery: q}, apikey.KeyPage{PerPage: q.PerPage}, (q.Page-1)*q.PerPage)
	if err != nil {
		t.Fatal(err)
	}
	return got, want
}

// bulkKey is an active general key made at at, for BulkLoad: a test sets
// whatever else it needs on it.
func bulkKey(id, account, name string, at time.Time) *apikey.Key {
	return &apikey.Key{ID: id, AccountID: account, SecretHash: "h_" + id, DisplayPrefix: "kc_g_x",
		CreatedAt: at, UpdatedAt: at, CreatedBy: "t", UpdatedBy: "t", Version: 1,
		Settings: apikey.Settings{Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
}

// loadKeys bulk-loads n keys, each made by key (from bulkKey, as the test
// wants it).
func loadKeys(t *testing.T, db *DB, n int, key func(i int) *apikey.Key) {
	t.Helper()
	var bulk Bulk
	for i := range n {
		bulk.Keys = append(bulk.Keys, key(i))
	}
	if err := db.BulkLoad(context.Background(), bulk); err != nil {
		t.Fatal(err)
	}
}

func ids(keys []*apikey.Key) string {
	var out []string
	for _, k := range keys {
		out = append(out, k.ID)
	}
	return strings.Join(out, " ")
}

// The audit trail is counted up to one past the cap: a page says "more
// than" instead of scanning a year of events.
func TestAuditCountStopsPastTheCap(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	var events []apikey.AuditEvent
	for i := range apikey.AuditCountCap + 5 {
		events = append(events, apikey.AuditEvent{ID: fmt.Sprintf("evt_%05d", i), At: now.Add(time.Duration(i) * time.Second),
			ActorKind: apikey.PrincipalUser, ActorName: "a", AccountID: "acc_a", TargetID: "key_a", TargetName: "k", Action: apikey.ActionKeyUpdated})
	}
	if err := db.BulkLoad(ctx, Bulk{Events: events}); err != nil {
		t.Fatal(err)
	}
	page, total, err := db.ListAudit(ctx, apikey.AuditQuery{Accounts: []string{"acc_a"}, Page: 2, PerPage: 50})
	if err != nil || total != apikey.AuditCountCap+1 || len(page) != 50 || page[0].ID != fmt.Sprintf("evt_%05d", apikey.AuditCountCap+4-50) {
		t.Fatalf("total %d, %d events, first %v: %v", total, len(page), page[0].ID, err)
	}
}

// The export reads the trail a batch at a time, each batch starting after
// the last one's final event: every event once, newest first, even where
// many share one moment.
func TestEachAuditReadsEveryEventOnceInBatches(t *testing.T) {
	db, now := openTest(t)
	ctx := context.Background()
	defer func(n int) { auditBatch = n }(auditBatch)
	auditBatch = 7
	var events []apikey.AuditEvent
	for i := range 60 {
		account := "acc_a"
		if i%5 == 0 {
			account = "acc_b"
		}
		// Three events a second: batches end in the middle of a moment.
		events = append(events, apikey.AuditEvent{ID: fmt.Sprintf("evt_%05d", i), At: now.Add(time.Duration(i/3) * time.Second),
			ActorKind: apikey.PrincipalUser, ActorName: "a", AccountID: account, TargetID: "key_a", TargetName: "k", Action: apikey.ActionKeyUpdated})
	}
	if err := db.BulkLoad(ctx, Bulk{Events: events}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []apikey.AuditQuery{{}, {Accounts: []string{"acc_a"}}} {
		want, _, err := db.ListAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []apikey.AuditEvent
		if err := db.EachAudit(ctx, q, func(ev apikey.AuditEvent) error { got = append(got, ev); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(want) < 48 {
			t.Fatalf("%v: %d events exported, %d listed", q.Accounts, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID {
				t.Fatalf("%v: event %d is %s, want %s", q.Accounts, i, got[i].ID, want[i].ID)
			}
		}
	}
}

// Past the count's cap a page says "more than" the cap, or more than its
// own end where it sees keys follow it (a page past the cap would
// otherwise read "2,451–2,500 of more than 1,000"), and the last page,
// having seen every key, says how many exactly; each shows the keys it
// would show sorted with the rest.
func TestKeyPagesAroundTheCountCap(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	account := newAccounts(t, db, "Big")[0]
	const n = countCap + 60
	loadKeys(t, db, n, func(i int) *apikey.Key {
		k := bulkKey(fmt.Sprintf("key_c_%05d", i), account, fmt.Sprintf("key %05d", n-i), *now)
		k.Active = i%7 > 0
		return k
	})
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	type total struct {
		n        int
		moreThan bool
	}
	check := func(what string, q apikey.KeyQuery, want total) {
		t.Helper()
		got, truth := pageAndTruth(t, db, q)
		if ids(got.Keys) != ids(truth.Keys) || len(got.Keys) != len(truth.Keys) {
			t.Errorf("%s page %d:\n got %s\nwant %s", what, q.Page, ids(got.Keys), ids(truth.Keys))
		}
		if got.Total != want.n || got.MoreThan != want.moreThan || got.Own != want.n || got.OwnMoreThan != want.moreThan {
			t.Errorf("%s page %d: total %d (more than: %v), own %d (%v); want %d (more than: %v)",
				what, q.Page, got.Total, got.MoreThan, got.Own, got.OwnMoreThan, want.n, want.moreThan)
		}
	}
	for pageNo, want := range map[int]total{
		1: {countCap, true}, 2: {countCap, true}, 199: {countCap, true}, 200: {countCap, true},
		201: {10_050, true},   // past the cap, keys seen to follow
		202: {n, false},       // the last page: every key seen
		203: {countCap, true}, // past the end: counted
	} {
		check("all", apikey.KeyQuery{AccountIDs: []string{account}, Page: pageNo, PerPage: 50, Now: *now}, want)
	}
	// An attention rule's list counts only as far as the panel that links
	// to it: the active keys, never used, are all "unused".
	unused := n - (n+6)/7
	for pageNo, want := range map[int]total{
		1: {apikey.AttentionCountCap, true}, 20: {apikey.AttentionCountCap, true},
		21: {1050, true}, 172: {8600, true}, 173: {unused, false},
	} {
		check("unused", apikey.KeyQuery{AccountIDs: []string{account}, Attention: apikey.AttentionUnused, Page: pageNo, PerPage: 50, Now: *now}, want)
	}
	// A filter that leaves fewer than the cap: exact on every page.
	active := unused
	for _, pageNo := range []int{1, 100, 173, 174} {
		q := apikey.KeyQuery{AccountIDs: []string{account}, Status: apikey.StatusActive, Page: pageNo, PerPage: 50, Now: *now}
		got, err := db.ListKeys(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != active || got.MoreThan || len(got.Keys) != min(50, max(0, active-(pageNo-1)*50)) {
			t.Errorf("active, page %d: total %d (more than: %v), %d keys; want %d in all", pageNo, got.Total, got.MoreThan, len(got.Keys), active)
		}
	}
}

// ownTotal takes a page's rows for the total only where they show it.
func TestOwnTotal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		got, want, from int
		n               int
		shown           bool
	}{
		{0, 50, 0, 0, true},                         // none at all
		{30, 50, 0, 30, true},                       // one short page
		{50, 50, 0, 50, true},                       // exactly one page
		{51, 50, 0, 0, false},                       // more than a page: count
		{20, 50, 100, 120, true},                    // the last page
		{0, 50, 100, 0, false},                      // past the end: how far, unknown
		{51, 50, countCap - 50, countCap + 1, true}, // runs past the cap
		{51, 50, countCap - 51, 0, false},           // reaches the cap: count
	} {
		n, shown := ownTotal(tc.got, tc.want, tc.from, countCap)
		if n != tc.n || shown != tc.shown {
			t.Errorf("ownTotal(%d, %d, %d) = %d, %v; want %d, %v", tc.got, tc.want, tc.from, n, shown, tc.n, tc.shown)
		}
	}
}

// A page past the last is empty, and says how many there are, without
// sorting the account's keys and the inherited ones together.
func TestKeyPagePastTheEnd(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	top := root(t, db)
	child := newAccounts(t, db, "Child")[0]
	newKey(t, db, top, "inherited")
	for i := range 3 {
		newKey(t, db, child, fmt.Sprintf("own %d", i))
	}
	page, err := db.ListKeys(context.Background(), apikey.KeyQuery{AccountIDs: []string{child, top}, Page: 3, PerPage: 2, Now: *now})
	if err != nil || len(page.Keys) != 0 || page.Total != 4 {
		t.Fatalf("past the end: %d keys, total %d, %v", len(page.Keys), page.Total, err)
	}
}

// An account's keys are counted up to one past the cap; its users and
// sub-accounts in full; accounts not asked about are not counted.
func TestAccountUsesCountsKeysUpToTheCap(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	ids := newAccounts(t, db, "Big", "Small")
	if err := db.CreateAccount(ctx, &apikey.Account{ParentID: ids[1], Name: "Below"}); err != nil {
		t.Fatal(err)
	}
	loadKeys(t, db, countCap+5, func(i int) *apikey.Key {
		return bulkKey(fmt.Sprintf("key_c_%05d", i), ids[0], fmt.Sprintf("k %05d", i), *now)
	})
	newKey(t, db, ids[1], "one")
	uses, err := db.AccountUses(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if uses[ids[0]].Keys != countCap+1 || uses[ids[1]].Keys != 1 || uses[ids[1]].Children != 1 || len(uses) != 2 {
		t.Fatalf("uses %+v", uses)
	}
}

// A key load may run while the database closes (verification's reads
// belong to no request, and outlive them): nothing races, and a load after
// the close fails.
func TestKeyLoadWhileClosing(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	loaded := make(chan error, 1)
	go func() {
		_, err := db.KeyByHash(context.Background(), "no such hash")
		loaded <- err
	}()
	time.Sleep(50 * time.Millisecond) // the load made (on a busy machine perhaps not), nothing ordering it before the close
	db.Close()
	if err := <-loaded; err == nil {
		t.Fatal("a load of a hash no key has found one")
	}
	if _, err := db.KeyByHash(context.Background(), "no such hash"); err == nil || apikey.ErrorCode(err) == apikey.ENOTFOUND {
		t.Fatalf("a load after the close: %v", err)
	}
}
