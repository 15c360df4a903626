package store

import (
	"context"
	"fmt"
	"time"

	"keyconsole/internal/apikey"
)

// signInSubjects are the throttle's keys for a username, an address, and
// the two together. The username is hashed: what was typed may be a
// password, or huge.
func signInSubjects(username, ip string) (user, addr, pair string) {
	return "u:" + apikey.HashSecret(username), "i:" + ip, "p:" + apikey.HashSecret(username+"\n"+ip)
}

// SignInCounts reads what the throttle weighs a try of username from ip
// by: failures since `since` of the pair, the username and the address,
// the pair's latest, and whether the pair signed in since knownSince.
func (db *DB) SignInCounts(ctx context.Context, username, ip string, since, knownSince time.Time) (apikey.SignInCounts, error) {
	user, addr, pair := signInSubjects(username, ip)
	after := formatTime(since)
	var c apikey.SignInCounts
	var last string
	var known int
	err := db.reader.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM signin_failures WHERE subject = ? AND at > ?),
		(SELECT COALESCE(MAX(at), '') FROM signin_failures WHERE subject = ? AND at > ?),
		(SELECT COUNT(*) FROM signin_failures WHERE subject = ? AND at > ?),
		(SELECT COUNT(*) FROM signin_failures WHERE subject = ? AND at > ?),
		(SELECT COUNT(*) FROM signin_known WHERE subject = ? AND at > ?)`,
		pair, after, pair, after, user, after, addr, after, pair, formatTime(knownSince)).
		Scan(&c.Pair, &last, &c.User, &c.Address, &known)
	if err != nil {
		return c, fmt.Errorf("count sign-in failures: %w", err)
	}
	if last != "" {
		if c.LastPair, err = parseTime(last); err != nil {
			return c, err
		}
	}
	c.Known = known > 0
	return c, nil
}

// RecordSignInFailure counts a failed try of username from ip at `at`
// against the pair, the username and the address, with the audit events
// (none when the username is nobody's) in the same transaction.
func (db *DB) RecordSignInFailure(ctx context.Context, username, ip string, at time.Time, events []*apikey.AuditEvent) error {
	user, addr, pair := signInSubjects(username, ip)
	when := formatTime(at)
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO signin_failures (subject, at) VALUES (?, ?), (?, ?), (?, ?)`,
			pair, when, user, when, addr, when); err != nil {
			return fmt.Errorf("count sign-in failure: %w", err)
		}
		for _, ev := range events {
			if err := db.insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordSignInSuccess forgets the failures of username from ip (not those
// of the username or the address elsewhere: one good password must not
// reset guessing at others), remembers the pair as known, and writes the
// audit event ev, in one transaction.
func (db *DB) RecordSignInSuccess(ctx context.Context, username, ip string, at time.Time, ev *apikey.AuditEvent) error {
	_, _, pair := signInSubjects(username, ip)
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE subject = ?`, pair); err != nil {
			return fmt.Errorf("forget sign-in failures: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signin_known (subject, at) VALUES (?, ?)
			ON CONFLICT (subject) DO UPDATE SET at = excluded.at`, pair, formatTime(at)); err != nil {
			return fmt.Errorf("remember sign-in address: %w", err)
		}
		if ev == nil {
			return nil
		}
		return db.insertAudit(ctx, tx, ev)
	})
}

// DeleteSignInFailuresBefore removes failures older than before and known
// pairs older than knownBefore, which no longer count: the sweep that
// keeps the tables small.
func (db *DB) DeleteSignInFailuresBefore(ctx context.Context, before, knownBefore time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE at < ?`, formatTime(before))
		if err != nil {
			return fmt.Errorf("sweep sign-in failures: %w", err)
		}
		n, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_known WHERE at < ?`, formatTime(knownBefore)); err != nil {
			return fmt.Errorf("sweep known sign-in addresses: %w", err)
		}
		return nil
	})
	return n, err
}
