package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"keyconsole/internal/apikey"
)

// The audit trail is a hash chain: entry n's hash covers its stored
// columns, n itself and entry n-1's hash. Changing an entry breaks its
// link, removing one leaves a gap in the numbers, inserting one breaks
// the link after it; removing the newest shows against audit_head.

// chained is an entry as stored, in the order its hash covers.
type chained struct {
	seq  int64
	cols [12]string // as chainedColumns names them
	hash string
}

const chainedColumns = `id, at, actor_kind, actor_id, actor_name, client_ip, account_id, target_id, target_name, action, changes, reason`

// link is the hash of an entry at seq after the entry hashed prev. Each
// part is length-prefixed, so no two entries hash the same text.
func link(prev string, seq int64, cols []string) string {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(prev)
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	h.Write(n[:])
	for _, c := range cols {
		put(c)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// auditCols are ev's stored columns, as chainedColumns names them.
func auditCols(ev *apikey.AuditEvent, changes string) [12]string {
	return [12]string{ev.ID, formatTime(ev.At), ev.ActorKind, ev.ActorID, ev.ActorName, ev.ClientIP,
		ev.AccountID, ev.TargetID, ev.TargetName, ev.Action, changes, ev.Reason}
}

// nextLink takes the next place in the chain inside tx: updating
// audit_head first queues concurrent writers behind this one.
func (db *DB) nextLink(ctx context.Context, tx *txn) (seq int64, prev string, err error) {
	if err := db.e.queueAudit(ctx, tx); err != nil {
		return 0, "", err
	}
	err = tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).Scan(&seq, &prev)
	if err != nil {
		return 0, "", fmt.Errorf("audit chain: %w", err)
	}
	return seq, prev, nil
}

func setHead(ctx context.Context, tx *txn, hash string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = ? WHERE id = 1`, hash); err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	return nil
}

// chainExisting links the entries written before there was a chain,
// oldest first: the migration that made the columns runs it.
func chainExisting(ctx context.Context, tx *txn) error {
	var seq int64
	prev := ""
	after := auditCursor{}
	for {
		var batch []chained
		rows, err := tx.QueryContext(ctx, `SELECT `+chainedColumns+` FROM audit_events
			WHERE at >= ? AND (at > ? OR id > ?) ORDER BY at, id LIMIT 1000`, after.at, after.at, after.id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e chained
			if err := scanChained(rows, &e, false); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			seq++
			prev = link(prev, seq, e.cols[:])
			if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET seq = ?, hash = ? WHERE id = ?`, seq, prev, e.cols[0]); err != nil {
				return err
			}
		}
		last := batch[len(batch)-1]
		after = auditCursor{at: last.cols[1], id: last.cols[0]}
	}
	_, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, seq, prev)
	return err
}

func scanChained(rows *sql.Rows, e *chained, withLink bool) error {
	dest := make([]any, 0, 14)
	if withLink {
		dest = append(dest, &e.seq, &e.hash)
	}
	for i := range len(e.cols) {
		dest = append(dest, &e.cols[i])
	}
	return rows.Scan(dest...)
}

// VerifyAudit walks the whole chain, oldest first, and names the first
// entry changed, removed or inserted; it records the outcome for the
// audit page. It reads a batch at a time by seq.
func (db *DB) VerifyAudit(ctx context.Context) (apikey.AuditCheck, error) {
	check := apikey.AuditCheck{At: db.now()}
	problem, err := db.walkChain(ctx, &check.Entries)
	if err != nil {
		return check, err
	}
	check.Problem = problem
	err = db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_verified (id, at, entries, problem) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at, entries = excluded.entries, problem = excluded.problem`,
			formatTime(check.At), check.Entries, check.Problem)
		return err
	})
	return check, err
}

func (db *DB) walkChain(ctx context.Context, entries *int64) (string, error) {
	var stray string
	err := db.reader.QueryRowContext(ctx, `SELECT id FROM audit_events WHERE seq IS NULL LIMIT 1`).Scan(&stray)
	switch {
	case err == nil:
		return fmt.Sprintf("entry %s was inserted: it has no place in the chain", stray), nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	var last, cursor int64 // the last entry that linked; the last one read
	prev := ""
	var suspect *chained // an entry that does not link: changed, or inserted if the next links past it
	for {
		batch, err := db.chainBatch(ctx, cursor)
		if err != nil || len(batch) == 0 {
			if err != nil {
				return "", err
			}
			break
		}
		cursor = batch[len(batch)-1].seq
		for i := range batch {
			e := &batch[i]
			switch {
			case suspect != nil && link(prev, e.seq-1, e.cols[:]) == e.hash:
				return fmt.Sprintf("entry %s (number %d) was inserted", suspect.cols[0], suspect.seq), nil
			case suspect != nil:
				return fmt.Sprintf("entry %s (number %d) was changed", suspect.cols[0], suspect.seq), nil
			case e.seq != last+1:
				return fmt.Sprintf("entries %d to %d were removed, before entry %s", last+1, e.seq-1, e.cols[0]), nil
			case link(prev, e.seq, e.cols[:]) != e.hash:
				s := *e
				suspect = &s
			default:
				last, prev, *entries = e.seq, e.hash, e.seq
			}
		}
	}
	if suspect != nil {
		return fmt.Sprintf("entry %s (number %d) was changed", suspect.cols[0], suspect.seq), nil
	}
	var headSeq int64
	var headHash string
	if err := db.reader.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return "", err
	}
	if headSeq != last || headHash != prev {
		return fmt.Sprintf("the newest entries were removed: the chain has %d, its head says %d", last, headSeq), nil
	}
	return "", nil
}

// chainBatch reads the next thousand entries after seq, in chain order.
func (db *DB) chainBatch(ctx context.Context, after int64) ([]chained, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT seq, hash, `+chainedColumns+` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000`, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var batch []chained
	for rows.Next() {
		var e chained
		if err := scanChained(rows, &e, true); err != nil {
			return nil, err
		}
		batch = append(batch, e)
	}
	return batch, rows.Err()
}

// LastAuditCheck is the outcome of the last VerifyAudit; zero At: never.
func (db *DB) LastAuditCheck(ctx context.Context) (apikey.AuditCheck, error) {
	var c apikey.AuditCheck
	var at string
	err := db.reader.QueryRowContext(ctx, `SELECT at, entries, problem FROM audit_verified WHERE id = 1`).Scan(&at, &c.Entries, &c.Problem)
	if errors.Is(err, sql.ErrNoRows) {
		return apikey.AuditCheck{}, nil
	}
	if err != nil {
		return c, err
	}
	c.At, err = parseTime(at)
	return c, err
}
