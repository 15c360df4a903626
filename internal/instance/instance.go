// Package instance makes one keyconsole process a member of the group of
// instances that share a database. It records the instance's heartbeat,
// applies every key change any instance commits to this one's
// verification cache (woken by the database within milliseconds, polling
// as a fallback), records how far it has applied them, and shares the
// per-key rate limit among the instances alive.
package instance

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"keyconsole/internal/apikey"
)

// Store is what an instance needs of the database.
type Store interface {
	LatestKeyChange(ctx context.Context) (int64, error)
	KeyChangesSince(ctx context.Context, seq int64, limit int) ([]apikey.KeyChange, error)
	ListenKeyChanges(ctx context.Context, woken func()) error
	SaveInstance(ctx context.Context, in apikey.Instance) error
	RemoveInstance(ctx context.Context, id string, staleBefore time.Time) error
	Instances(ctx context.Context, seenAfter time.Time) ([]apikey.Instance, error)
	PruneKeyChanges(ctx context.Context, before time.Time) error
	KeySync(ctx context.Context, id string, seenAfter time.Time) (apikey.SyncStatus, error)
}

// Cache is the verification cache of this instance.
type Cache interface {
	ForgetKey(id string) // a key changed: drop what is cached of it
	Reset()              // changes may have been missed: drop everything
	SetInstances(n int)  // n instances share each key's rate limit
}

// Timings.
const (
	// Heartbeat is how often an instance says it is alive.
	Heartbeat = time.Second
	// pollListening is the fallback poll while the database wakes us;
	// pollBlind the poll while it cannot (a lost connection).
	pollListening = time.Second
	pollBlind     = 100 * time.Millisecond
	// keepChanges is how long key changes are kept for the sync status.
	keepChanges = 24 * time.Hour
	batch       = 1000
)

// Config is what Run needs.
type Config struct {
	Store  Store
	Cache  Cache
	Name   string // shown on the details page: host and address
	Logger *slog.Logger
	Now    func() time.Time // nil: the wall clock in UTC
}

// Member is this instance in the group. Its state belongs to the goroutine
// running Run (Join's first heartbeat comes before).
type Member struct {
	cfg       Config
	self      apikey.Instance
	listening atomic.Bool
	beats     int
	wake      chan struct{}
}

// Join records this instance in the group; Run then keeps it there.
func Join(ctx context.Context, cfg Config) (*Member, error) {
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	id, err := apikey.NewID("ins")
	if err != nil {
		return nil, err
	}
	// The cache starts empty: nothing before the newest change needs applying.
	applied, err := cfg.Store.LatestKeyChange(ctx)
	if err != nil {
		return nil, err
	}
	now := cfg.Now()
	m := &Member{cfg: cfg, self: apikey.Instance{ID: id, Name: cfg.Name, StartedAt: now, AppliedSeq: applied, AppliedAt: now},
		wake: make(chan struct{}, 1)}
	if err := m.beat(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Run applies key changes and beats until ctx ends, then leaves the group.
func (m *Member) Run(ctx context.Context) error {
	listening := make(chan struct{})
	go func() { defer close(listening); m.listen(ctx) }()
	defer func() { <-listening }()
	heartbeat := time.NewTicker(Heartbeat)
	defer heartbeat.Stop()
	poll := time.NewTimer(pollBlind)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			leave, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			return m.cfg.Store.RemoveInstance(leave, m.self.ID, m.cfg.Now().Add(-time.Hour))
		case <-m.wake:
		case <-poll.C:
		case <-heartbeat.C:
			if err := m.beat(ctx); err != nil && ctx.Err() == nil {
				m.cfg.Logger.Warn("instance heartbeat", "err", err)
			}
		}
		if err := m.catchUp(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Logger.Warn("applying key changes", "err", err)
			// A change not read may be a refusal: until the changes are
			// read again, nothing cached is believed, as when the
			// connection that listens for them is lost.
			m.cfg.Cache.Reset()
		}
		if m.listening.Load() {
			poll.Reset(pollListening)
		} else {
			poll.Reset(pollBlind)
		}
	}
}

// awaitLimit bounds how long a change's response waits for the other
// instances; past it, the details page names the ones that lag.
const awaitLimit = 250 * time.Millisecond

// AwaitApplied waits, briefly, until every instance alive has applied the
// newest change to key id, so that the change's response is sent only once
// every instance refuses what the change refused.
func (m *Member) AwaitApplied(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), awaitLimit)
	defer cancel()
	m.poke()
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		st, err := m.cfg.Store.KeySync(ctx, id, m.cfg.Now().Add(-apikey.InstanceAlive))
		if err == nil && len(st.Lagging) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (m *Member) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// catchUpTimeout bounds one catch-up: a query that hangs must not hold
// back the heartbeat, nor leave the cache believed.
const catchUpTimeout = 5 * time.Second

// catchUp applies every change after the last one applied and, when there
// were any, records the new position at once (the details page reads it).
func (m *Member) catchUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	if err := m.rewound(ctx); err != nil {
		return err
	}
	moved := false
	for {
		changes, err := m.cfg.Store.KeyChangesSince(ctx, m.self.AppliedSeq, batch)
		if err != nil {
			return err
		}
		for _, c := range changes {
			m.cfg.Cache.ForgetKey(c.KeyID)
			m.self.AppliedSeq = c.Seq
		}
		moved = moved || len(changes) > 0
		if len(changes) < batch {
			break
		}
	}
	if !moved {
		return nil
	}
	m.self.AppliedAt = m.cfg.Now()
	return m.beat(ctx)
}

// rewound starts the feed of changes over when it holds none as new as
// the last one applied: the database was restored from an older copy (or
// the feed emptied by hand). What changed in between is not known, so the
// cache is emptied, and the changes numbered from there on are applied.
func (m *Member) rewound(ctx context.Context) error {
	latest, err := m.cfg.Store.LatestKeyChange(ctx)
	if err != nil || latest >= m.self.AppliedSeq {
		return err
	}
	m.cfg.Logger.Warn("the database's key changes go back before those applied: emptying the cache", "applied", m.self.AppliedSeq, "latest", latest)
	m.cfg.Cache.Reset()
	m.self.AppliedSeq = latest
	return nil
}

// beat records the heartbeat, counts the instances alive for the rate
// limit, and now and then sweeps what has grown old.
func (m *Member) beat(ctx context.Context) error {
	now := m.cfg.Now()
	m.self.SeenAt = now
	if err := m.cfg.Store.SaveInstance(ctx, m.self); err != nil {
		return err
	}
	alive, err := m.cfg.Store.Instances(ctx, now.Add(-apikey.InstanceAlive))
	if err != nil {
		return err
	}
	m.cfg.Cache.SetInstances(max(1, len(alive)))
	if m.beats++; m.beats%60 == 1 {
		if err := m.cfg.Store.RemoveInstance(ctx, "", now.Add(-time.Hour)); err != nil {
			return err
		}
		return m.cfg.Store.PruneKeyChanges(ctx, now.Add(-keepChanges))
	}
	return nil
}

// listen wakes the loop on every committed key change. While the
// connection is down, changes may be missed: the cache is emptied and the
// loop polls often until listening again.
func (m *Member) listen(ctx context.Context) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := m.cfg.Store.ListenKeyChanges(ctx, func() {
			m.listening.Store(true)
			wait = 100 * time.Millisecond
			m.poke()
		})
		if errors.Is(err, apikey.ErrNoListen) {
			// One process on one SQLite file: its own changes reach its
			// cache directly, and the slow poll is enough for the rest.
			m.listening.Store(true)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if m.listening.Swap(false) {
			m.cfg.Cache.Reset()
		}
		m.cfg.Logger.Warn("listening for key changes", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}
