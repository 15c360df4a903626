package instance

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

// cache records what the member asked of the verification cache.
type cache struct {
	mu        sync.Mutex
	forgotten []string
	resets    int
	instances int
}

func (c *cache) ForgetKey(id string) {
	c.mu.Lock()
	c.forgotten = append(c.forgotten, id)
	c.mu.Unlock()
}
func (c *cache) Reset()             { c.mu.Lock(); c.resets++; c.mu.Unlock() }
func (c *cache) SetInstances(n int) { c.mu.Lock(); c.instances = n; c.mu.Unlock() }

func (c *cache) forgot(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.forgotten, id)
}

func (c *cache) snapshot() (resets, instances int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resets, c.instances
}

// start opens the database at dsn as a new instance named name and runs it
// until the test ends.
func start(t *testing.T, dsn, name string) (*store.DB, *Member, *cache) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, c := run(t, db, name)
	return db, m, c
}

// run makes s's database an instance named name and runs it until the test
// ends (before s is closed).
func run(t *testing.T, s Store, name string) (*Member, *cache) {
	t.Helper()
	c := &cache{}
	m, err := Join(context.Background(), Config{Store: s, Cache: c, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s left with %v", name, err)
		}
	})
	return m, c
}

func addKey(t *testing.T, db *store.DB, name string) *apikey.Key {
	t.Helper()
	root, err := db.RootAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := apikey.GenerateSecret(apikey.TypeGeneral)
	k := &apikey.Key{AccountID: root.ID, Settings: apikey.Settings{Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true},
		SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret), CreatedBy: "test"}
	if err := db.CreateKey(context.Background(), k, nil); err != nil {
		t.Fatal(err)
	}
	return k
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A change committed through one instance reaches the other's cache, and
// both count two instances for the rate limit; the change is then shown
// as applied on both.
func TestChangeReachesTheOtherInstance(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	dbA, memberA, _ := start(t, dsn, "a")
	dbB, _, cacheB := start(t, dsn, "b")
	ctx := context.Background()
	k := addKey(t, dbA, "shared")
	// On PostgreSQL the database wakes B at commit, well before its
	// fallback poll; on SQLite the poll is the only way.
	within := 3 * pollListening
	if dbA.Engine() == "postgres" {
		within = pollListening / 2
	}
	eventually(t, within, "B forgets the key A created", func() bool { return cacheB.forgot(k.ID) })
	eventually(t, 3*Heartbeat, "B counts two instances", func() bool { _, n := cacheB.snapshot(); return n == 2 })

	cacheB.mu.Lock()
	cacheB.forgotten = nil
	cacheB.mu.Unlock()
	if err := dbA.SetKeyActive(ctx, k, false, "test", nil); err != nil {
		t.Fatal(err)
	}
	if dbA.Engine() == "postgres" {
		// The change's response waits for every instance: once AwaitApplied
		// returns, B has dropped the key.
		memberA.AwaitApplied(k.ID)
		if !cacheB.forgot(k.ID) {
			t.Fatal("AwaitApplied returned before B applied the change")
		}
	}
	eventually(t, 3*pollListening, "the change is applied on both", func() bool {
		st, err := dbB.KeySync(ctx, k.ID, time.Now().UTC().Add(-apikey.InstanceAlive))
		return err == nil && st.Instances == 2 && len(st.Lagging) == 0
	})
}

// While an instance cannot hear the database, it may miss changes: it
// empties its cache, polls, and listens again.
func TestLostListenerEmptiesTheCache(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	dbA, _, _ := start(t, dsn, "a")
	_, _, cacheB := start(t, dsn, "b")
	schema := dsn[strings.Index(dsn, "search_path=")+len("search_path="):]
	if i := strings.IndexByte(schema, '&'); i >= 0 {
		schema = schema[:i]
	}
	// The channel is named by a hash of the schema (names are short).
	sum := sha256.Sum256([]byte(schema))
	listen := `LISTEN "keyconsole_keys_` + hex.EncodeToString(sum[:8]) + `"`
	admin, err := sql.Open("pgx", storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// End every listening connection of this test's instances.
	eventually(t, 2*time.Second, "listeners connected", func() bool {
		var n int
		admin.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE query = $1`, listen).Scan(&n)
		return n == 2
	})
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, listen); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "B empties its cache", func() bool { r, _ := cacheB.snapshot(); return r > 0 })
	// A change made while B listens again still reaches it.
	k := addKey(t, dbA, "after the loss")
	eventually(t, 2*time.Second, "B forgets the new key", func() bool { return cacheB.forgot(k.ID) })
}

// failingChanges is the real store whose reads of key changes fail while
// failing is set.
type failingChanges struct {
	*store.DB
	failing atomic.Bool
}

func (s *failingChanges) KeyChangesSince(ctx context.Context, seq int64, limit int) ([]apikey.KeyChange, error) {
	if s.failing.Load() {
		return nil, errors.New("the database refuses")
	}
	return s.DB.KeyChangesSince(ctx, seq, limit)
}

// While an instance cannot read the changes, one of them may be a
// refusal: it empties its cache each time it fails, and applies the
// changes once it can read them again.
func TestUnreadChangesEmptyTheCache(t *testing.T) {
	t.Parallel()
	db, err := store.Open(context.Background(), storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &failingChanges{DB: db}
	_, c := run(t, s, "a")
	if r, _ := c.snapshot(); r != 0 {
		t.Fatalf("the cache emptied %d times before any read failed", r)
	}

	s.failing.Store(true)
	k := addKey(t, db, "made while unread")
	eventually(t, 3*pollListening, "the cache is emptied", func() bool { r, _ := c.snapshot(); return r > 0 })
	if c.forgot(k.ID) {
		t.Fatal("a change applied while its reads fail")
	}
	s.failing.Store(false)
	eventually(t, 3*pollListening, "the change is applied once read", func() bool { return c.forgot(k.ID) })
}

// A database restored from an older copy holds fewer changes than the
// instance applied: it empties its cache and applies the changes numbered
// from there on, which it would otherwise take for applied already.
func TestRewoundChangesEmptyTheCache(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t)
	db, _, c := start(t, dsn, "a")
	for i := range 3 {
		k := addKey(t, db, fmt.Sprint("before the restore ", i))
		eventually(t, 3*pollListening, "the change is applied", func() bool { return c.forgot(k.ID) })
	}
	if r, _ := c.snapshot(); r != 0 {
		t.Fatalf("the cache emptied %d times before the restore", r)
	}
	storetest.Exec(t, dsn, `DELETE FROM key_changes`) // as a restore of an older copy would leave it
	eventually(t, 3*pollListening, "the cache is emptied", func() bool { r, _ := c.snapshot(); return r > 0 })
	k := addKey(t, db, "after the restore")
	eventually(t, 3*pollListening, "a change after the restore is applied", func() bool { return c.forgot(k.ID) })
}
