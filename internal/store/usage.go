package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"keyconsole/internal/apikey"
	"slices"
	"strings"
	"time"
)

// RecordUsage adds a batch of counts and last uses in one transaction.
func (db *DB) RecordUsage(ctx context.Context, uses []apikey.LastUse, counts []apikey.UsageCount) error {
	return db.RecordUsageBatch(ctx, apikey.UsageBatch{LastUses: uses, Counts: counts})
}

// RecordUsageBatch adds a batch of last uses, counts and client addresses
// in one transaction, many rows per statement. Keys deleted since the
// requests are skipped, not an error.
func (db *DB) RecordUsageBatch(ctx context.Context, b apikey.UsageBatch) error {
	return db.inTx(ctx, func(tx *txn) error {
		if err := recordLastUses(ctx, tx, b.LastUses); err != nil {
			return err
		}
		if err := recordIPRefusals(ctx, tx, b.Counts); err != nil {
			return err
		}
		if err := recordCounts(ctx, tx, b.Counts); err != nil {
			return err
		}
		return db.recordAddresses(ctx, tx, b.Addresses)
	})
}

// usageRowsPer is how many rows one statement writes.
const usageRowsPer = 500

// recordLastUses moves each key's last use on where the stored one is
// older than the new by more than its Every: the others are not rewritten.
func recordLastUses(ctx context.Context, tx *txn, uses []apikey.LastUse) error {
	for start := 0; start < len(uses); start += usageRowsPer {
		chunk := uses[start:min(start+usageRowsPer, len(uses))]
		args := make([]any, 0, 4*len(chunk))
		for _, u := range chunk {
			args = append(args, u.KeyID, formatTime(u.At), u.From, formatTime(u.At.Add(-u.Every)))
		}
		_, err := tx.ExecContext(ctx, `WITH v (id, at, ip, older) AS (VALUES `+valueRows(len(chunk), "?, ?, ?, ?")+`)
			UPDATE api_keys SET last_used_at = v.at, last_used_from = v.ip FROM v
			WHERE api_keys.id = v.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < v.older)`, args...)
		if err != nil {
			return fmt.Errorf("record last use: %w", err)
		}
	}
	return nil
}

func recordCounts(ctx context.Context, tx *txn, counts []apikey.UsageCount) error {
	for start := 0; start < len(counts); start += usageRowsPer {
		chunk := counts[start:min(start+usageRowsPer, len(counts))]
		args := make([]any, 0, 4*len(chunk))
		for _, c := range chunk {
			args = append(args, c.KeyID, c.Day, c.Code, c.Count)
		}
		// INSERT ... ON CONFLICT DO UPDATE reads the same in SQLite and
		// PostgreSQL; "WHERE true" tells SQLite's parser the SELECT ended.
		_, err := tx.ExecContext(ctx, `WITH v (key_id, day, code, count) AS (VALUES `+valueRows(len(chunk), "?, ?, ?, CAST(? AS INTEGER)")+`)
			INSERT INTO api_key_usage (key_id, day, code, count)
			SELECT v.key_id, v.day, v.code, v.count FROM v JOIN api_keys k ON k.id = v.key_id WHERE true
			ON CONFLICT (key_id, day, code) DO UPDATE SET count = api_key_usage.count + excluded.count`, args...)
		if err != nil {
			return fmt.Errorf("record usage: %w", err)
		}
	}
	return nil
}

// AddressesPerDay bounds the addresses a key keeps one by one for a day;
// requests from more addresses are counted together, as OtherAddresses.
// Someone rotating through addresses (free with IPv6) then adds at most
// this many rows a key and day. The usage tab shows the top 10 over 30
// days: a hundred a day leaves room for a key's regular clients (offices,
// NAT gateways, a fleet's egress) beside such noise, and an address kept
// once stays counted one by one for the rest of the day.
const AddressesPerDay = 100

// recordAddresses adds requests per client address: rows of addresses
// already kept that day are added to; new addresses are kept, busiest
// first, while the key has fewer than AddressesPerDay that day, and the
// rest are added to that day's OtherAddresses row. (PostgreSQL runs this
// serializable, so two instances cannot both take the last places.)
func (db *DB) recordAddresses(ctx context.Context, tx *txn, rows []apikey.AddressUse) error {
	for start := 0; start < len(rows); start += usageRowsPer {
		chunk := rows[start:min(start+usageRowsPer, len(rows))]
		kept, err := db.addressesKept(ctx, tx, chunk)
		if err != nil {
			return err
		}
		chunk = capAddresses(chunk, kept)
		args := make([]any, 0, 6*len(chunk))
		for _, a := range chunk {
			args = append(args, a.KeyID, a.Day, a.Address, a.Requests, a.Refused, formatTime(a.LastSeen))
		}
		_, err = tx.ExecContext(ctx, `WITH v (key_id, day, address, requests, refused, last_seen) AS (VALUES `+
			valueRows(len(chunk), "?, ?, ?, CAST(? AS INTEGER), CAST(? AS INTEGER), ?")+`)
			INSERT INTO api_key_usage_addresses (key_id, day, address, requests, refused, last_seen)
			SELECT v.key_id, v.day, v.address, v.requests, v.refused, v.last_seen FROM v JOIN api_keys k ON k.id = v.key_id WHERE true
			ON CONFLICT (key_id, day, address) DO UPDATE SET
				requests = api_key_usage_addresses.requests + excluded.requests,
				refused = api_key_usage_addresses.refused + excluded.refused,
				last_seen = CASE WHEN excluded.last_seen > api_key_usage_addresses.last_seen
					THEN excluded.last_seen ELSE api_key_usage_addresses.last_seen END`, args...)
		if err != nil {
			return fmt.Errorf("record usage addresses: %w", err)
		}
	}
	return nil
}

// keyDay is one key's day.
type keyDay struct{ keyID, day string }

// addressesKept says, for the keys and days of rows, which of their
// addresses have rows already and how many addresses each keeps.
type addressesKept struct {
	has   map[keyDay]map[string]bool
	count map[keyDay]int
}

func (db *DB) addressesKept(ctx context.Context, tx *txn, rows []apikey.AddressUse) (addressesKept, error) {
	kept := addressesKept{has: map[keyDay]map[string]bool{}, count: map[keyDay]int{}}
	var args []any
	for _, a := range rows {
		kd := keyDay{a.KeyID, a.Day}
		if kept.has[kd] == nil {
			kept.has[kd] = map[string]bool{}
			args = append(args, a.KeyID, a.Day)
		}
	}
	// Every address each key and day keeps (at most AddressesPerDay and
	// the other row), read along the primary key once per key and day.
	err := db.eachRowIn(ctx, tx, "usage addresses", `WITH v (key_id, day) AS (VALUES `+valueRows(len(args)/2, "?, ?")+`)
		SELECT a.key_id, a.day, a.address FROM api_key_usage_addresses a JOIN v ON a.key_id = v.key_id AND a.day = v.day`,
		args, func(r *sql.Rows) error {
			var kd keyDay
			var address string
			if err := r.Scan(&kd.keyID, &kd.day, &address); err != nil {
				return err
			}
			kept.has[kd][address] = true
			if address != apikey.OtherAddresses {
				kept.count[kd]++
			}
			return nil
		})
	return kept, err
}

// capAddresses folds the new addresses beyond each key's and day's
// AddressesPerDay into its OtherAddresses row, busiest kept first; every
// key, day and address appears once in what it returns.
func capAddresses(rows []apikey.AddressUse, kept addressesKept) []apikey.AddressUse {
	byRequests := slices.Clone(rows)
	slices.SortStableFunc(byRequests, func(a, b apikey.AddressUse) int { return cmp.Compare(b.Requests, a.Requests) })
	type rowKey struct {
		keyDay
		address string
	}
	out := make([]apikey.AddressUse, 0, len(rows))
	at := map[rowKey]int{} // where each row went in out
	for _, a := range byRequests {
		kd := keyDay{a.KeyID, a.Day}
		if a.Address != apikey.OtherAddresses && !kept.has[kd][a.Address] {
			if kept.count[kd] >= AddressesPerDay {
				a.Address = apikey.OtherAddresses
			} else {
				kept.count[kd]++
				kept.has[kd][a.Address] = true
			}
		}
		k := rowKey{kd, a.Address}
		if i, ok := at[k]; ok {
			out[i].Requests += a.Requests
			out[i].Refused += a.Refused
			if a.LastSeen.After(out[i].LastSeen) {
				out[i].LastSeen = a.LastSeen
			}
			continue
		}
		at[k] = len(out)
		out = append(out, a)
	}
	return out
}

// recordIPRefusals moves each key's last refusal for its client address
// (IP_NOT_ALLOWED) to the latest of counts, never back.
func recordIPRefusals(ctx context.Context, tx *txn, counts []apikey.UsageCount) error {
	latest := map[string]time.Time{} // one row a key: an UPDATE FROM picks any of several
	for _, c := range counts {
		if c.Code == apikey.CodeIPNotAllowed && c.Latest.After(latest[c.KeyID]) {
			latest[c.KeyID] = c.Latest
		}
	}
	args := make([]any, 0, 2*len(latest))
	for id, at := range latest {
		args = append(args, id, formatTime(at))
	}
	const per = 500
	for start := 0; start < len(args); start += 2 * per {
		chunk := args[start:min(start+2*per, len(args))]
		_, err := tx.ExecContext(ctx, `WITH v (id, at) AS (VALUES `+valueRows(len(chunk)/2, "?, ?")+`)
			UPDATE api_keys SET last_ip_refused_at = v.at FROM v
			WHERE api_keys.id = v.id AND (api_keys.last_ip_refused_at IS NULL OR api_keys.last_ip_refused_at < v.at)`, chunk...)
		if err != nil {
			return fmt.Errorf("record IP refusal: %w", err)
		}
	}
	return nil
}

// valueRows is n rows of a VALUES list, each (row).
func valueRows(n int, row string) string {
	return strings.TrimSuffix(strings.Repeat("("+row+"),", n), ",")
}

// KeyUsage lists a key's daily counts from the day since on, oldest first.
func (db *DB) KeyUsage(ctx context.Context, keyID, since string) ([]apikey.UsageCount, error) {
	var out []apikey.UsageCount
	err := db.eachRow(ctx, "usage", `SELECT key_id, day, code, count FROM api_key_usage
		WHERE key_id = ? AND day >= ? ORDER BY day, code`, []any{keyID, since}, func(rows *sql.Rows) error {
		var c apikey.UsageCount
		if err := rows.Scan(&c.KeyID, &c.Day, &c.Code, &c.Count); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// KeyAddresses lists the client addresses that used a key most from the
// day since on, each summed over the days: the top n, busiest first, then,
// when there are more, all the rest together as one OtherAddresses row.
func (db *DB) KeyAddresses(ctx context.Context, keyID, since string, n int) ([]apikey.AddressUse, error) {
	var out []apikey.AddressUse
	err := db.eachRow(ctx, "usage addresses", `WITH per AS (
			SELECT address, SUM(requests) AS requests, SUM(refused) AS refused, MAX(last_seen) AS last_seen
			FROM api_key_usage_addresses WHERE key_id = ? AND day >= ? GROUP BY address),
		ranked AS (
			SELECT requests, refused, last_seen,
				CASE WHEN address <> '' AND ROW_NUMBER() OVER (ORDER BY address = '', requests DESC, address) <= CAST(? AS INTEGER)
					THEN address ELSE '' END AS shown
			FROM per)
		SELECT shown, SUM(requests), SUM(refused), MAX(last_seen) FROM ranked
		GROUP BY shown ORDER BY shown = '', SUM(requests) DESC, shown`, []any{keyID, since, n}, func(rows *sql.Rows) error {
		a := apikey.AddressUse{KeyID: keyID}
		var last string
		if err := rows.Scan(&a.Address, &a.Requests, &a.Refused, &last); err != nil {
			return err
		}
		var err error
		a.LastSeen, err = parseTime(last)
		out = append(out, a)
		return err
	})
	return out, err
}

// PruneUsage removes the daily counts and addresses of days before the day
// given (YYYY-MM-DD), a thousand rows a transaction so that writers never
// wait long, and returns how many rows went.
func (db *DB) PruneUsage(ctx context.Context, before string) (int64, error) {
	var total int64
	for _, t := range []struct{ table, key string }{
		{"api_key_usage", "key_id, day, code"},
		{"api_key_usage_addresses", "key_id, day, address"},
	} {
		n, err := db.pruneDays(ctx, t.table, t.key, before)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// pruneDays removes the rows of table (with primary key columns key) of
// days before the day given.
func (db *DB) pruneDays(ctx context.Context, table, key, before string) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.inTx(ctx, func(tx *txn) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE (`+key+`) IN
				(SELECT `+key+` FROM `+table+` WHERE day < ? LIMIT 1000)`, before)
			if err != nil {
				return fmt.Errorf("prune %s: %w", table, err)
			}
			n, err = res.RowsAffected()
			return err
		})
		total += n
		if err != nil || n < 1000 {
			return total, err
		}
	}
}
