package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"keyconsole/internal/apikey"
)

// insertAudit writes ev inside the transaction of the change it records, so
// a change and its audit row are stored together or not at all.
func (db *DB) insertAudit(ctx context.Context, tx *txn, ev *apikey.AuditEvent) error {
	id, err := apikey.NewID("evt")
	if err != nil {
		return err
	}
	changes := ev.Changes
	if changes == nil {
		changes = []apikey.Change{}
	}
	body, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	ev.ID, ev.At = id, db.now()
	seq, prev, err := db.nextLink(ctx, tx)
	if err != nil {
		return err
	}
	cols := auditCols(ev, string(body))
	hash := link(prev, seq, cols[:])
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events
		(id, at, actor_kind, actor_id, actor_name, actor_name_fold, client_ip, account_id, target_id, target_name, target_name_fold, action, changes, reason, seq, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, formatTime(ev.At), ev.ActorKind, ev.ActorID, ev.ActorName, fold(ev.ActorName), ev.ClientIP,
		ev.AccountID, ev.TargetID, ev.TargetName, fold(ev.TargetName), ev.Action, string(body), ev.Reason, seq, hash)
	if err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return setHead(ctx, tx, hash)
}

// KeyAudit lists the newest events of one key, newest first.
func (db *DB) KeyAudit(ctx context.Context, keyID string, limit int) ([]apikey.AuditEvent, error) {
	var out []apikey.AuditEvent
	err := db.eachRow(ctx, "audit events", `SELECT id, at, actor_kind, actor_id, actor_name, client_ip,
		account_id, target_id, target_name, action, changes, reason FROM audit_events WHERE target_id = ? ORDER BY at DESC, id DESC LIMIT ?`,
		[]any{keyID, limit}, func(rows *sql.Rows) error {
			ev, err := scanAudit(rows)
			if err == nil {
				out = append(out, ev)
			}
			return err
		})
	return out, err
}

// ListAudit returns the events q selects, newest first, and how many match
// (counted up to one past apikey.AuditCountCap).
func (db *DB) ListAudit(ctx context.Context, in apikey.AuditQuery) ([]apikey.AuditEvent, int, error) {
	q, err := db.auditQuery(ctx, in)
	if err != nil {
		return nil, 0, err
	}
	where, args := auditFilter(q, nil)
	args = slices.Clip(args) // appended to by both reads
	// Counted up to one past the cap, enough to say "more than", beside
	// the page's read, unless the trigram index told it.
	countCtx, stopCount := context.WithCancel(ctx) // a failed page's count is not awaited to its end
	defer stopCount()
	var g errgroup.Group
	total, known := q.knownTotal()
	if !known {
		g.Go(func() error {
			err := db.reader.QueryRowContext(countCtx, `SELECT COUNT(*) FROM (SELECT 1 FROM audit_events`+where+` LIMIT ?) capped`,
				append(args, apikey.AuditCountCap+1)...).Scan(&total)
			if err != nil {
				return fmt.Errorf("count audit events: %w", err)
			}
			return nil
		})
	}
	query, pageArgs := db.auditPageQuery(q, where, args)
	var out []apikey.AuditEvent
	err = db.eachRow(ctx, "audit events", query, pageArgs, func(rows *sql.Rows) error {
		ev, _, err := scanAuditAt(rows)
		if err == nil {
			out = append(out, ev)
		}
		return err
	})
	if err != nil {
		stopCount()
	}
	if counted := g.Wait(); err == nil {
		err = counted
	}
	return out, total, err
}

// auditPageQuery is the query of q's page (of every event q selects when
// it has no PerPage), where and args being q's filter. The page's ids are
// read first, along an index, and then the page's rows alone: the events
// before a deep page are skipped in the index (PostgreSQL read each one's
// row: 41 ms at page 400, 74 by action). Without a name filter, the events
// of several accounts (an account and those below it) are read along each
// account's own index, merged as they come: sorted together, the events
// before page 400 below a big account cost 70 ms on SQLite, against 5.
// Events a name filter found along its index are few: read as they are.
func (db *DB) auditPageQuery(q auditQuery, where string, args []any) (string, []any) {
	order := ` ORDER BY at DESC, id DESC`
	if q.PerPage <= 0 {
		return auditColumns + where + order, args
	}
	offset := (max(q.Page, 1) - 1) * q.PerPage
	if q.actor.drives || q.key.drives {
		return auditColumns + where + order + ` LIMIT ? OFFSET ?`, append(slices.Clip(args), q.PerPage, offset)
	}
	parts, partArgs := []string{`SELECT id, at FROM audit_events` + where}, slices.Clip(args)
	// Not with a name filter: each account's part would ask PostgreSQL's
	// trigram index again (28 ms each for a part below the big account).
	if n := len(q.Accounts); n > 1 && n <= maxMergedAccounts && q.Actor == "" && q.Key == "" {
		parts, partArgs = make([]string, n), nil
		for i, account := range q.Accounts {
			one := q
			one.Accounts = []string{account}
			w, a := auditFilter(one, nil)
			parts[i] = `SELECT id, at FROM audit_events` + w
			partArgs = append(partArgs, a...)
		}
	}
	return auditColumns + ` WHERE id IN (SELECT id FROM (` + db.e.mergeInOrder(parts, `at DESC, id DESC`, offset+q.PerPage) +
		`) page)` + order, append(partArgs, q.PerPage, offset)
}

// auditQuery is an audit query with its name filters decided.
type auditQuery struct {
	apikey.AuditQuery
	actor, key nameMatch
}

// nameMatch is how a filter by a part of a name is matched (cond, with
// args). On SQLite, by the events its trigram index found, by their
// places in the chain (drives: they lead the query), unless the part is
// too short for trigrams or the index found more than
// apikey.AuditCountCap (common: matches that common fill a page along the
// events' time quickly); then by LIKE. On PostgreSQL by LIKE, whose
// planner reads the trigram index, or the time index, as the part's
// statistics say (asked for the telling part only, as the keys search
// asks, it misjudged a part most events have: 0.1 ms became 79).
type nameMatch struct {
	cond           string
	args           []any
	drives, common bool
	found          int // the events found, where drives
}

// auditQuery decides how in's name filters are matched.
func (db *DB) auditQuery(ctx context.Context, in apikey.AuditQuery) (auditQuery, error) {
	q := auditQuery{AuditQuery: in}
	var err error
	if in.Actor != "" {
		if q.actor, err = db.matchName(ctx, "actor", "actor_name_fold", in.Actor); err != nil {
			return q, err
		}
	}
	if in.Key != "" {
		q.key, err = db.matchName(ctx, "target", "target_name_fold", in.Key)
	}
	return q, err
}

// matchName decides how part is matched in the names of column, which
// the trigram index names indexed.
func (db *DB) matchName(ctx context.Context, indexed, column, part string) (nameMatch, error) {
	scan := nameMatch{cond: column + ` LIKE ? ESCAPE '\'`, args: []any{likeContains(part)}}
	if apikey.BelowTrigrams(part) {
		// Written so that no trigram index serves it: PostgreSQL's planner
		// read every entry of one for "%ab%" (0.7 s for a million events).
		scan.cond = `(` + column + ` || '') LIKE ? ESCAPE '\'`
		return scan, nil
	}
	index := db.e.auditSearchIndex(indexed)
	if index == "" {
		return scan, nil
	}
	seqs, found, err := db.alongTrigrams(ctx, index, part, apikey.AuditCountCap+1)
	if err != nil {
		return nameMatch{}, err
	}
	if found > apikey.AuditCountCap {
		scan.common = true
		return scan, nil
	}
	return nameMatch{cond: `seq IN (SELECT value FROM json_each(?))`, args: []any{seqs}, drives: true, found: found}, nil
}

// knownTotal is the total of a query whose one filter is by a name part
// where the trigram index told it: more than the cap where it found more,
// else, for the actor's name (a target's also matches its id), what it
// found.
func (q auditQuery) knownTotal() (int, bool) {
	filters := 0
	for _, set := range []bool{q.Actor != "", q.Key != "", q.Action != "", len(q.Accounts) > 0, q.From != nil, q.To != nil} {
		if set {
			filters++
		}
	}
	switch {
	case filters != 1:
		return 0, false
	case q.actor.common || q.key.common:
		return apikey.AuditCountCap + 1, true
	case q.actor.drives:
		return q.actor.found, true
	}
	return 0, false
}

// AuditAccountNames returns the names the audit trail recorded for the
// accounts ids (deleted ones, typically) when they were created, moved or
// deleted: the latest of each, by id; an id the trail never named is left out.
func (db *DB) AuditAccountNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{apikey.ActionAccountCreated, apikey.ActionAccountMoved, apikey.ActionAccountDeleted}
	for _, id := range ids {
		args = append(args, id)
	}
	err := db.eachRow(ctx, "audit account names", `SELECT target_id, target_name FROM audit_events
		WHERE action IN (?, ?, ?) AND target_id IN (`+placeholders(len(ids))+`) ORDER BY at, id`, args,
		func(rows *sql.Rows) error {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = name
			return nil
		})
	return out, err
}

// auditBatch is how many events EachAudit reads at a time.
var auditBatch = 1000

// EachAudit calls fn with every event q selects, newest first. It reads a
// batch at a time, each starting where the last ended (by time and id, not
// by offset): memory stays the same however long the trail, and no
// connection is held while fn writes the events out.
func (db *DB) EachAudit(ctx context.Context, in apikey.AuditQuery, fn func(apikey.AuditEvent) error) error {
	q, err := db.auditQuery(ctx, in)
	if err != nil {
		return err
	}
	var after *auditCursor
	for {
		where, args := auditFilter(q, after)
		var batch []apikey.AuditEvent
		var last auditCursor
		err := db.eachRow(ctx, "audit events", auditColumns+where+` ORDER BY at DESC, id DESC LIMIT ?`, append(args, auditBatch),
			func(rows *sql.Rows) error {
				ev, at, err := scanAuditAt(rows)
				if err == nil {
					batch, last = append(batch, ev), auditCursor{at, ev.ID}
				}
				return err
			})
		if err != nil {
			return err
		}
		for _, ev := range batch {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(batch) < auditBatch {
			return nil
		}
		after = &last
	}
}

// auditCursor is where a batch of events ended: the stored time, as text,
// and the id.
type auditCursor struct{ at, id string }

const auditColumns = `SELECT id, at, actor_kind, actor_id, actor_name, client_ip, account_id, target_id, target_name, action, changes, reason
		FROM audit_events`

// auditFilter is the WHERE clause for q, for events older than after when
// it is set. Where a name filter found its events along the trigram
// index, they drive the query: the other columns' indexes are kept out of
// the plan (a "+" before the column), or SQLite would read every event of
// a big account, or of the time index, and test each against the few.
func auditFilter(q auditQuery, after *auditCursor) (string, []any) {
	var conds []string
	var args []any
	col := func(c string) string { return c }
	if q.actor.drives || q.key.drives {
		col = func(c string) string { return "+" + c }
	}
	if q.Actor != "" {
		conds = append(conds, q.actor.cond)
		args = append(args, q.actor.args...)
	}
	if q.Key != "" {
		conds = append(conds, `(target_id = ? OR `+q.key.cond+`)`)
		args = append(append(args, q.Key), q.key.args...)
	}
	if q.Action != "" {
		conds = append(conds, col("action")+` = ?`)
		args = append(args, q.Action)
	}
	if len(q.Accounts) > 0 {
		conds = append(conds, col("account_id")+` IN (`+placeholders(len(q.Accounts))+`)`)
		for _, a := range q.Accounts {
			args = append(args, a)
		}
	}
	if q.From != nil {
		conds = append(conds, col("at")+` >= ?`)
		args = append(args, formatTime(*q.From))
	}
	if q.To != nil {
		conds = append(conds, col("at")+` < ?`)
		args = append(args, formatTime(*q.To))
	}
	if after != nil {
		// Written so that the time alone bounds a read along the index.
		conds = append(conds, col("at")+` <= ? AND (at < ? OR id < ?)`)
		args = append(args, after.at, after.at, after.id)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func scanAudit(rows *sql.Rows) (apikey.AuditEvent, error) {
	ev, _, err := scanAuditAt(rows)
	return ev, err
}

// scanAuditAt reads an event and its time as stored.
func scanAuditAt(rows *sql.Rows) (apikey.AuditEvent, string, error) {
	var ev apikey.AuditEvent
	var at, changes string
	if err := rows.Scan(&ev.ID, &at, &ev.ActorKind, &ev.ActorID, &ev.ActorName, &ev.ClientIP,
		&ev.AccountID, &ev.TargetID, &ev.TargetName, &ev.Action, &changes, &ev.Reason); err != nil {
		return ev, at, err
	}
	var err error
	if ev.At, err = parseTime(at); err != nil {
		return ev, at, err
	}
	return ev, at, json.Unmarshal([]byte(changes), &ev.Changes)
}
