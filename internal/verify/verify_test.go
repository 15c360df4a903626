package verify

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/servicetest"
	"keyconsole/internal/store"
)

func setup(tb testing.TB) (*Verifier, *store.DB, *apikey.Key, string) {
	tb.Helper()
	ctx := context.Background()
	db, root := servicetest.Open(tb)
	secret := newSecret(tb)
	k := &apikey.Key{AccountID: root.ID, CreatedBy: "t", SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
		Settings: apikey.Settings{Name: "k", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
			AllowedIPs: []apikey.IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}}}}
	if err := db.CreateKey(ctx, k, nil); err != nil {
		tb.Fatal(err)
	}
	return New(db, nil, nil, Config{RatePerSecond: 1e12, Burst: 1 << 30}, nil), db, k, secret
}

// A malformed key is refused before any read: the database is closed and
// still the answer comes, with no error.
func TestMalformedNeedsNoDatabase(t *testing.T) {
	v, db, _, secret := setup(t)
	db.Close()
	bad := []byte(secret)
	bad[20] ^= 1
	for _, s := range []string{string(bad), "", "short", "kc_g_x"} {
		res, err := v.Verify(context.Background(), Request{Secret: s})
		if err != nil || res.Code != NotFound {
			t.Errorf("%q: %v %v", s, res.Code, err)
		}
	}
}

func TestCacheAndForget(t *testing.T) {
	v, db, k, secret := setup(t)
	ctx := context.Background()
	ip := netip.MustParseAddr("10.1.2.3")
	if res, _ := v.Verify(ctx, Request{Secret: secret, ClientIP: ip}); res.Code != Valid {
		t.Fatalf("first: %s", res.Code)
	}
	// Changed behind the verifier's back: the cache still answers...
	db.SetKeyActive(ctx, k, false, "t", nil)
	if res, _ := v.Verify(ctx, Request{Secret: secret, ClientIP: ip}); res.Code != Valid {
		t.Fatalf("cached: %s", res.Code)
	}
	// ...until told, as the keys service does on every change.
	v.Forget(k)
	if res, _ := v.Verify(ctx, Request{Secret: secret, ClientIP: ip}); res.Code != KeyInactive {
		t.Fatalf("after Forget: %s", res.Code)
	}
}

// The rate limit is the key's, not its cache entry's: a cached entry holds
// the key's limiter, and an entry loaded again (after a change to the key)
// finds the same one, tokens spent and all.
func TestRateLimitOutlivesCacheEntries(t *testing.T) {
	t.Parallel()
	v, _, k, secret := setup(t)
	v.rate, v.burst = 1e-9, 2
	v.setPace()
	ctx := context.Background()
	ip := netip.MustParseAddr("10.1.2.3")
	for i, want := range []string{Valid, Valid, RateLimited} {
		if i == 2 {
			v.Forget(k)
		}
		if res, err := v.Verify(ctx, Request{Secret: secret, ClientIP: ip}); err != nil || res.Code != want {
			t.Fatalf("verification %d: %s %v, want %s", i+1, res.Code, err, want)
		}
	}
}

// TestCodesCoverChecks: Codes lists Valid and then each check's code, in
// the checks' order, once: the metrics and the tally count by it, so a new
// check's code must be in it.
func TestCodesCoverChecks(t *testing.T) {
	t.Parallel()
	want := []string{Valid}
	for _, c := range Checks {
		if !slices.Contains(want, c.Code) {
			want = append(want, c.Code)
		}
	}
	if !slices.Equal(Codes[:], want) {
		t.Fatalf("Codes %v, the checks' %v", Codes, want)
	}
}

// BenchmarkVerifyCached is the cost of accepting a known key, the path
// every API request takes.
func BenchmarkVerifyCached(b *testing.B) {
	v, _, _, secret := setup(b)
	ctx := context.Background()
	req := Request{Secret: secret, ClientIP: netip.MustParseAddr("10.1.2.3")}
	if res, _ := v.Verify(ctx, req); res.Code != Valid {
		b.Fatal(res.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res, err := v.Verify(ctx, req); err != nil || res.Code != Valid {
				b.Fatal(res.Code, err)
			}
		}
	})
}

// BenchmarkVerifyMalformed is the cost of refusing a mistyped key.
func BenchmarkVerifyMalformed(b *testing.B) {
	v, _, _, secret := setup(b)
	bad := []byte(secret)
	bad[20] ^= 1
	req := Request{Secret: string(bad)}
	b.ReportAllocs()
	for b.Loop() {
		v.Verify(context.Background(), req)
	}
}

// BenchmarkVerifyUncached is a look-up in SQLite each time (the cache is emptied).
func BenchmarkVerifyUncached(b *testing.B) {
	v, _, k, secret := setup(b)
	req := Request{Secret: secret, ClientIP: netip.MustParseAddr("10.1.2.3")}
	b.ReportAllocs()
	for b.Loop() {
		v.Forget(k)
		if res, _ := v.Verify(context.Background(), req); res.Code != Valid {
			b.Fatal(res.Code)
		}
	}
}

// Two instances share a key's rate limit: each allows half of the burst,
// so that together they allow what one would; alone again, the whole.
func TestInstancesShareTheRateLimit(t *testing.T) {
	_, db, _, secret := setup(t)
	v := New(db, nil, nil, Config{RatePerSecond: 0.001, Burst: 10}, nil)
	ctx := context.Background()
	ip := netip.MustParseAddr("10.0.0.1")
	allowed := func(n int) int {
		ok := 0
		for range n {
			if res, _ := v.Verify(ctx, Request{Secret: secret, ClientIP: ip}); res.Code == Valid {
				ok++
			}
		}
		return ok
	}
	v.SetInstances(2)
	if got := allowed(10); got != 5 {
		t.Fatalf("one of two instances allowed %d of a burst of 10", got)
	}
	v.SetInstances(1)
	if p := *v.pace.Load(); p != newPace(0.001, 10) {
		t.Fatalf("alone again: %+v, want %+v", p, newPace(0.001, 10))
	}
}

// A warm verification allocates nothing (the issue allowed three): the hot
// path stays free for the garbage collector. The secret's hash and its
// checksum are the usual culprits, their []byte conversions escaping.
func TestWarmVerifyAllocations(t *testing.T) {
	v, _, _, secret := setup(t)
	ctx := context.Background()
	req := Request{Secret: secret, ClientIP: netip.MustParseAddr("10.1.2.3")}
	if res, _ := v.Verify(ctx, req); res.Code != Valid {
		t.Fatal(res.Code)
	}
	if n := testing.AllocsPerRun(200, func() { v.Verify(ctx, req) }); n > 0 {
		t.Fatalf("a warm verification allocates %.0f times, want none", n)
	}
}

// fillCache puts n made-up keys into v's cache, as a million verified keys
// would leave it.
func fillCache(v *Verifier, n int) {
	now := v.now()
	for i := range n {
		k := &apikey.Key{ID: fmt.Sprintf("key_%07d", i)}
		v.cache.put(sha256.Sum256([]byte(k.ID)), k, v.state(k.ID), v.cache.begin(), now)
	}
}

// BenchmarkChangeWithFullCache is a key change while a million keys are
// cached, beside verifications of another key: the change costs the same
// whatever the cache holds, and stalls nobody.
func BenchmarkChangeWithFullCache(b *testing.B) {
	v, _, _, secret := setup(b)
	v.cache = newCache(1_100_000)
	fillCache(v, 1_000_000)
	ctx := context.Background()
	req := Request{Secret: secret, ClientIP: netip.MustParseAddr("10.1.2.3")}
	if res, _ := v.Verify(ctx, req); res.Code != Valid {
		b.Fatal(res.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		v.ForgetKey(fmt.Sprintf("key_%07d", i%1_000_000))
	}
}

// Keys verified in rotation are read once each: the second round is
// answered from the cache alone.
func TestRotationIsServedFromTheCache(t *testing.T) {
	_, db, k, _ := setup(t)
	ctx := context.Background()
	var secrets []string
	for i := range 2000 {
		secret := newSecret(t)
		secrets = append(secrets, secret)
		if err := db.BulkLoad(ctx, store.Bulk{Keys: []*apikey.Key{{ID: fmt.Sprintf("key_rot_%04d", i), AccountID: k.AccountID,
			SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret), CreatedBy: "t", UpdatedBy: "t", Version: 1,
			Settings: apikey.Settings{Name: fmt.Sprintf("rot %d", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}}}); err != nil {
			t.Fatal(err)
		}
	}
	counting := &countingStore{Store: db}
	v := New(counting, nil, nil, Config{RatePerSecond: 1e12, Burst: 1 << 30}, nil)
	for round := range 2 {
		for _, s := range secrets {
			if res, err := v.Verify(ctx, Request{Secret: s}); err != nil || res.Code != Valid {
				t.Fatalf("round %d: %s %v", round, res.Code, err)
			}
		}
		if n := counting.loads.Load(); n != int64(len(secrets)) {
			t.Fatalf("after round %d: %d loads for %d keys", round, n, len(secrets))
		}
	}
}

// Checks lists judge's order: a key that fails check i and every check
// after it is refused with check i's code, for every i. Reorder judge (or
// the list) and this fails.
func TestChecksInJudgeOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	child := &apikey.Account{Name: "child", ParentID: root.ID}
	if err := db.CreateAccount(ctx, child); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	for i, check := range Checks {
		t.Run(check.Name, func(t *testing.T) {
			secret := newSecret(t)
			k := &apikey.Key{AccountID: child.ID, CreatedBy: "t", SecretHash: apikey.HashSecret(secret), DisplayPrefix: apikey.DisplayPrefix(secret),
				Settings: apikey.Settings{Name: fmt.Sprint("order ", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: i > 2,
					AllowedIPs: []apikey.IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}}}}
			if i <= 3 {
				k.ExpiresAt = &past
			}
			ip := netip.MustParseAddr("192.0.2.1") // off the allow list
			if i > 4 {
				ip = netip.MustParseAddr("10.1.2.3")
			}
			account := root.ID // above the key's account: refused
			if i > 5 {
				account = child.ID
			}
			if i > 1 {
				if err := db.CreateKey(ctx, k, nil); err != nil {
					t.Fatal(err)
				}
			}
			if i == 0 {
				secret = secret[:len(secret)-1] + string(secret[len(secret)-1]^1) // checksum broken
			}
			v := New(db, nil, nil, Config{RatePerSecond: 1e-9, Burst: 1}, nil)
			if i > 1 {
				v.state(k.ID).lim.take(*v.pace.Load(), v.now()) // the only token spent
			}
			res, err := v.Explain(ctx, Request{Secret: secret, ClientIP: ip, AccountID: account})
			if err != nil || res.Code != check.Code {
				t.Fatalf("a key failing %q and every later check: %s, %v; want %s", check.Name, res.Code, err, check.Code)
			}
		})
	}
}

// A cached secret is told from its key's previous one when stored, not
// looked at again: past the overlap the previous is refused from the cache
// and the current, cached alike, still accepted.
func TestCachedSecretsAfterTheOverlap(t *testing.T) {
	v, db, k, old := setup(t)
	ctx := context.Background()
	now := time.Now().UTC()
	v.now = func() time.Time { return now }
	fresh := newSecret(t)
	until := now.Add(time.Minute)
	if err := db.ReplaceSecret(ctx, k, apikey.HashSecret(fresh), apikey.DisplayPrefix(fresh), apikey.AccessGenerated, &until, "t", nil); err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("10.1.2.3")
	for _, s := range []string{old, fresh} {
		if res, _ := v.Verify(ctx, Request{Secret: s, ClientIP: ip}); res.Code != Valid {
			t.Fatalf("during the overlap: %s", res.Code)
		}
	}
	now = until
	if res, _ := v.Verify(ctx, Request{Secret: old, ClientIP: ip}); res.Code != NotFound {
		t.Errorf("the previous secret after the overlap: %s", res.Code)
	}
	if res, _ := v.Verify(ctx, Request{Secret: fresh, ClientIP: ip}); res.Code != Valid {
		t.Errorf("the current secret after the overlap: %s", res.Code)
	}
}

// newSecret is a freshly generated secret.
func newSecret(tb testing.TB) string {
	tb.Helper()
	secret, err := apikey.GenerateSecret(apikey.TypeGeneral)
	if err != nil {
		tb.Fatal(err)
	}
	return secret
}
