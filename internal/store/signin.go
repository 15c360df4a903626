package store

import (
	"context"
	"fmt"
	"time"

	"keyconsole/internal/apikey"
)

// signInSubjects are the throttle's keys for a username and an address.
// The username is hashed: what was typed may be a password, or huge.
func signInSubjects(username, ip string) (user, addr string) {
	return "u:" + apikey.HashSecret(username), "i:" + ip
}

// ReserveSignInTry reserves a sign-in try for username from ip at now, or
// refuses it (false) when either has limit failures within window before
// now. The try counts as a failure of both until SignInSucceeded gives it
// back. Counting and inserting in one write transaction keeps parallel
// tries, from any instance, from all slipping past the limit.
func (db *DB) ReserveSignInTry(ctx context.Context, username, ip string, now time.Time, limit int, window time.Duration) (bool, error) {
	user, addr := signInSubjects(username, ip)
	since, at := formatTime(now.Add(-window)), formatTime(now)
	var ok bool
	err := db.inTx(ctx, func(tx *txn) error {
		var byUser, byAddr int
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM signin_failures WHERE subject = ? AND at > ?),
			(SELECT COUNT(*) FROM signin_failures WHERE subject = ? AND at > ?)`,
			user, since, addr, since).Scan(&byUser, &byAddr)
		if err != nil {
			return fmt.Errorf("count sign-in failures: %w", err)
		}
		if ok = byUser < limit && byAddr < limit; !ok {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signin_failures (subject, at) VALUES (?, ?), (?, ?)`,
			user, at, addr, at); err != nil {
			return fmt.Errorf("count sign-in try: %w", err)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// SignInSucceeded forgets the username's failures and gives back the one
// try the address reserved at `at`; its other failures stay, so one good
// account cannot be used to reset guessing at others.
func (db *DB) SignInSucceeded(ctx context.Context, username, ip string, at time.Time) error {
	user, addr := signInSubjects(username, ip)
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE subject = ?`, user); err != nil {
			return fmt.Errorf("forget sign-in failures: %w", err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE id =
			(SELECT MIN(id) FROM signin_failures WHERE subject = ? AND at = ?)`, addr, formatTime(at))
		if err != nil {
			return fmt.Errorf("give back sign-in try: %w", err)
		}
		return nil
	})
}

// DeleteSignInFailuresBefore removes failures older than before, which no
// longer count: the sweep that keeps the table small.
func (db *DB) DeleteSignInFailuresBefore(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE at < ?`, formatTime(before))
		if err != nil {
			return fmt.Errorf("sweep sign-in failures: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
