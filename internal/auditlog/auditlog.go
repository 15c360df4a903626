// Package auditlog reads the audit trail for those who may: every change to
// keys, users and accounts is written by the service that makes it, in the
// change's transaction; this package only reads.
package auditlog

import (
	"context"
	"time"

	"keyconsole/internal/apikey"
)

// Store is what reading the trail needs of the database.
type Store interface {
	Accounts(ctx context.Context) ([]apikey.Account, error)
	ListAudit(ctx context.Context, q apikey.AuditQuery) ([]apikey.AuditEvent, int, error)
	EachAudit(ctx context.Context, q apikey.AuditQuery, fn func(apikey.AuditEvent) error) error
	AuditAccountNames(ctx context.Context, ids []string) (map[string]string, error)
	LastAuditCheck(ctx context.Context) (apikey.AuditCheck, error)
}

// Service reads the audit trail.
type Service struct{ store Store }

// New returns the service on st.
func New(st Store) *Service { return &Service{store: st} }

// List returns the events q selects, newest first, and how many match. The
// actor must read the trail in every account q names; q without accounts
// (the whole trail, events of deleted accounts too) needs it everywhere.
func (s *Service) List(ctx context.Context, who apikey.Actor, q apikey.AuditQuery) ([]apikey.AuditEvent, int, error) {
	if err := s.mayRead(ctx, who, q); err != nil {
		return nil, 0, err
	}
	return s.store.ListAudit(ctx, q)
}

// ShortPartWindow is where a list of q must start when q filters by a
// part of a name under three characters, which no index finds (each event
// read is matched, and a rare part read the whole trail): the first of
// the whole UTC days that hold the newest events q's other filters select,
// at least newest of them. Whole days, as the filters' dates are, so that
// the days before can be listed next with neither gap nor overlap. It is
// nil where no bound is needed: q has a start date or a longer part (whose
// index narrows the read), or nothing lies before those days.
func (s *Service) ShortPartWindow(ctx context.Context, who apikey.Actor, q apikey.AuditQuery, newest int) (*time.Time, error) {
	short := false
	for _, part := range []string{q.Actor, q.Key} {
		switch {
		case part == "":
		case !apikey.BelowTrigrams(part):
			return nil, nil
		default:
			short = true
		}
	}
	if q.From != nil || !short {
		return nil, nil
	}
	q.Actor, q.Key, q.Page, q.PerPage = "", "", newest, 1
	events, _, err := s.List(ctx, who, q)
	if err != nil || len(events) == 0 {
		return nil, err
	}
	from := events[0].At.UTC().Truncate(24 * time.Hour)
	q.Page, q.To = 1, &from
	if before, _, err := s.List(ctx, who, q); err != nil || len(before) == 0 {
		return nil, err
	}
	return &from, nil
}

// Export calls fn with every event q selects, newest first, without
// holding them all: the CSV export of a long trail streams.
func (s *Service) Export(ctx context.Context, who apikey.Actor, q apikey.AuditQuery, fn func(apikey.AuditEvent) error) error {
	if err := s.mayRead(ctx, who, q); err != nil {
		return err
	}
	return s.store.EachAudit(ctx, q, fn)
}

// DeletedAccountNames returns the names the trail recorded for accounts
// since deleted, by id, for a reader of the whole trail (who may read its
// events of deleted accounts).
func (s *Service) DeletedAccountNames(ctx context.Context, who apikey.Actor, ids []string) (map[string]string, error) {
	if err := s.mayRead(ctx, who, apikey.AuditQuery{}); err != nil {
		return nil, err
	}
	return s.store.AuditAccountNames(ctx, ids)
}

// LastCheck is the outcome of the last walk of the trail's hash chain
// (keyconsole audit verify), for whoever may read the whole trail.
func (s *Service) LastCheck(ctx context.Context, who apikey.Actor) (apikey.AuditCheck, error) {
	if err := s.mayRead(ctx, who, apikey.AuditQuery{}); err != nil {
		return apikey.AuditCheck{}, err
	}
	return s.store.LastAuditCheck(ctx)
}

// mayRead refuses unless who may read the audit trail of every account q
// covers (the whole trail when q names none).
func (s *Service) mayRead(ctx context.Context, who apikey.Actor, q apikey.AuditQuery) error {
	accounts, err := s.store.Accounts(ctx)
	if err != nil {
		return err
	}
	paths := apikey.Paths(accounts)
	scope := q.Accounts
	if len(scope) == 0 {
		for _, a := range accounts {
			if a.ParentID == "" {
				scope = []string{a.ID}
			}
		}
	}
	for _, id := range scope {
		if !who.CanIn(apikey.ViewAudit, paths[id]) {
			return apikey.Errorf(apikey.EFORBIDDEN, "You may not read the audit trail of that account.")
		}
	}
	return nil
}
