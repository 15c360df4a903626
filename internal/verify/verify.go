// Package verify decides whether an API key secret is accepted: one path
// for the JSON API's own authentication and for other services calling
// POST /api/v1/keys/verify. Checks run cheapest first: the secret's length
// (no database), then the hash (a cache in front of the store; a generated
// secret's checksum is checked on a miss, before the read), then the key's
// status, expiry, allowed addresses, account and rate limit.
package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"keyconsole/internal/apikey"
	"keyconsole/internal/token"
	"keyconsole/internal/usage"
)

// Outcome codes, as the verify endpoint answers them.
const (
	Valid        = "VALID"
	NotFound     = "NOT_FOUND"
	KeyInactive  = "KEY_INACTIVE"
	KeyExpired   = "KEY_EXPIRED"
	IPNotAllowed = "IP_NOT_ALLOWED"
	Forbidden    = "FORBIDDEN"
	RateLimited  = "RATE_LIMITED"
	// MaxSecretLen is the longest text taken as a secret: anything longer
	// is refused unread, as is a custom value under apikey.MinCustomLen.
	MaxSecretLen = 512
)

// Codes are the outcome codes, Valid first, then in the order of the
// checks that answer them (TestCodesCoverChecks); the metrics and the
// logged tally list them in this order.
var Codes = [...]string{Valid, NotFound, KeyInactive, KeyExpired, IPNotAllowed, Forbidden, RateLimited}

// Step names one of verification's checks.
type Step int

// Verification's checks.
const (
	StepFormat Step = iota
	StepFound
	StepActive
	StepExpiry
	StepAddress
	StepAccount
	StepRateLimit
)

// Check is one of verification's checks: what it looks at, and the code
// the answer carries when it is the first to fail.
type Check struct {
	Step Step
	Name string
	Code string
}

// Checks are verification's checks in the order judge runs them: an
// answer's code names the first that failed, so those before it passed and
// those after were not reached. The console's key test lays its steps out
// by this list; TestChecksInJudgeOrder holds it to judge.
var Checks = []Check{
	{StepFormat, "Format and checksum", NotFound},
	{StepFound, "Found", NotFound},
	{StepActive, "Active", KeyInactive},
	{StepExpiry, "Expiry", KeyExpired},
	{StepAddress, "Client address", IPNotAllowed},
	{StepAccount, "Account", Forbidden},
	{StepRateLimit, "Rate limit", RateLimited},
}

// Request is one secret to judge.
type Request struct {
	Secret    string
	ClientIP  netip.Addr // invalid: unknown, which fails any allow list
	AccountID string     // when set, the key must belong to it or to an account above it
}

// Result is the decision; Key is set whenever the secret matched a key.
type Result struct {
	Code       string
	Key        *apikey.Key
	Memo       *Memo // Key's while it stays cached; nil for a key read for this result alone
	RetryAfter time.Duration
	use        *usage.Meter // Key's, where Record counts the request
	at         time.Time    // when it was judged: Record counts the request then
}

// Config sets the per-key rate limit and the cache's size.
type Config struct {
	RatePerSecond float64 // 0: DefaultRate
	Burst         int     // 0: DefaultBurst
	CacheSize     int     // secret hashes remembered; 0: DefaultCacheSize
}

// Generous defaults: a key is limited only when something is clearly wrong.
const (
	DefaultRate  = 100
	DefaultBurst = 200
)

// Store is what verification needs of the database.
type Store interface {
	KeyByHash(ctx context.Context, hash string) (*apikey.Key, error)
	AccountPath(ctx context.Context, id string) ([]string, error)
}

// Verifier judges secrets. It is safe for concurrent use.
type Verifier struct {
	store     Store
	tokens    *token.Signer // checks JWT access keys offline; nil: look them up like any secret
	usage     *usage.Recorder
	now       func() time.Time
	rate      float64
	burst     int
	instances atomic.Int64         // sharing the rate limit; 0 or 1: this one alone
	pace      atomic.Pointer[pace] // each key's share of the rate limit here
	cache     *cache
	reads     singleflight.Group // by hash: the reads under way
	// refreshing holds the hashes read again ahead of their entries'
	// expiry, refreshesAtOnce at most.
	refreshMu  sync.Mutex
	refreshing map[[sha256.Size]byte]struct{}
}

// New returns a Verifier reading keys from db, checking JWT access keys with
// tokens and counting uses in rec (nil: none).
func New(db Store, tokens *token.Signer, rec *usage.Recorder, cfg Config, now func() time.Time) *Verifier {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.RatePerSecond <= 0 {
		cfg.RatePerSecond = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	v := &Verifier{store: db, tokens: tokens, usage: rec, now: now, rate: cfg.RatePerSecond, burst: cfg.Burst,
		cache: newCache(cfg.CacheSize), refreshing: map[[sha256.Size]byte]struct{}{}}
	v.setPace()
	return v
}

// Verify judges one secret and records the outcome against its key.
func (v *Verifier) Verify(ctx context.Context, req Request) (Result, error) {
	res, err := v.judge(ctx, req, v.now(), true)
	if err == nil {
		v.Record(res, res.Code, req.ClientIP)
	}
	return res, err
}

// Judge answers what Verify would, and spends the key's rate limit, but
// records nothing: a request its key opens may still be refused (no user,
// no permission), so its caller records the outcome with Record once known.
func (v *Verifier) Judge(ctx context.Context, req Request) (Result, error) {
	return v.judge(ctx, req, v.now(), true)
}

// Record counts one request with res's key, answered with code, at the
// moment it was judged (one clock read fewer); an accepted one (Valid)
// also moves the key's last use.
func (v *Verifier) Record(res Result, code string, ip netip.Addr) {
	if res.Key == nil || v.usage == nil {
		return
	}
	m, at := res.use, res.at
	if m == nil { // a Result not made by judge
		m, at = &v.state(res.Key.ID).use, v.now()
	}
	v.usage.Record(m, code, ip, at)
}

// Explain answers what Verify would, and changes nothing: no use is
// recorded and no rate-limit token is spent. The console's key test uses it.
func (v *Verifier) Explain(ctx context.Context, req Request) (Result, error) {
	return v.judge(ctx, req, v.now(), false)
}

func (v *Verifier) judge(ctx context.Context, req Request, now time.Time, spend bool) (Result, error) {
	if !plausibleLength(req.Secret) {
		return Result{Code: NotFound}, nil
	}
	// A JWT access key whose signature fails is refused like a bad checksum:
	// without a read.
	var jwtExpires *time.Time
	if v.tokens != nil && apikey.LooksLikeJWT(req.Secret) {
		claims, err := v.tokens.Genuine(ctx, req.Secret, token.KindKey)
		if err != nil {
			return Result{}, err
		}
		if claims == nil {
			return Result{Code: NotFound}, nil
		}
		if claims.ExpiresAt != nil {
			jwtExpires = &claims.ExpiresAt.Time // capped: it may come before the key's expiry
		}
	}
	e, read, err := v.lookup(ctx, req.Secret, now)
	if err != nil || e.loaded == nil {
		return Result{Code: NotFound}, err
	}
	if read {
		// The read may have taken a while (and been waited for by others):
		// the rest is judged when it ended, so that requests that waited
		// together reach the rate limit with the clock in step, not each
		// with the moment it began.
		now = v.now()
	}
	k := &e.key
	// A previous secret past its grace period is as unknown as a made-up one.
	if e.previous {
		if k.PreviousValidUntil == nil || !now.Before(*k.PreviousValidUntil) {
			return Result{Code: NotFound}, nil
		}
	}
	res := Result{Key: k, Memo: &e.memo, use: &e.st.use, at: now}
	switch {
	case !k.Active:
		res.Code = KeyInactive
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt), jwtExpires != nil && !now.Before(*jwtExpires):
		res.Code = KeyExpired
	case !ipAllowed(k.AllowedIPs, req.ClientIP):
		res.Code = IPNotAllowed
	}
	if res.Code != "" {
		return res, nil
	}
	if req.AccountID != "" {
		path, err := v.store.AccountPath(ctx, req.AccountID)
		if err != nil {
			return Result{}, err
		}
		if !slices.Contains(path, k.AccountID) {
			res.Code = Forbidden
			return res, nil
		}
	}
	p := *v.pace.Load()
	if !spend {
		if !e.st.lim.allows(p, now) {
			res.Code = RateLimited
			return res, nil
		}
	} else if ok, wait := e.st.lim.take(p, now); !ok {
		res.RetryAfter = wait
		res.Code = RateLimited
		return res, nil
	}
	res.Code = Valid
	return res, nil
}

// plausibleLength refuses, before anything else, what is too long to be
// hashed or parsed, and what is too short to be a custom value.
func plausibleLength(secret string) bool {
	if len(secret) > MaxSecretLen {
		return false
	}
	return apikey.StartsGenerated(secret) || len(secret) >= apikey.MinCustomLen
}

// Shape is what a secret looks like before it is looked up, told by the
// same rules the checks apply.
type Shape int

const (
	ShapeGenerated   Shape = iota // in the generated format, its checksum holds
	ShapeBadChecksum              // in the generated format, its checksum fails
	ShapeJWT                      // a JWT, its signature checked with the look-up
	ShapeCustom                   // any other text of a custom value's length
	ShapeTooShort                 // shorter than any custom value
	ShapeTooLong                  // longer than any secret
)

// ShapeOf tells what secret looks like. A generated, JWT or custom shape is
// looked up; the others are refused without a read.
func ShapeOf(secret string) Shape {
	switch {
	case len(secret) > MaxSecretLen:
		return ShapeTooLong
	case !plausibleLength(secret):
		return ShapeTooShort
	case !checksumHolds(secret):
		return ShapeBadChecksum
	case apikey.StartsGenerated(secret):
		return ShapeGenerated
	case apikey.LooksLikeJWT(secret):
		return ShapeJWT
	}
	return ShapeCustom
}

// checksumHolds refuses a string in the generated format whose checksum
// fails. It is asked on a miss only (lookup), before the read: a hit is a
// secret whose checksum held when its key was read, and the check costs a
// third of a hit.
func checksumHolds(secret string) bool {
	return !apikey.StartsGenerated(secret) || apikey.LooksGenerated(secret)
}

// lookup finds the cache's entry for secret, reading the key when the
// cache does not know it (the entry's key nil: none has it), and says
// whether it read.
func (v *Verifier) lookup(ctx context.Context, secret string, now time.Time) (entry, bool, error) {
	hash := hashSecret(secret)
	if e, known, due := v.cache.get(hash, now); known {
		if due {
			v.refresh(hash)
		}
		return e, false, nil
	}
	if !checksumHolds(secret) {
		return entry{}, false, nil // neither read nor remembered
	}
	e, err := v.load(ctx, hash)
	return e, true, err
}

// readTimeout bounds a read shared by several requests, or made for none
// (ahead of expiry): no one request's end may cut it short.
const readTimeout = 10 * time.Second

// load reads the key of hash. Requests that miss on the same hash at the
// same time share one read: a client's many connections all miss at once
// after a start, and each would cost the database a read. The read runs
// on the first request's goroutine (one goroutine more for each read cost
// misses about a sixth of their throughput on SQLite), but for no request
// in particular: its client leaving fails its own answer, not the read the
// others wait for. A request that came after a change the shared
// read may not have seen reads again on its own.
func (v *Verifier) load(ctx context.Context, hash [sha256.Size]byte) (entry, error) {
	if v.usage != nil {
		// A key read now is most often recorded next (not for a made-up
		// secret, nor for Explain): while the recorder holds all it may,
		// every read waits for it to write some.
		if err := v.usage.Room(ctx); err != nil {
			return entry{}, err
		}
	}
	came := v.cache.begin()
	shared, err, _ := v.reads.Do(string(hash[:]), func() (any, error) { return v.read(context.WithoutCancel(ctx), hash) })
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return entry{}, err
	}
	r := shared.(entry)
	if r.seq < came && v.cache.stale(r.keyOf(), r.seq) {
		return v.read(ctx, hash)
	}
	return r, nil
}

// read reads the key of hash from the store and caches what it found, as
// the entry it stored (its seq the change counter of when the read began).
func (v *Verifier) read(ctx context.Context, hash [sha256.Size]byte) (entry, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	seq := v.cache.begin()
	k, err := v.store.KeyByHash(ctx, hex.EncodeToString(hash[:]))
	var st *keyState
	switch {
	case apikey.ErrorCode(err) == apikey.ENOTFOUND:
		k = nil
	case err != nil:
		return entry{}, err
	default:
		st = v.state(k.ID)
	}
	return v.cache.put(hash, k, st, seq, v.now()), nil
}

// How many keys are read again ahead of expiry at once.
const refreshesAtOnce = 4

// refresh reads the key of hash again in the background, once however many
// requests ask. With every slot busy it does nothing: a later request asks
// again, or the entry expires and the next request reads the key itself.
// A failed read leaves the entry to expire as it would have.
func (v *Verifier) refresh(hash [sha256.Size]byte) {
	v.refreshMu.Lock()
	_, busy := v.refreshing[hash]
	if busy || len(v.refreshing) >= refreshesAtOnce {
		v.refreshMu.Unlock()
		return
	}
	v.refreshing[hash] = struct{}{}
	v.refreshMu.Unlock()
	go func() {
		defer func() {
			v.refreshMu.Lock()
			delete(v.refreshing, hash)
			v.refreshMu.Unlock()
		}()
		v.reads.Do(string(hash[:]), func() (any, error) { return v.read(context.Background(), hash) })
	}()
}

// hashSecret hashes from a copy on the stack: []byte(secret) would escape
// to the heap, once per verification. judge bounds the length; a longer
// secret, which no caller passes, is hashed whole rather than cut short.
func hashSecret(secret string) [sha256.Size]byte {
	if len(secret) > MaxSecretLen {
		return sha256.Sum256([]byte(secret))
	}
	var buf [MaxSecretLen]byte
	return sha256.Sum256(buf[:copy(buf[:], secret)])
}

// Forget drops what is cached about key k, and every remembered unknown
// hash (one may be k's new secret). The keys service calls it on any
// change, so the next request sees the change; the hashes it names are
// covered by the key's id.
func (v *Verifier) Forget(k *apikey.Key, _ ...string) { v.ForgetKey(k.ID) }

// ForgetKey drops what is cached about the key with id, and every
// remembered unknown hash: it changed, here or on another instance.
func (v *Verifier) ForgetKey(id string) { v.cache.forget(id, v.now()) }

// Reset drops every cached answer: changes may have been missed.
func (v *Verifier) Reset() { v.cache.clear() }

// SetInstances shares each key's rate limit among n instances: each allows
// its share, so that together they allow the key's rate.
func (v *Verifier) SetInstances(n int) {
	if n < 1 || int64(n) == v.instances.Swap(int64(n)) {
		return
	}
	v.setPace()
}

// setPace sets every key's share of the rate limit for the instances now
// counted: one value, read by each verification.
func (v *Verifier) setPace() {
	share := max(1, v.instances.Load())
	p := newPace(v.rate/float64(share), max(1, v.burst/int(share)))
	v.pace.Store(&p)
}

// state is the key's rate limiter and usage meter, made on first use. The
// bounded map of states drops the least useful on its own, so a cached
// entry may outlive its key's state, and the key's next load makes a new
// one: its limit then starts afresh, and a flush adds up both meters (a
// dropped meter's uses are still written: the recorder lists a meter
// while it holds uses). Otherwise each load finds the key's state here,
// so the limit stays the key's across reloads.
func (v *Verifier) state(keyID string) *keyState {
	if st, ok := v.cache.keys.GetIfPresent(keyID); ok {
		return st
	}
	st := new(keyState)
	st.use.Init(keyID)
	st, _ = v.cache.keys.SetIfAbsent(keyID, st)
	return st
}

func ipAllowed(entries []apikey.IPEntry, ip netip.Addr) bool {
	if len(entries) == 0 {
		return true
	}
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, e := range entries {
		if e.Prefix.Contains(ip) {
			return true
		}
	}
	return false
}
