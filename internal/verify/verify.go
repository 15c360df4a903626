// Package verify decides whether an API key secret is accepted: one path
// for the JSON API's own authentication and for other services calling
// POST /api/v1/keys/verify. Checks run cheapest first: format and checksum
// (no database), then the hash (a cache in front of the store), then the
// key's status, expiry, allowed addresses, account and rate limit.
package verify

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"keyconsole/internal/apikey"
	"keyconsole/internal/token"
	"keyconsole/internal/usage"
)

// Outcome codes, as the verify endpoint answers them.
const (
	Valid         = "VALID"
	NotFound      = "NOT_FOUND"
	KeyInactive   = "KEY_INACTIVE"
	KeyExpired    = "KEY_EXPIRED"
	IPNotAllowed  = "IP_NOT_ALLOWED"
	Forbidden     = "FORBIDDEN"
	RateLimited   = "RATE_LIMITED"
	maxSecretLen  = 512
	minCustomLen  = 32
	cacheLifetime = 30 * time.Second
	// negativeLifetime bounds how long an unknown hash is remembered: floods
	// of made-up keys then cost memory, not database reads.
	negativeLifetime = 5 * time.Second
	maxNegative      = 100_000
)

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
	RetryAfter time.Duration
}

// Config sets the per-key rate limit.
type Config struct {
	RatePerSecond float64 // 0: DefaultRate
	Burst         int     // 0: DefaultBurst
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
	rate      rate.Limit
	burst     int
	mu        sync.RWMutex
	instances int               // sharing the rate limit; 0 or 1: this one alone
	gen       uint64            // bumped by Forget; a look-up older than it is not cached
	byHash    map[string]cached // hash of a current or previous secret → key
	negative  map[string]time.Time
	limiters  map[string]*rate.Limiter
}

type cached struct {
	key      *apikey.Key
	loadedAt time.Time
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
	return &Verifier{store: db, tokens: tokens, usage: rec, now: now, rate: rate.Limit(cfg.RatePerSecond), burst: cfg.Burst,
		byHash: map[string]cached{}, negative: map[string]time.Time{}, limiters: map[string]*rate.Limiter{}}
}

// Verify judges one secret and records the outcome against its key.
func (v *Verifier) Verify(ctx context.Context, req Request) (Result, error) {
	now := v.now()
	res, err := v.judge(ctx, req, now, true)
	if err == nil && res.Key != nil && v.usage != nil {
		ip := ""
		if req.ClientIP.IsValid() {
			ip = req.ClientIP.String()
		}
		v.usage.Record(res.Key.ID, res.Code, ip, now)
	}
	return res, err
}

// Explain answers what Verify would, and changes nothing: no use is
// recorded and no rate-limit token is spent. The console's key test uses it.
func (v *Verifier) Explain(ctx context.Context, req Request) (Result, error) {
	return v.judge(ctx, req, v.now(), false)
}

func (v *Verifier) judge(ctx context.Context, req Request, now time.Time, spend bool) (Result, error) {
	if !plausible(req.Secret) {
		return Result{Code: NotFound}, nil
	}
	// A JWT access key whose signature fails is refused like a bad checksum:
	// without a look-up.
	if v.tokens != nil && apikey.LooksLikeJWT(req.Secret) {
		ok, err := v.tokens.Genuine(ctx, req.Secret, token.KindKey)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{Code: NotFound}, nil
		}
	}
	hash := apikey.HashSecret(req.Secret)
	k, err := v.lookup(ctx, hash, now)
	if err != nil || k == nil {
		return Result{Code: NotFound}, err
	}
	// A previous secret past its grace period is as unknown as a made-up one.
	if !apikey.SameHash(hash, k.SecretHash) {
		if k.PreviousValidUntil == nil || !now.Before(*k.PreviousValidUntil) {
			return Result{Code: NotFound}, nil
		}
	}
	res := Result{Key: k}
	switch {
	case !k.Active:
		res.Code = KeyInactive
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
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
	l := v.limiter(k.ID)
	if !spend {
		if l.TokensAt(now) < 1 {
			res.Code = RateLimited
			return res, nil
		}
	} else if r := l.ReserveN(now, 1); !r.OK() || r.DelayFrom(now) > 0 {
		res.RetryAfter = r.DelayFrom(now)
		r.CancelAt(now)
		res.Code = RateLimited
		return res, nil
	}
	res.Code = Valid
	return res, nil
}

// plausible refuses, without a look-up, what cannot be a secret: a string
// in the generated format whose checksum fails, or anything too short to
// be a custom value.
func plausible(secret string) bool {
	if len(secret) > maxSecretLen {
		return false
	}
	if strings.HasPrefix(secret, "kc_") {
		return apikey.LooksGenerated(secret)
	}
	return len(secret) >= minCustomLen
}

func (v *Verifier) lookup(ctx context.Context, hash string, now time.Time) (*apikey.Key, error) {
	v.mu.RLock()
	c, hit := v.byHash[hash]
	neg, unknown := v.negative[hash]
	gen := v.gen
	v.mu.RUnlock()
	if hit && now.Sub(c.loadedAt) < cacheLifetime {
		return c.key, nil
	}
	if unknown && now.Sub(neg) < negativeLifetime {
		return nil, nil
	}
	k, err := v.store.KeyByHash(ctx, hash)
	v.mu.Lock()
	defer v.mu.Unlock()
	if gen != v.gen {
		// The key changed while we read it: use what we read for this
		// request, which began before the change, but do not keep it.
		if err != nil && apikey.ErrorCode(err) != apikey.ENOTFOUND {
			return nil, err
		}
		return k, nil
	}
	switch {
	case apikey.ErrorCode(err) == apikey.ENOTFOUND:
		if len(v.negative) >= maxNegative {
			clear(v.negative)
		}
		v.negative[hash] = now
		return nil, nil
	case err != nil:
		return nil, err
	}
	v.byHash[hash] = cached{key: k, loadedAt: now}
	return k, nil
}

// Forget drops every cached answer about key k and the given secret hashes,
// and every remembered unknown hash (one may be k's new secret). The keys
// service calls it on any change, so the next request sees the change.
func (v *Verifier) Forget(k *apikey.Key, hashes ...string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	for h, c := range v.byHash {
		if c.key.ID == k.ID {
			delete(v.byHash, h)
		}
	}
	for _, h := range hashes {
		delete(v.byHash, h)
	}
	clear(v.negative)
}

// ForgetKey drops every cached answer about the key with id, and every
// remembered unknown hash: another instance changed it.
func (v *Verifier) ForgetKey(id string) { v.Forget(&apikey.Key{ID: id}) }

// Reset drops every cached answer: changes may have been missed.
func (v *Verifier) Reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	clear(v.byHash)
	clear(v.negative)
}

// SetInstances shares each key's rate limit among n instances: each allows
// its share, so that together they allow the key's rate.
func (v *Verifier) SetInstances(n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n < 1 || n == v.instances {
		return
	}
	v.instances = n
	for _, l := range v.limiters {
		l.SetLimit(v.shareRate())
		l.SetBurst(v.shareBurst())
	}
}

func (v *Verifier) shareRate() rate.Limit { return v.rate / rate.Limit(max(1, v.instances)) }
func (v *Verifier) shareBurst() int       { return max(1, v.burst/max(1, v.instances)) }

func (v *Verifier) limiter(keyID string) *rate.Limiter {
	v.mu.Lock()
	defer v.mu.Unlock()
	l, ok := v.limiters[keyID]
	if !ok {
		l = rate.NewLimiter(v.shareRate(), v.shareBurst())
		v.limiters[keyID] = l
	}
	return l
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
