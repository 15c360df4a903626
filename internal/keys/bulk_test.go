package keys

import (
	"context"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// TestBulkOutcomesPerKey: each selected key is judged on its own: changed,
// left as it is, or refused with why (inherited from above, in another
// account, unknown, or beyond the actor's role); only the changed ones get
// an audit entry, with the reason, and reach the caches.
func TestBulkOutcomesPerKey(t *testing.T) {
	// Not parallel: setup sets the package's rootID, as for its neighbours.
	m, db, root, other := setup(t)
	ctx := context.Background()
	admin := actorWith(apikey.RoleGlobalAdmin)
	sibling := &apikey.Account{ParentID: root, Name: "Sibling"}
	if err := db.CreateAccount(ctx, sibling); err != nil {
		t.Fatal(err)
	}
	create := func(account, name string, active bool) *apikey.Key {
		s := settings(name, apikey.TypeGeneral)
		s.Active = active
		k, _, err := m.Create(ctx, admin, account, s, "")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	on, off := create(other, "on", true), create(other, "off", false)
	above, beside := create(root, "above", true), create(sibling.ID, "beside", true)
	var told []string
	m.OnChange(func(k *apikey.Key, _ ...string) { told = append(told, k.ID) })

	who := admin
	who.Reason = "tidy up"
	req := BulkRequest{Action: BulkDeactivate, Selection: Selection{IDs: []string{on.ID, off.ID, above.ID, beside.ID, "key_nope", on.ID}}}
	res, err := m.Bulk(ctx, who, other, req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]BulkOutcome{on.ID: BulkChanged, off.ID: BulkUnchanged, above.ID: BulkRefused, beside.ID: BulkRefused, "key_nope": BulkRefused}
	if len(res.Items) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(res.Items), len(want), res.Items)
	}
	for _, it := range res.Items {
		if it.Outcome != want[it.ID] || it.Outcome != BulkChanged && it.Why == "" {
			t.Errorf("%s: %s (%q), want %s", it.Name, it.Outcome, it.Why, want[it.ID])
		}
	}
	if len(told) != 1 || told[0] != on.ID {
		t.Errorf("caches told of %v", told)
	}
	events, _, _ := db.ListAudit(ctx, apikey.AuditQuery{Action: apikey.ActionKeyDeactivated})
	if len(events) != 1 || events[0].TargetID != on.ID || events[0].Reason != "tidy up" {
		t.Fatalf("audit %+v", events)
	}

	// Support may change none of them: each is refused, none changes.
	res, err = m.Bulk(ctx, actorWith(apikey.RoleSupport), other, BulkRequest{Action: BulkDelete, Selection: Selection{IDs: []string{on.ID, off.ID}}})
	if err != nil || res.Count(BulkRefused) != 2 {
		t.Fatalf("support: %+v %v", res, err)
	}
	if _, err := db.Key(ctx, on.ID); err != nil {
		t.Fatalf("deleted by support: %v", err)
	}
}

// TestExtensionNeverShortens: by days counts from the current expiry (from
// now for an expired key); to a moment only moves expiries later; a key
// that never expires stays so.
func TestExtensionNeverShortens(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	later, past := now.Add(5*day), now.Add(-5*day)
	to := now.Add(3 * day)
	for _, c := range []struct {
		name    string
		e       Extension
		current *time.Time
		want    *time.Time
		changed bool
	}{
		{"days from the expiry", Extension{Days: 10}, &later, ptrTo(later.Add(10 * day)), true},
		{"days from now when expired", Extension{Days: 10}, &past, ptrTo(now.Add(10 * day)), true},
		{"never stays never", Extension{Days: 10}, nil, nil, false},
		{"to a later moment", Extension{To: &to}, &past, &to, true},
		{"to an earlier moment", Extension{To: &to}, &later, &later, false},
	} {
		got, changed := c.e.expiry(c.current, now)
		if changed != c.changed || (got == nil) != (c.want == nil) || got != nil && !got.Equal(*c.want) {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, changed, c.want, c.changed)
		}
	}
}

func ptrTo(t time.Time) *time.Time { return &t }
