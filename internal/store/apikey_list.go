package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"keyconsole/internal/apikey"
)

// countCap bounds how far keys are counted: past it a list says "more
// than", which costs a few milliseconds instead of a scan of the account.
const countCap = apikey.KeyCountCap

// countCapOf is how far q's keys are counted. An attention rule's list
// counts as far as the attention panel that links to it: its keys are
// tested one by one, and counting 10,000 of them cost 4.4-9.5 ms on
// PostgreSQL.
func countCapOf(q apikey.KeyQuery) int {
	if q.Attention != "" {
		return apikey.AttentionCountCap
	}
	return countCap
}

// maxInherited bounds the keys inherited from the accounts above that are
// merged into a page in Go; past it, one query sorts them all together.
const maxInherited = 500

// ListKeys returns the page of keys q selects. The first of q.AccountIDs
// is the account the list is for, the others those above it: its own keys
// are read a page at a time along an index, the few inherited ones whole,
// and the two merged in the list's order; many inherited ones are merged
// by the database (listMerged).
func (db *DB) ListKeys(ctx context.Context, in apikey.KeyQuery) (apikey.KeyPage, error) {
	q := keyQuery{KeyQuery: in}
	page := apikey.KeyPage{Page: max(q.Page, 1), PerPage: q.PerPage}
	if page.PerPage <= 0 {
		page.PerPage = apikey.DefaultPerPage
	}
	if len(q.AccountIDs) == 0 {
		return page, nil
	}
	var err error
	if q.search, err = db.searchKeys(ctx, q.Search, q.AccountIDs, q.Sort); err != nil {
		return page, err
	}
	db.decideIndex(&q)
	offset := (page.Page - 1) * page.PerPage
	if q.Offset > 0 {
		offset = q.Offset
	}
	own, above := q, q
	own.AccountIDs, above.AccountIDs = q.AccountIDs[:1], q.AccountIDs[1:]
	limit := countCapOf(in)
	var inherited []*apikey.Key
	if len(above.AccountIDs) > 0 {
		// Counted before they are read: sorting many would be the cost
		// this avoids.
		where, args := keyFilter(above)
		n, err := db.countKeysUpTo(ctx, where, args, maxInherited+1)
		if err != nil {
			return page, err
		}
		if n > maxInherited {
			return db.listMerged(ctx, q, page, offset)
		}
		if inherited, err = db.queryKeyRows(ctx, `SELECT `+keyColumns+` FROM api_keys`+where+` ORDER BY `+keyOrder(q.Sort), args...); err != nil {
			return page, err
		}
	}
	where, args := keyFilter(own)
	n, counted := 0, false
	if q.Attention != "" && own.indexHint != "" {
		// How many a rule finds decides the index, before the page is read.
		if n, err = db.countKeysUpTo(ctx, where, args, max(limit, attentionSortMax)+1); err != nil {
			return page, err
		}
		counted = true
		if db.readInOrder(&own, n) {
			where, args = keyFilter(own)
		}
	}
	// Of the own keys, at most len(inherited) before the page's start can
	// have been pushed onto it by inherited ones.
	from := max(0, offset-len(inherited))
	want := page.PerPage + offset - from
	// Where the page may not show the total (it cannot run past the cap),
	// the keys are counted beside its read rather than after it; where the
	// rows do show it, they give it, and the count is not used.
	args = slices.Clip(args) // appended to by both
	count := func() (int, error) { return db.countKeysUpTo(ctx, where, args, limit+1) }
	if !counted && from+want+1 <= limit {
		var g errgroup.Group
		var c int
		countNow := count // the count itself, not what awaits it below
		g.Go(func() (err error) { c, err = countNow(); return err })
		defer g.Wait() // however the list returns: no query outlives it
		count = func() (int, error) { return c, g.Wait() }
	}
	// One row more than the page needs: where the page itself shows the
	// total (it ends short of it, or runs past the cap), its rows give it.
	rows, err := db.queryKeyRows(ctx, db.keyPageQuery(where, q.Sort, q.search.scans()), append(args, want+1, from)...)
	if err != nil {
		return page, err
	}
	got := len(rows)
	total, shown := ownTotal(got, want, from, limit)
	switch {
	case shown:
		n = total
	case !counted:
		if n, err = count(); err != nil {
			return page, err
		}
	}
	// Past the cap a total is a floor ("more than"): the cap, or the
	// page's end where own keys are seen to follow it. Where the read
	// ended, every key was seen: exact, however many.
	page.Own = n
	if ended := shown && got <= want; !ended && n > limit {
		page.Own, page.OwnMoreThan = limit, true
		if got > want {
			page.Own = max(limit, from+want)
		}
	}
	page.Total, page.MoreThan = page.Own+len(inherited), page.OwnMoreThan
	rows = rows[:min(got, want)]
	if !page.MoreThan && offset >= page.Total {
		return page, nil // past the end: nothing to show
	}
	if from > 0 && len(rows) == 0 && len(inherited) > 0 {
		// Past the own keys' end: where the inherited ones fall is not
		// known from here, so the last pages sort everything together.
		all := q
		all.Offset, all.Page = 0, 1
		return db.listTogether(ctx, all, page, offset)
	}
	before := keyLess(q.Sort)
	// The merged list from rows[0] on starts at from plus the inherited
	// keys that sort before rows[0]; from the very start, it holds them all.
	k0 := 0
	if from > 0 {
		k0 = sort.Search(len(inherited), func(i int) bool { return !before(inherited[i], rows[0]) })
	}
	merged := mergeKeys(rows, inherited[k0:], before)
	start := offset - (from + k0)
	if start < len(merged) {
		page.Keys = merged[start:min(len(merged), start+page.PerPage)]
	}
	return page, db.loadKeyChildren(ctx, page.Keys)
}

// ownTotal is how many keys there are from what a page read from row from,
// asking for want rows and one more, found: got. It is shown when the read
// ended short of its limit (then every key after from was read: exact),
// or ran past the count's cap, limit (then it is a floor); otherwise the
// keys must be counted.
func ownTotal(got, want, from, limit int) (n int, shown bool) {
	switch {
	case got > want && from+got > limit:
		return from + got, true
	case got <= want && (got > 0 || from == 0):
		return from + got, true
	}
	return 0, false
}

// countKeysUpTo counts the keys where selects, as far as limit.
func (db *DB) countKeysUpTo(ctx context.Context, where string, args []any, limit int) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, keyCountQuery(where), append(args, limit)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count keys: %w", err)
	}
	return n, nil
}

// keyCountQuery counts the keys where selects, as far as its last
// parameter.
func keyCountQuery(where string) string {
	return `SELECT COUNT(*) FROM (SELECT 1 FROM api_keys` + where + ` LIMIT ?) capped`
}

// listMerged pages, for an account below one with many keys, through the
// keys of each account of q, each read along its index: the database
// merges them as they come and gives the page's ids, and only the page's
// rows are read. (Merging whole rows in Go read every one of them: 10,000
// for a page 200 deep.)
func (db *DB) listMerged(ctx context.Context, q keyQuery, page apikey.KeyPage, offset int) (apikey.KeyPage, error) {
	limit := countCapOf(q.KeyQuery)
	if q.indexHint != "" || len(q.AccountIDs) > maxMergedAccounts {
		// Counted first: each account's count chooses the index its keys
		// are read along, and a chain too deep to merge is not sorted for
		// a page past its end.
		parts, counts, err := db.byAccountCounted(ctx, q, max(limit, attentionSortMax)+1)
		if err != nil {
			return page, err
		}
		page = withMergedTotals(page, counts, limit)
		if !page.MoreThan && offset >= page.Total {
			return page, nil
		}
		if len(parts) > maxMergedAccounts {
			return db.listTogether(ctx, q, page, offset)
		}
		page.Keys, err = db.readMerged(ctx, parts, q.Sort, page.PerPage, offset)
		return page, err
	}
	// The counts only give the total: counted beside the page's read.
	parts := byAccount(q)
	var g errgroup.Group
	var counts []int
	g.Go(func() (err error) {
		counts, err = db.countParts(ctx, parts, limit+1)
		return err
	})
	keys, err := db.readMerged(ctx, parts, q.Sort, page.PerPage, offset)
	if countErr := g.Wait(); err == nil { // awaited whatever the read did: no query outlives the list
		err = countErr
	}
	if err != nil {
		return page, err
	}
	page = withMergedTotals(page, counts, limit)
	page.Keys = keys
	return page, nil
}

// readMerged reads the page of the keys of parts, merged in the order sort.
func (db *DB) readMerged(ctx context.Context, parts []keyQuery, sort string, perPage, offset int) ([]*apikey.Key, error) {
	query, args := db.mergedPageQuery(parts, sort, offset+perPage)
	return db.queryKeys(ctx, query, append(args, perPage, offset)...)
}

// withMergedTotals sets page's totals from each account's count (the
// account's own first), each counted as far as one past limit.
func withMergedTotals(page apikey.KeyPage, counts []int, limit int) apikey.KeyPage {
	page.Own, page.OwnMoreThan = min(counts[0], limit), counts[0] > limit
	page.Total, page.MoreThan = 0, false
	for _, c := range counts {
		page.Total += min(c, limit)
		page.MoreThan = page.MoreThan || c > limit
	}
	return page
}

// maxMergedAccounts bounds the accounts one merged page reads apart: SQLite
// takes at most 500 terms in a compound SELECT. A chain of accounts deeper
// than that is sorted together.
const maxMergedAccounts = 400

// byAccountCounted is q once for each of its accounts, with how many keys
// each selects (as far as upTo), and the index each is best read along.
func (db *DB) byAccountCounted(ctx context.Context, q keyQuery, upTo int) ([]keyQuery, []int, error) {
	parts := byAccount(q)
	counts, err := db.countParts(ctx, parts, upTo)
	if err != nil {
		return nil, nil, err
	}
	for i := range parts {
		db.readInOrder(&parts[i], counts[i])
	}
	return parts, counts, nil
}

// countParts counts the keys each of parts selects, as far as upTo.
func (db *DB) countParts(ctx context.Context, parts []keyQuery, upTo int) ([]int, error) {
	counts := make([]int, len(parts))
	for i, part := range parts {
		where, args := keyFilter(part)
		n, err := db.countKeysUpTo(ctx, where, args, upTo)
		if err != nil {
			return nil, err
		}
		counts[i] = n
	}
	return counts, nil
}

// byAccount is q once for each of its accounts.
func byAccount(q keyQuery) []keyQuery {
	parts := make([]keyQuery, len(q.AccountIDs))
	for i, id := range q.AccountIDs {
		parts[i] = q
		parts[i].AccountIDs = []string{id}
	}
	return parts
}

// readInOrder has the keys an attention rule finds in an account read
// along the list's order rather than the rule's index when the rule finds
// more of them than are worth sorting: the many fill a page quickly. It
// tells whether it changed q.
func (db *DB) readInOrder(q *keyQuery, found int) bool {
	if q.Attention == "" || q.indexHint == "" || found <= attentionSortMax {
		return false
	}
	index, ok := orderIndexes[cmp.Or(q.Sort, apikey.SortByName)]
	if ok {
		q.indexHint = db.e.useIndex(index)
	}
	return ok
}

// mergedPageQuery reads a page of the keys parts select, in the order
// sort, each part read along its index as far as each keys; its last two
// parameters are LIMIT and OFFSET. The database merges the parts as they
// come (mergeInOrder) and gives the page's ids, sorting none of those
// before it, then just the page's rows are read. (Sorting the parts
// together cost a page 200 deep below a big account about 15 ms more on
// SQLite and 20 more on PostgreSQL.)
func (db *DB) mergedPageQuery(parts []keyQuery, sort string, each int) (string, []any) {
	branches := make([]string, len(parts))
	var args []any
	for i, part := range parts {
		where, a := keyFilter(part)
		branches[i] = `SELECT ` + orderColumns(sort) + ` FROM api_keys` + where
		args = append(args, a...)
	}
	return `SELECT ` + keyColumns + ` FROM api_keys WHERE id IN (SELECT id FROM (` +
		db.e.mergeInOrder(branches, orderBy(sort, namedNullTest), each) + `) page) ORDER BY ` + keyOrder(sort), args
}

// orderColumns are the columns keyOrder sorts by: all in the index that
// serves the order, so that PostgreSQL reads them from the index alone. A
// null test is a column of its own (namedNullTest): a merge's order names
// the columns its parts give.
func orderColumns(sort string) string {
	switch strings.TrimPrefix(sort, "-") {
	case apikey.SortByCreated:
		return "id, created_at"
	case apikey.SortByExpires:
		return nullsLastColumns("expires_at")
	case apikey.SortByLastUsed:
		return nullsLastColumns("last_used_at")
	}
	return "id, name_fold"
}

// nullsLastColumns are orderColumns for an order by col, nulls last.
func nullsLastColumns(col string) string {
	return "id, " + nullTest(col) + " AS " + namedNullTest(col) + ", " + col + ", name_fold"
}

// nullTest sorts the nulls of col after its values, on both engines (false
// sorts first), and an index on the same expression serves it.
func nullTest(col string) string { return "(" + col + " IS NULL)" }

// namedNullTest is nullTest's column in orderColumns.
func namedNullTest(col string) string { return col + "_null" }

// listTogether reads the page of keys of every account of q with one
// query sorting them all.
func (db *DB) listTogether(ctx context.Context, q keyQuery, page apikey.KeyPage, offset int) (apikey.KeyPage, error) {
	where, args := keyFilter(q)
	keys, err := db.queryKeys(ctx, db.keyPageQuery(where, q.Sort, q.search.scans()), append(args, page.PerPage, offset)...)
	page.Keys = keys
	return page, err
}

// keyPageQuery reads a page of the keys where selects, in order; its last
// two parameters are LIMIT and OFFSET. Where the engine would read the row
// of every key it skips (pageIDsFirst), or every key is matched against a
// search (scans: SQLite would read each row to match it, where the name
// index holds the text), the page's ids are found first, along an index
// alone, then just their rows.
func (db *DB) keyPageQuery(where, order string, scans bool) string {
	if db.e.pageIDsFirst() || scans {
		return `SELECT ` + keyColumns + ` FROM api_keys WHERE id IN (SELECT id FROM api_keys` + where +
			` ORDER BY ` + keyOrder(order) + ` LIMIT ? OFFSET ?) ORDER BY ` + keyOrder(order)
	}
	return `SELECT ` + keyColumns + ` FROM api_keys` + where + ` ORDER BY ` + keyOrder(order) + ` LIMIT ? OFFSET ?`
}

// mergeKeys merges two lists sorted by before.
func mergeKeys(a, b []*apikey.Key, before func(x, y *apikey.Key) bool) []*apikey.Key {
	out := make([]*apikey.Key, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if before(b[0], a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// keyLess is keyOrder in Go: the same order, so that pages merged here
// agree with pages sorted by the database (text compares byte by byte on
// both engines).
func keyLess(order string) func(x, y *apikey.Key) bool {
	desc := strings.HasPrefix(order, "-")
	order = strings.TrimPrefix(order, "-")
	dir := func(c int) int {
		if desc {
			return -c
		}
		return c
	}
	nullsLast := func(x, y *time.Time) int {
		switch {
		case x == nil && y == nil:
			return 0
		case x == nil:
			return 1
		case y == nil:
			return -1
		}
		return dir(x.Compare(*y))
	}
	return func(x, y *apikey.Key) bool {
		var c int
		switch order {
		case apikey.SortByCreated:
			c = dir(x.CreatedAt.Compare(y.CreatedAt))
		case apikey.SortByExpires:
			c = cmp.Or(nullsLast(x.ExpiresAt, y.ExpiresAt), dir(strings.Compare(fold(x.Name), fold(y.Name))))
		case apikey.SortByLastUsed:
			c = cmp.Or(nullsLast(x.LastUsedAt, y.LastUsedAt), dir(strings.Compare(fold(x.Name), fold(y.Name))))
		default:
			c = dir(strings.Compare(fold(x.Name), fold(y.Name)))
		}
		return cmp.Or(c, dir(strings.Compare(x.ID, y.ID))) < 0
	}
}

// keyQuery is a KeyQuery with its search decided (searchKeys).
type keyQuery struct {
	apikey.KeyQuery
	search keySearch
	// indexHint names the index an attention rule's keys are read by,
	// where the engine needs telling (engine.useIndex).
	indexHint string
}

// attentionIndexes are the indexes that find each attention rule's keys of
// an account (SQLite's migration 0025, PostgreSQL's 0017 and 0024); the
// admin rule is found by role instead.
var attentionIndexes = map[apikey.Attention]string{
	apikey.AttentionExpiring:   "api_keys_account_active_expires",
	apikey.AttentionUnused:     "api_keys_account_active_unused",
	apikey.AttentionPredefined: "api_keys_predefined",
	apikey.AttentionIPRefused:  "api_keys_account_ip_refused",
	apikey.AttentionJWTLong:    "api_keys_account_jwt",
	// Keys with an admin role are few: found by role, then read by id.
	apikey.AttentionAdminUnrestricted: "sqlite_autoindex_api_keys_1",
}

// attentionSortMax is how many of an account's keys a rule may find for
// its page to be read along the rule's index and sorted; past it the page
// is read along the list's order, testing each key, which the many found
// fill quickly.
const attentionSortMax = 2000

// orderIndexes are the indexes that read an account's keys in each order
// (by name and by creation, read backwards for the other way).
var orderIndexes = map[string]string{
	apikey.SortByName:           nameIndex,
	"-" + apikey.SortByName:     nameIndex,
	apikey.SortByCreated:        "api_keys_account_created_id",
	"-" + apikey.SortByCreated:  "api_keys_account_created_id",
	apikey.SortByExpires:        "api_keys_account_expires",
	"-" + apikey.SortByExpires:  "api_keys_account_expires_desc",
	apikey.SortByLastUsed:       "api_keys_account_last_used",
	"-" + apikey.SortByLastUsed: "api_keys_account_last_used_desc",
}

// decideIndex sets q's index hint: without statistics SQLite would read an
// account's keys in the list's order and test each, where the few a rule
// finds are better read along its index and sorted.
func (db *DB) decideIndex(q *keyQuery) {
	if index, ok := attentionIndexes[q.Attention]; ok && !q.search.drives {
		q.indexHint = db.e.useIndex(index)
	}
}

// keySearch is the condition a search adds to a keys query. When it
// drives the query (a few keys found along the trigram index), the
// account's own indexes are kept out of the plan: SQLite would otherwise
// read every key of the account and probe each against the few.
type keySearch struct {
	cond   string
	args   []any
	drives bool
}

// scans tells whether s matches every key the list reads rather than
// giving the few it found first.
func (s keySearch) scans() bool { return s.cond != "" && !s.drives }

// searchIndexCap bounds the keys a search finds along the trigram index
// before it is judged too broad for it: then each key is matched as the
// list reads them in order, and matches that common fill a page quickly.
const searchIndexCap = 5000

// searchKeys decides how a search for term is matched in the keys of
// accounts listed in order.
func (db *DB) searchKeys(ctx context.Context, term string, accounts []string, order string) (keySearch, error) {
	if strings.TrimSpace(term) == "" {
		return keySearch{}, nil
	}
	index := db.e.keySearchIndex()
	if index == "" {
		cond, args := likeAlongTrigrams("search_fold", term)
		return keySearch{cond: cond, args: args}, nil
	}
	if !apikey.BelowTrigrams(term) {
		// Read once, the ids found are given to each query the list makes.
		ids, found, err := db.alongTrigrams(ctx, index+` LIMIT ?`, term, searchIndexCap)
		if err != nil {
			return keySearch{}, fmt.Errorf("search keys: %w", err)
		}
		if found < searchIndexCap {
			return byIDs(ids), nil
		}
	}
	// Too short for the trigram index, or in many keys of other accounts:
	// the accounts' name index holds the text, and a list by name reads
	// along it, matching as it goes. In any other order the list would
	// read every key's row to match it (210 ms by expiry for a search
	// matching none of 200,000 keys, against 58 ms along the name index),
	// so a search that finds few keys there gives their ids, as the
	// trigram index does.
	scan := nameScan(term)
	if index, ok := orderIndexes[order]; !ok || index == nameIndex { // the name's order is the default
		return scan, nil
	}
	query, args := db.alongNames(accounts, scan)
	found, err := queryNames(ctx, db.reader, query, append(args, nameMatchCap)...)
	if err != nil {
		return keySearch{}, fmt.Errorf("search keys: %w", err)
	}
	if len(found) >= nameMatchCap {
		return scan, nil
	}
	ids, err := idList(found)
	return byIDs(ids), err
}

// nameMatchCap bounds the keys a search finds along the name index to be
// read by id: each costs its row (975 found in 200,000 keys, by expiry: 77
// ms, against 58 for none), where more matches than this fill a page along
// the order's index within some 10,000 keys.
const nameMatchCap = 1000

// nameScan matches term in each key's search text as it is read. instr is
// LIKE's "%term%" on text folded both sides, a sixth faster.
func nameScan(term string) keySearch {
	return keySearch{cond: `instr(search_fold, ?) > 0`, args: []any{fold(strings.TrimSpace(term))}}
}

// alongNames is the query of the ids of the accounts' keys that s
// matches, read along their name index alone; its last parameter is a
// limit.
func (db *DB) alongNames(accounts []string, s keySearch) (string, []any) {
	var args []any
	for _, id := range accounts {
		args = append(args, id)
	}
	return `SELECT id FROM api_keys` + db.e.useIndex(nameIndex) + ` WHERE account_id IN (` + placeholders(len(accounts)) +
		`) AND ` + s.cond + ` LIMIT ?`, append(args, s.args...)
}

// nameIndex reads an account's keys by name; it holds their search text.
const nameIndex = "api_keys_account_name_status"

// byIDs is the search of the keys whose ids the JSON list holds.
func byIDs(ids string) keySearch {
	return keySearch{cond: "id IN (SELECT value FROM json_each(?))", args: []any{ids}, drives: true}
}

// alongTrigrams reads the ids that query, a trigram index's whose
// parameters are a GLOB pattern and a limit, finds holding term, at most
// limit: as a JSON list for json_each, and how many.
func (db *DB) alongTrigrams(ctx context.Context, query, term string, limit int) (string, int, error) {
	found, err := queryNames(ctx, db.reader, query, globContains(term), limit)
	if err != nil {
		return "", 0, err
	}
	list, err := idList(found)
	return list, len(found), err
}

// idList is ids as a JSON list for json_each.
func idList(ids []string) (string, error) {
	list, err := json.Marshal(append([]string{}, ids...)) // [] rather than null for none
	return string(list), err
}

// likeAlongTrigrams is a LIKE of column holding term, for a planner that
// reads the column's pg_trgm index by itself: it asks the index for every
// trigram of the text, and every one it asks for costs its whole list of
// rows. So it is asked for the telling part only (see indexPart) and the
// whole text is matched on the rows found, in an expression the index
// cannot serve.
func likeAlongTrigrams(column, term string) (string, []any) {
	if part, ok := indexPart(fold(strings.TrimSpace(term))); ok {
		return column + ` LIKE ? ESCAPE '\' AND (` + column + ` || '') LIKE ? ESCAPE '\'`, []any{likeContains(part), likeContains(term)}
	}
	return column + ` LIKE ? ESCAPE '\'`, []any{likeContains(term)}
}

// indexPart is the part of a folded search text worth asking a trigram
// index for, when that is less than all of it: after a display prefix's
// head (kc_g_ is in every key), or the longest of several words (the
// trigrams across a space, like "y 0" in "key 0012", are in many names).
func indexPart(s string) (string, bool) {
	part, ok := apikey.CutSecretHead(s)
	if words := strings.Fields(s); !ok && len(words) > 1 {
		part, ok = words[0], true
		for _, w := range words[1:] {
			if len(w) > len(part) {
				part = w
			}
		}
	}
	return part, ok && utf8.RuneCountInString(part) >= 3
}

func keyFilter(q keyQuery) (string, []any) {
	var conds []string
	var args []any
	account := "account_id"
	if q.search.drives {
		account = "+account_id" // SQLite's way to say "not by this column's index"
	}
	conds = append(conds, account+" IN ("+placeholders(len(q.AccountIDs))+")")
	for _, id := range q.AccountIDs {
		args = append(args, id)
	}
	if q.search.cond != "" {
		conds = append(conds, q.search.cond)
		args = append(args, q.search.args...)
	}
	if q.Type != "" {
		conds = append(conds, "type = ?")
		args = append(args, string(q.Type))
	}
	now := formatTime(q.Now)
	switch q.Status {
	case apikey.StatusActive:
		conds = append(conds, "active = 1 AND (expires_at IS NULL OR expires_at > ?)")
		args = append(args, now)
	case apikey.StatusInactive:
		conds = append(conds, "active = 0")
	case apikey.StatusExpired:
		conds = append(conds, "active = 1 AND expires_at <= ?")
		args = append(args, now)
	}
	if q.Attention != "" {
		cond, condArgs := attentionCond(q.KeyQuery)
		conds, args = append(conds, cond), append(args, condArgs...)
	}
	return q.indexHint + " WHERE " + strings.Join(conds, " AND "), args
}

// attentionCond is the condition of q's attention rule, written so that
// the rule's own index (attentionIndexes) serves it: "active = 1" literally,
// as the partial indexes say, and the unused keys' COALESCE as indexed.
func attentionCond(q apikey.KeyQuery) (string, []any) {
	switch q.Attention {
	case apikey.AttentionExpiring:
		return "active = 1 AND expires_at > ? AND expires_at <= ?", []any{formatTime(q.Now), formatTime(q.Now.Add(apikey.ExpiringWithin))}
	case apikey.AttentionUnused:
		return "active = 1 AND COALESCE(last_used_at, '') < ?", []any{formatTime(q.Now.Add(-apikey.UnusedFor))}
	case apikey.AttentionPredefined:
		return "predefined = 1 AND active = 1", nil
	case apikey.AttentionAdminUnrestricted:
		roles := apikey.AdminRoles()
		args := make([]any, len(roles))
		for i, r := range roles {
			args[i] = string(r)
		}
		return "active = 1 AND id IN (SELECT key_id FROM api_key_roles WHERE role IN (" + placeholders(len(roles)) + "))" +
			" AND NOT EXISTS (SELECT 1 FROM api_key_allowed_ips ip WHERE ip.key_id = api_keys.id)", args
	case apikey.AttentionIPRefused:
		return "last_ip_refused_at > ?", []any{formatTime(q.Now.Add(-apikey.IPRefusedWithin))}
	case apikey.AttentionJWTLong:
		limit := cmp.Or(q.JWTOfflineLimit, apikey.DefaultJWTOfflineLimit)
		return "access_type = 'jwt' AND active = 1 AND EXISTS (SELECT 1 FROM key_jwts j WHERE j.key_id = api_keys.id" +
			" AND j.revoked_at IS NULL AND j.expires_at > ?)", []any{formatTime(q.Now.Add(limit))}
	}
	return "1 = 0", nil // validation lets no other value through
}

// CountAttention counts, for each of rules, the keys q selects with that
// rule's filter (its accounts, search aside), each up to limit: one more
// is read to tell "more than". One query answers them all, each count
// along its rule's own index: the panel costs one round trip.
func (db *DB) CountAttention(ctx context.Context, in apikey.KeyQuery, rules []apikey.Attention, limit int) ([]apikey.AttentionCount, error) {
	out := make([]apikey.AttentionCount, len(rules))
	if len(in.AccountIDs) == 0 || len(rules) == 0 {
		for i, r := range rules {
			out[i].Rule = r
		}
		return out, nil
	}
	counts := make([]string, len(rules))
	var args []any
	for i, r := range rules {
		q := keyQuery{KeyQuery: in}
		q.Attention = r
		db.decideIndex(&q)
		where, whereArgs := keyFilter(q)
		counts[i] = `(SELECT COUNT(*) FROM (SELECT 1 FROM api_keys` + where + ` LIMIT ?) c` + strconv.Itoa(i) + `)`
		args = append(append(args, whereArgs...), limit+1)
	}
	n := make([]int, len(rules))
	dest := make([]any, len(rules))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := db.reader.QueryRowContext(ctx, `SELECT `+strings.Join(counts, ", "), args...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("count keys needing attention: %w", err)
	}
	for i, r := range rules {
		out[i] = apikey.AttentionCount{Rule: r, Count: min(n[i], limit), MoreThan: n[i] > limit}
	}
	return out, nil
}

// keyOrder maps a sort order to SQL. Keys that never expire or were never
// used sort last either way; the name and the id break ties, in the same
// direction, so that an index read forwards or backwards serves the order
// and pages never overlap.
func keyOrder(sort string) string { return orderBy(sort, nullTest) }

// orderBy is the ORDER BY of sort, its nulls put last by isNull.
func orderBy(sort string, isNull func(col string) string) string {
	dir := " ASC"
	if strings.HasPrefix(sort, "-") {
		dir, sort = " DESC", sort[1:]
	}
	nullsLast := func(col string) string {
		return isNull(col) + ", " + col + dir + ", name_fold" + dir + ", id" + dir
	}
	switch sort {
	case apikey.SortByCreated:
		return "created_at" + dir + ", id" + dir
	case apikey.SortByExpires:
		return nullsLast("expires_at")
	case apikey.SortByLastUsed:
		return nullsLast("last_used_at")
	}
	return "name_fold" + dir + ", id" + dir
}
