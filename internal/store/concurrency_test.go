package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store/storetest"
)

// race runs each fn at the same moment, as closely as goroutines allow,
// and returns their errors in order.
func race(fns ...func() error) []error {
	errs := make([]error, len(fns))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, fn := range fns {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

func TestEngineFromEnvironment(t *testing.T) {
	db, _ := openTest(t)
	if db.Engine() != storetest.Engine() {
		t.Fatalf("tests asked for %s, got %s", storetest.Engine(), db.Engine())
	}
}

// Two admins demoting each other at once: one demotion wins, the other is
// refused, and one active Global Admin remains, round after round.
func TestConcurrentDemotionsLeaveAnAdmin(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	alice := newUser(t, db, "alice", apikey.RoleGlobalAdmin)
	bob := newUser(t, db, "bob", apikey.RoleGlobalAdmin)
	for round := range 15 {
		for _, u := range []*apikey.User{alice, bob} {
			if err := db.SetUserRole(ctx, u.ID, apikey.RoleGlobalAdmin, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		demote := func(u *apikey.User) func() error {
			return func() error {
				if round%2 == 0 {
					return db.SetUserRole(ctx, u.ID, apikey.RoleGlobalViewer, nil, nil)
				}
				return db.SetUserActive(ctx, u.ID, false, nil)
			}
		}
		errs := race(demote(alice), demote(bob))
		refused := 0
		for _, err := range errs {
			switch apikey.ErrorCode(err) {
			case "":
			case apikey.ECONFLICT:
				refused++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d demotions refused, want 1 (%v)", round, refused, errs)
		}
		if n := activeAdmins(t, db); n != 1 {
			t.Fatalf("round %d: %d active admins left", round, n)
		}
		for _, u := range []*apikey.User{alice, bob} {
			if err := db.SetUserActive(ctx, u.ID, true, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func activeAdmins(t *testing.T, db *DB) int {
	t.Helper()
	users, err := db.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range users {
		if u.Active && u.Role == apikey.RoleGlobalAdmin {
			n++
		}
	}
	return n
}

// Two accounts of one name (in different case, beyond ASCII) created at
// once under one parent: one is stored, the other refused on its name.
func TestConcurrentSameNameAccounts(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	parent := root(t, db)
	for round := range 15 {
		names := []string{fmt.Sprintf("Ärzte %d", round), fmt.Sprintf("ärzte %d", round)}
		errs := race(
			func() error { return db.CreateAccount(ctx, &apikey.Account{ParentID: parent, Name: names[0]}) },
			func() error { return db.CreateAccount(ctx, &apikey.Account{ParentID: parent, Name: names[1]}) },
		)
		stored := 0
		for _, err := range errs {
			switch {
			case err == nil:
				stored++
			case apikey.ErrorCode(err) != apikey.ECONFLICT || apikey.ErrorField(err) != "name":
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if stored != 1 {
			t.Fatalf("round %d: %d of two same-named accounts stored", round, stored)
		}
	}
	accounts, err := db.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 16 {
		t.Fatalf("%d accounts, want the root and 15", len(accounts))
	}
}

// Several instances opening one empty database at once: migrations run
// once, and there is one root, one first user and one signing key.
func TestConcurrentFirstStart(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	ctx := context.Background()
	const instances = 3
	dbs := make([]*DB, instances)
	created := make([]bool, instances)
	kids := make([]string, instances)
	start := func(i int) func() error {
		return func() error {
			db, err := Open(ctx, dsn)
			if err != nil {
				return err
			}
			dbs[i] = db
			root, err := db.RootAccount(ctx)
			if err != nil {
				return err
			}
			u := &apikey.User{AccountID: root.ID, Username: "admin", PasswordHash: "$argon2id$x", Role: apikey.RoleGlobalAdmin, Active: true, CreatedBy: "bootstrap"}
			if created[i], err = db.CreateFirstUser(ctx, u, nil); err != nil {
				return err
			}
			keys, err := db.EnsureSigningKey(ctx, apikey.SigningKey{KID: fmt.Sprintf("kid%d", i), PrivateKey: "seed", CreatedAt: db.now()})
			if err != nil {
				return err
			}
			if len(keys) != 1 {
				return fmt.Errorf("instance %d sees %d signing keys", i, len(keys))
			}
			kids[i] = keys[0].KID
			return nil
		}
	}
	var fns []func() error
	for i := range instances {
		fns = append(fns, start(i))
	}
	errs := race(fns...)
	for i, err := range errs {
		if dbs[i] != nil {
			defer dbs[i].Close()
		}
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	made := 0
	for i := range instances {
		if created[i] {
			made++
		}
		if kids[i] != kids[0] {
			t.Errorf("instances sign with %v", kids)
		}
	}
	if made != 1 {
		t.Errorf("%d instances made the first user", made)
	}
	for table, want := range map[string]int{"accounts": 1, "users": 1, "signing_keys": 1} {
		if n := storetest.Count(t, dsn, table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
}

// An instance opening a new SQLite file while another is making its first
// table: the other commits while this one holds the shared lock it read the
// file with and waits to switch it to WAL, and SQLite answers that deadlock
// with SQLITE_BUSY at once, whatever the busy timeout. Opening tries again.
func TestOpenWhileAnotherMakesTheFile(t *testing.T) {
	t.Parallel()
	for round := range 3 {
		t.Run(fmt.Sprint(round), openWhileAnotherMakesTheFile)
	}
}

func openWhileAnotherMakesTheFile(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLiteDSN(t)
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE; CREATE TABLE made_first (x)"); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		db, err := Open(ctx, path)
		if err == nil {
			db.Close()
		}
		opened <- err
	}()
	// Open reads the file in a few milliseconds, then waits for the lock;
	// should it come later, it finds the file made and the test proves less.
	time.Sleep(100 * time.Millisecond)
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("open beside another instance making the file: %v", err)
	}
}

// Two instances flushing usage of one key at once lose no increment.
func TestConcurrentUsageMerges(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	ctx := context.Background()
	var dbs []*DB
	for range 2 {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	k := newKey(t, dbs[0], root(t, dbs[0]), "counted")
	const flushes = 20
	var fns []func() error
	for _, db := range dbs {
		fns = append(fns, func() error {
			for range flushes {
				if err := db.RecordUsage(ctx, nil, []apikey.UsageCount{{KeyID: k.ID, Day: "2026-03-01", Code: "VALID", Count: 3}}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, err := range race(fns...) {
		if err != nil {
			t.Fatal(err)
		}
	}
	counts, err := dbs[1].KeyUsage(ctx, k.ID, "2026-03-01")
	if err != nil || len(counts) != 1 || counts[0].Count != 2*flushes*3 {
		t.Fatalf("usage %+v %v, want one row of %d", counts, err, 2*flushes*3)
	}
}

// Many key changes at once all commit, each with its own number.
func TestConcurrentKeyChangesAllCommit(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	acc := root(t, db)
	var fns []func() error
	for i := range 12 {
		fns = append(fns, func() error {
			_, err := createKey(db, acc, fmt.Sprintf("burst %d", i))
			return err
		})
	}
	for i, err := range race(fns...) {
		if err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
	}
	changes, err := db.KeyChangesSince(ctx, 0, 100)
	if err != nil || len(changes) != 12 {
		t.Fatalf("%d changes recorded: %v", len(changes), err)
	}
}

func createKey(db *DB, account, name string) (*apikey.Key, error) {
	secret, err := apikey.GenerateSecret(apikey.TypeGeneral)
	if err != nil {
		return nil, err
	}
	k := &apikey.Key{AccountID: account, Settings: apikey.Settings{Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true},
		SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret), CreatedBy: "admin"}
	return k, db.CreateKey(context.Background(), k, nil)
}
