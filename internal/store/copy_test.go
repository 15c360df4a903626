package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// openCopySource opens a fresh SQLite database with a fixed clock.
func openCopySource(t *testing.T) *DB {
	t.Helper()
	db, _ := openAt(t, storetest.SQLiteDSN(t))
	return db
}

// openCopyTarget opens a fresh PostgreSQL schema; the test is skipped
// without a server.
func openCopyTarget(t *testing.T) *DB {
	t.Helper()
	db, _ := openAt(t, storetest.PostgresDSN(t))
	return db
}

// fillForCopy puts a row into every table of the data and returns the keys.
func fillForCopy(t *testing.T, db *DB) []*apikey.Key {
	t.Helper()
	ctx := context.Background()
	now := db.now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	account := func(parent, name string) string {
		t.Helper()
		a := &apikey.Account{ParentID: parent, Name: name}
		must(db.CreateAccountWithKeys(ctx, a, &apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorID: "usr_x", ActorName: "Admin", Action: apikey.ActionAccountCreated}, nil, nil))
		return a.ID
	}
	vendor := account(root(t, db), "Vendor")
	customer := account(vendor, "Kunde Ärzte")
	site := account(customer, "Site")
	// A child stored before its parent: the copy must still put parents first.
	early := account(root(t, db), "Early")
	late := account(root(t, db), "Late")
	must(db.MoveAccount(ctx, early, late, nil))

	expires := now.Add(90 * 24 * time.Hour)
	k1 := newKey(t, db, customer, "Zahlungs-Schlüssel", func(k *apikey.Key) {
		k.Roles = []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: []string{vendor, site}}, {Role: apikey.RoleGlobalViewer}}
		k.AdvancedPermissions = []string{string(apikey.ViewApiKey), string(apikey.ModifyApiKey)}
		k.AllowedIPs = []apikey.IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}, {Prefix: netip.MustParsePrefix("2001:db8::/32"), Source: "2001:db8::/32"}}
		k.ResponseHeaders = []apikey.Header{{Name: "X-Tenant", Value: "a\tb \"c\" \\ d, 'e'"}, {Name: "Server", Excluded: true}}
		k.ExpiresAt = &expires
		k.AllowUnauthenticated = false
	})
	k2 := newKey(t, db, site, "Gateway", func(k *apikey.Key) { k.Active = false })
	// A regenerated key with a grace period keeps its previous hash too.
	secret, _ := apikey.GenerateSecret(apikey.TypeGeneral)
	until := now.Add(24 * time.Hour)
	must(db.ReplaceSecret(ctx, k2, apikey.HashSecret(secret), apikey.DisplayPrefix(secret), apikey.AccessGenerated, &until, "admin",
		&apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorID: "usr_x", ActorName: "Admin", ClientIP: "10.1.2.3", Action: apikey.ActionKeyRegenerated}))

	viewer := &apikey.User{AccountID: vendor, Username: "vera", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", Role: apikey.RoleAccountViewer,
		RoleAccounts: []string{customer, site}, Active: true, CreatedBy: "admin"}
	must(db.CreateUser(ctx, viewer, &apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorID: "usr_x", ActorName: "Admin", Action: apikey.ActionUserCreated}))
	must(db.RecordSignIn(ctx, viewer.ID, now))
	must(db.CreateSession(ctx, "sessionhash", viewer.ID, now))
	must(db.RecordUsageBatch(ctx, apikey.UsageBatch{LastUses: []apikey.LastUse{{KeyID: k1.ID, At: now, From: "10.1.2.3"}},
		Counts:    []apikey.UsageCount{{KeyID: k1.ID, Day: "2026-03-01", Code: "VALID", Count: 7}, {KeyID: k1.ID, Day: "2026-03-01", Code: "EIPNOTALLOWED", Count: 2}},
		Addresses: []apikey.AddressUse{{KeyID: k1.ID, Day: "2026-03-01", Address: "10.1.2.3", Requests: 9, Refused: 2, LastSeen: now}}}))
	_, err := db.EnsureSigningKey(ctx, apikey.SigningKey{KID: "kid-1", PrivateKey: "c2VlZA==", CreatedAt: now})
	must(err)
	_, err = db.RegisterEndpoint(ctx, k1.ID, "device-1", "Vera's laptop", apikey.HashSecret("kce_device-1"), true, now)
	must(err)
	must(db.AddRefreshToken(ctx, apikey.RefreshToken{Hash: "refreshhash", UserID: viewer.ID, KeyID: k1.ID, EndpointID: "device-1", ChainID: "chain-1", ExpiresAt: now.Add(30 * 24 * time.Hour)}, "", now))
	// A JWT access key, deactivated: its JWT is on the revocation list.
	jwt := &apikey.KeyJWT{ID: "jti-1", SecretHash: apikey.HashSecret("eyJ.k3"), ExpiresAt: now.Add(365 * 24 * time.Hour)}
	k3 := newKey(t, db, site, "Offline", func(k *apikey.Key) {
		k.AccessType, k.SecretHash, k.DisplayPrefix, k.IssuedJWT = apikey.AccessJWT, jwt.SecretHash, "eyJ", jwt
	})
	must(db.SetKeyActive(ctx, k3, false, "admin", nil))
	// The audit chain checked once: its outcome is kept.
	_, err = db.VerifyAudit(ctx)
	must(err)
	return []*apikey.Key{k1, k2}
}

// tableRows reads every row of table as text, sorted; columns nil reads all.
func tableRows(t *testing.T, db *DB, table string, columns []string) []string {
	t.Helper()
	list := "*"
	if columns != nil {
		quoted := make([]string, len(columns))
		for i, c := range columns {
			quoted[i] = quoteIdent(c)
		}
		list = strings.Join(quoted, ", ")
	}
	rows, err := db.reader.QueryContext(context.Background(), `SELECT `+list+` FROM `+quoteIdent(table))
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	n := len(columns)
	if n == 0 {
		names, _ := rows.Columns()
		n = len(names)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fields := make([]string, n)
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				fields[i] = "NULL"
			case []byte:
				fields[i] = fmt.Sprintf("%q", x)
			default:
				fields[i] = fmt.Sprintf("%q", fmt.Sprint(x))
			}
		}
		out = append(out, strings.Join(fields, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// copiedTables lists the source's tables that are copied, with their columns.
func copiedTables(t *testing.T, db *DB) []sourceTable {
	t.Helper()
	tables, err := sqliteTables(context.Background(), db.reader)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(tables, func(t sourceTable) bool { return !copied(t.name) })
}

func dumpTarget(t *testing.T, db *DB, tables []sourceTable) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range tables {
		out[tb.name] = tableRows(t, db, tb.name, nil)
	}
	return out
}

func TestCopyIntoPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	to := openCopyTarget(t)
	from := openCopySource(t)
	keys := fillForCopy(t, from)

	var reported []string
	counts := map[string]int{}
	err := CopyInto(ctx, from, to, func(table string, n int) {
		reported = append(reported, table)
		counts[table] = n
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every table of the data is filled, copied and reported, in foreign-key order.
	if !slices.Equal(reported, copyOrder) {
		t.Fatalf("reported %v, want %v", reported, copyOrder)
	}
	// The audit chain comes along whole.
	if check, err := to.VerifyAudit(ctx); err != nil || check.Problem != "" || check.Entries == 0 {
		t.Fatalf("the copied chain: %+v, %v", check, err)
	}
	for _, tb := range copiedTables(t, from) {
		want := tableRows(t, from, tb.name, tb.columns)
		got := tableRows(t, to, tb.name, tb.columns)
		if len(want) == 0 {
			t.Errorf("%s: the fixture leaves it empty", tb.name)
		}
		if counts[tb.name] != len(want) {
			t.Errorf("%s: reported %d, holds %d", tb.name, counts[tb.name], len(want))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s differs:\nsource %q\ntarget %q", tb.name, want, got)
		}
	}
	// The store reads the same keys, and their hashes find them.
	for _, k := range keys {
		want, err := from.Key(ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := to.Key(ctx, k.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("key %s on the target:\n%+v %v\nwant %+v", k.ID, got, err, want)
		}
		for _, hash := range []string{want.SecretHash, want.PreviousSecretHash} {
			if hash == "" {
				continue
			}
			if byHash, err := to.KeyByHash(ctx, hash); err != nil || byHash.ID != k.ID {
				t.Errorf("KeyByHash on the target: %v %v", byHash, err)
			}
		}
	}
	wantRoot, _ := from.RootAccount(ctx)
	if gotRoot, err := to.RootAccount(ctx); err != nil || *gotRoot != *wantRoot {
		t.Errorf("root %+v %v, want %+v", gotRoot, err, wantRoot)
	}
}

// TestCopyIntoRefusesNonEmptyTarget: a target holding data is left as it was.
func TestCopyIntoRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	from := openCopySource(t)
	fillForCopy(t, from)
	tables := copiedTables(t, from)
	for name, fill := range map[string]func(*testing.T, *DB){
		"account": func(t *testing.T, db *DB) { newAccounts(t, db, "Existing") },
		"key":     func(t *testing.T, db *DB) { newKey(t, db, root(t, db), "Existing") },
		"user":    func(t *testing.T, db *DB) { newUser(t, db, "existing", apikey.RoleGlobalAdmin) },
		"audit event": func(t *testing.T, db *DB) {
			err := db.inTx(context.Background(), func(tx *txn) error {
				return db.insertAudit(context.Background(), tx, &apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorName: "x", Action: apikey.ActionKeyDeleted})
			})
			if err != nil {
				t.Fatal(err)
			}
		},
		"signing key": func(t *testing.T, db *DB) {
			if _, err := db.EnsureSigningKey(context.Background(), apikey.SigningKey{KID: "other", PrivateKey: "x", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			to := openCopyTarget(t)
			fill(t, to)
			before := dumpTarget(t, to, tables)
			err := CopyInto(context.Background(), from, to, func(string, int) { t.Error("reported a copy") })
			if err == nil || !strings.Contains(err.Error(), "not empty") {
				t.Fatalf("copy into a target with a %s: %v", name, err)
			}
			if after := dumpTarget(t, to, tables); !reflect.DeepEqual(after, before) {
				t.Errorf("the target changed:\n%v\n%v", before, after)
			}
		})
	}
}

// TestCopyIntoTakesTheSourceSchema: columns are read from the source, so
// one added later comes along; runtime state stays behind; a table the
// target lacks stops the copy.
func TestCopyIntoTakesTheSourceSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	from := openCopySource(t)
	keys := fillForCopy(t, from)
	exec := func(db *DB, query string) {
		t.Helper()
		if _, err := db.writer.db.ExecContext(ctx, query); err != nil {
			t.Fatal(err)
		}
	}
	exec(from, `ALTER TABLE api_keys ADD COLUMN note TEXT`)
	exec(from, `UPDATE api_keys SET note = 'kept' WHERE id = '`+keys[0].ID+`'`)
	exec(from, `INSERT INTO instances (id, name, started_at, seen_at, applied_seq, applied_at) VALUES ('i1', 'one', 'now', 'now', 0, 'now')`)

	missingColumn := openCopyTarget(t)
	if err := CopyInto(ctx, from, missingColumn, nil); err == nil || !strings.Contains(err.Error(), "api_keys.note") {
		t.Fatalf("target without the column: %v", err)
	}

	to := openCopyTarget(t)
	exec(to, `ALTER TABLE api_keys ADD COLUMN note TEXT`)
	if err := CopyInto(ctx, from, to, nil); err != nil {
		t.Fatal(err)
	}
	var note sql.NullString
	if err := to.reader.QueryRowContext(ctx, `SELECT note FROM api_keys WHERE id = ?`, keys[0].ID).Scan(&note); err != nil || note.String != "kept" {
		t.Fatalf("note %v %v", note, err)
	}

	exec(from, `CREATE TABLE extra_data (x TEXT)`)
	lacking := openCopyTarget(t)
	exec(lacking, `ALTER TABLE api_keys ADD COLUMN note TEXT`)
	if err := CopyInto(ctx, from, lacking, nil); err == nil || !strings.Contains(err.Error(), "no table extra_data") {
		t.Fatalf("table the target lacks: %v", err)
	}
}

func TestCopyIntoOnlySQLiteToPostgres(t *testing.T) {
	t.Parallel()
	a, b := openCopySource(t), openCopySource(t)
	if err := CopyInto(context.Background(), a, b, nil); err == nil {
		t.Fatal("copied SQLite into SQLite")
	}
}

func TestForeignKeyOrder(t *testing.T) {
	t.Parallel()
	tables := []sourceTable{
		{name: "zeta", refers: []string{"api_keys"}},
		{name: "refresh_tokens", refers: []string{"users", "api_keys"}},
		{name: "alpha", refers: []string{"zeta", "instances"}}, // instances is not copied
		{name: "users", refers: []string{"accounts"}},
		{name: "api_keys", refers: []string{"accounts"}},
		{name: "accounts"},
	}
	got, err := foreignKeyOrder(tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range got {
		names = append(names, tb.name)
	}
	if want := []string{"accounts", "api_keys", "users", "refresh_tokens", "zeta", "alpha"}; !slices.Equal(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
	if _, err := foreignKeyOrder([]sourceTable{{name: "a", refers: []string{"b"}}, {name: "b", refers: []string{"a"}}}); err == nil {
		t.Fatal("a cycle was ordered")
	}
}

func TestParentsFirst(t *testing.T) {
	t.Parallel()
	rows := [][]any{{"c", "b"}, {"d", "a"}, {"b", "a"}, {"a", nil}}
	got, err := parentsFirst(&sliceSource{rows: rows}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[any]bool{}
	for _, r := range got {
		if r[1] != nil && !seen[r[1]] {
			t.Fatalf("%v comes before its parent: %v", r, got)
		}
		seen[r[0]] = true
	}
	if len(got) != len(rows) {
		t.Fatalf("rows %v", got)
	}
	if _, err := parentsFirst(&sliceSource{rows: [][]any{{"a", "b"}, {"b", "a"}}}, 1, 0); err == nil {
		t.Fatal("a cycle was ordered")
	}
}
