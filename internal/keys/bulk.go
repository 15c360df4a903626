package keys

import (
	"context"
	"slices"
	"time"

	"keyconsole/internal/apikey"
)

// BulkAction is what a bulk action does to every key it selects.
type BulkAction string

// The bulk actions.
const (
	BulkDeactivate BulkAction = "deactivate"
	BulkActivate   BulkAction = "activate"
	BulkExtend     BulkAction = "extend"
	BulkDelete     BulkAction = "delete"
)

// BulkActions lists the bulk actions, in the order they are offered.
var BulkActions = []BulkAction{BulkDeactivate, BulkActivate, BulkExtend, BulkDelete}

// MaxBulkKeys bounds one bulk action: each key is its own transaction and
// audit entry, so a larger selection would hold the request for minutes.
const MaxBulkKeys = 1000

// Extension says how a bulk extend moves expiries: by Days from each key's
// current expiry (from now for a key already expired), or To a moment.
// It never shortens: a key that expires later already, or never, stays as
// it is.
type Extension struct {
	Days int
	To   *time.Time
}

// expiry is the expiry the extension gives a key expiring at current, and
// whether that is a change.
func (e Extension) expiry(current *time.Time, now time.Time) (*time.Time, bool) {
	if current == nil {
		return nil, false
	}
	var t time.Time
	if e.To != nil {
		t = *e.To
	} else {
		from := *current
		if from.Before(now) {
			from = now
		}
		t = from.Add(time.Duration(e.Days) * 24 * time.Hour)
	}
	if !t.After(*current) {
		return current, false
	}
	return &t, true
}

// Selection is the keys a bulk action is for: IDs, or, when Query is set,
// every key of the account that the list query matches (its page, sort and
// accounts are ignored: only the account's own keys can be changed there).
type Selection struct {
	IDs   []string
	Query *apikey.KeyQuery
}

// BulkRequest is one bulk action on a selection of an account's keys.
type BulkRequest struct {
	Action    BulkAction
	Selection Selection
	Extend    Extension // for BulkExtend
}

// BulkOutcome is what a bulk action does, or did, to one key.
type BulkOutcome string

// The outcomes of a bulk action for one key.
const (
	BulkChanged   BulkOutcome = "changed"
	BulkUnchanged BulkOutcome = "unchanged"
	BulkRefused   BulkOutcome = "refused"
)

// BulkItem is one selected key and what happens to it, with why when it
// stays as it is (a phrase: "already inactive") or is refused (a sentence).
type BulkItem struct {
	ID, Name, DisplayPrefix string
	Predefined              bool
	Outcome                 BulkOutcome
	Why                     string
}

// BulkResult is every selected key with its outcome, in the order selected.
type BulkResult struct{ Items []BulkItem }

// Count is how many keys have the outcome.
func (r BulkResult) Count(o BulkOutcome) int {
	n := 0
	for _, it := range r.Items {
		if it.Outcome == o {
			n++
		}
	}
	return n
}

// With lists the keys that have the outcome.
func (r BulkResult) With(o BulkOutcome) []BulkItem {
	var out []BulkItem
	for _, it := range r.Items {
		if it.Outcome == o {
			out = append(out, it)
		}
	}
	return out
}

var errTooMany = apikey.FieldErrorf(apikey.EINVALID, "selection",
	"A bulk action takes at most %d keys: narrow the search or filters, or select keys on the page.", MaxBulkKeys)

// PlanBulk tells what Bulk would do, changing nothing: the counts a
// confirmation shows.
func (m *Manager) PlanBulk(ctx context.Context, who apikey.Actor, accountID string, req BulkRequest) (BulkResult, error) {
	return m.bulk(ctx, who, accountID, req, false)
}

// Bulk carries out a bulk action on the selected keys of accountID. The
// actor's permission is checked for each key; each change is its own
// transaction with its own audit entry (and who.Reason), so a key refused
// or failing leaves the others changed.
func (m *Manager) Bulk(ctx context.Context, who apikey.Actor, accountID string, req BulkRequest) (BulkResult, error) {
	return m.bulk(ctx, who, accountID, req, true)
}

func (m *Manager) bulk(ctx context.Context, who apikey.Actor, accountID string, req BulkRequest, act bool) (BulkResult, error) {
	if !slices.Contains(BulkActions, req.Action) {
		return BulkResult{}, apikey.FieldErrorf(apikey.EINVALID, "action", "Choose what to do: deactivate, activate, extend expiry or delete.")
	}
	if req.Action == BulkExtend && req.Extend.To == nil && req.Extend.Days <= 0 {
		return BulkResult{}, apikey.FieldErrorf(apikey.EINVALID, "extend", "Choose by how many days, or to which date, to extend.")
	}
	path, err := m.store.AccountPath(ctx, accountID)
	if err != nil {
		return BulkResult{}, err
	}
	if len(path) == 0 || !who.CanIn(apikey.ViewApiKey, path) {
		return BulkResult{}, apikey.FieldErrorf(apikey.EFORBIDDEN, "account_id", "You may not see the keys of that account.")
	}
	keys, missing, err := m.selected(ctx, who, accountID, path, req.Selection)
	if err != nil {
		return BulkResult{}, err
	}
	var res BulkResult
	for _, k := range keys {
		it := BulkItem{ID: k.ID, Name: k.Name, DisplayPrefix: k.DisplayPrefix, Predefined: k.Predefined}
		it.Outcome, it.Why = m.judge(ctx, who, accountID, path, k, req)
		if act && it.Outcome == BulkChanged {
			if err := m.apply(ctx, who, k.ID, req); err != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				it.Outcome, it.Why = BulkRefused, apikey.ErrorMessage(err)
			}
		}
		res.Items = append(res.Items, it)
	}
	for _, id := range missing {
		res.Items = append(res.Items, BulkItem{ID: id, Name: id, Outcome: BulkRefused, Why: "No such key."})
	}
	return res, nil
}

// selected loads the keys of the selection the actor may see, and the ids
// asked for that it may not (reported missing, so ids cannot be probed).
func (m *Manager) selected(ctx context.Context, who apikey.Actor, accountID string, path []string, sel Selection) ([]*apikey.Key, []string, error) {
	if sel.Query != nil {
		q := *sel.Query
		q.AccountIDs, q.Page, q.Offset, q.PerPage = []string{accountID}, 1, 0, MaxBulkKeys+1
		page, err := m.store.ListKeys(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		if len(page.Keys) > MaxBulkKeys {
			return nil, nil, errTooMany
		}
		return page.Keys, nil, nil
	}
	var ids []string // once each, in the order asked, as the list showed them
	for _, id := range sel.IDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		if len(ids) > MaxBulkKeys {
			return nil, nil, errTooMany
		}
	}
	if len(ids) == 0 {
		return nil, nil, apikey.FieldErrorf(apikey.EINVALID, "selection", "Select at least one key.")
	}
	var keys []*apikey.Key
	var missing []string
	for _, id := range ids {
		k, _, err := m.load(ctx, who, id)
		switch {
		case apikey.ErrorCode(err) == apikey.ENOTFOUND:
			missing = append(missing, id)
		case err != nil:
			return nil, nil, err
		default:
			keys = append(keys, k)
		}
	}
	return keys, missing, nil
}

// judge tells what the action would do to key k, and why not when it
// would not change it; here is the path of accountID.
func (m *Manager) judge(ctx context.Context, who apikey.Actor, accountID string, here []string, k *apikey.Key, req BulkRequest) (BulkOutcome, string) {
	path, err := m.store.AccountPath(ctx, k.AccountID)
	if err != nil {
		return BulkRefused, apikey.ErrorMessage(err)
	}
	if k.AccountID != accountID {
		if slices.Contains(here, k.AccountID) {
			return BulkRefused, "It is inherited from an account above this one: change it there."
		}
		return BulkRefused, "It belongs to another account: change it there."
	}
	need := apikey.ModifyApiKey
	if req.Action == BulkDelete {
		need = apikey.DeleteApiKey
	}
	if !who.CanIn(need, path) {
		return BulkRefused, apikey.ErrorMessage(errForbidden)
	}
	switch req.Action {
	case BulkDeactivate:
		if !k.Active {
			return BulkUnchanged, "already inactive"
		}
	case BulkActivate:
		if k.Active {
			return BulkUnchanged, "already active"
		}
	case BulkExtend:
		if k.ExpiresAt == nil {
			return BulkUnchanged, "never expires: extending keeps it so"
		}
		if _, later := req.Extend.expiry(k.ExpiresAt, m.now()); !later {
			return BulkUnchanged, "already expires later (" + apikey.ExpiryText(k.ExpiresAt) + ")"
		}
	}
	return BulkChanged, ""
}

// apply changes one key through the single-key path, which checks the
// permission again, writes in one transaction with the audit entry and
// tells the caches.
func (m *Manager) apply(ctx context.Context, who apikey.Actor, id string, req BulkRequest) error {
	var err error
	switch req.Action {
	case BulkDeactivate, BulkActivate:
		_, err = m.SetActive(ctx, who, id, req.Action == BulkActivate)
	case BulkDelete:
		_, err = m.Delete(ctx, who, id)
	case BulkExtend:
		_, _, err = m.UpdateLatest(ctx, who, id, func(k *apikey.Key) (apikey.Settings, error) {
			s := k.Settings
			s.ExpiresAt, _ = req.Extend.expiry(k.ExpiresAt, m.now())
			return s, nil
		})
	}
	return err
}
