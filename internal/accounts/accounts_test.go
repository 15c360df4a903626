package accounts

import (
	"context"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/servicetest"
)

// Only those who may manage accounts where a change lands make it; an
// account comes with its predefined keys and audit events.
func TestAccountsServiceChecksPermission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	svc := New(db)
	admin := servicetest.Actor(apikey.RoleGlobalAdmin, root.ID)
	a, err := svc.Create(ctx, admin, "Acme", root.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(ctx, admin, "Beta", root.ID)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := db.PredefinedKeys(ctx, a.ID)
	if len(keys) != len(apikey.PredefinedKeys()) {
		t.Fatalf("%d predefined keys", len(keys))
	}
	for _, who := range []apikey.Actor{servicetest.Actor(apikey.RoleGlobalViewer, root.ID), servicetest.Actor(apikey.RoleSupport, root.ID), servicetest.Actor(apikey.RoleAccountViewer, root.ID, apikey.AllAccounts)} {
		if _, err := svc.Create(ctx, who, "Nope", root.ID); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
			t.Errorf("%s created an account: %v", who.Name, err)
		}
		if err := svc.Move(ctx, who, b.ID, a.ID); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
			t.Errorf("%s moved an account: %v", who.Name, err)
		}
		if err := svc.Delete(ctx, who, b.ID, true); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
			t.Errorf("%s deleted an account: %v", who.Name, err)
		}
	}
	if _, err := svc.Create(ctx, admin, "Orphan", "acc_missing"); apikey.ErrorField(err) != "parent_id" {
		t.Errorf("missing parent: %v", err)
	}
	if _, err := svc.Create(ctx, admin, "acme", root.ID); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Errorf("same name in other case: %v", err)
	}
}

// Every account has predefined keys, which belong to it: an account whose
// only keys they are moves with them (its sub-accounts' too), and is
// deleted with them once the admin confirms the keys listed. Each removal
// is recorded for the caches and audited, in one transaction.
func TestPredefinedKeysGoWithTheirAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	svc := New(db)
	var forgotten []string
	svc.OnKeyChange(func(k *apikey.Key, _ ...string) { forgotten = append(forgotten, k.ID) })
	admin := servicetest.Actor(apikey.RoleGlobalAdmin, root.ID)
	vendor, _ := svc.Create(ctx, admin, "Vendor", root.ID)
	other, _ := svc.Create(ctx, admin, "Other", root.ID)
	shop, err := svc.Create(ctx, admin, "Shop", vendor.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, admin, "Branch", shop.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Move(ctx, admin, shop.ID, other.ID); err != nil {
		t.Fatalf("moving an account with only predefined keys: %v", err)
	}
	if path, _ := db.AccountPath(ctx, shop.ID); len(path) != 3 || path[1] != other.ID {
		t.Errorf("path after the move %v", path)
	}

	if err := svc.Delete(ctx, admin, shop.ID, true); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Errorf("deleting an account with a sub-account: %v", err)
	}
	keys, _ := db.PredefinedKeys(ctx, vendor.ID)
	listed, err := svc.Deletion(ctx, admin, vendor.ID)
	if err != nil || len(listed) != len(keys) || listed[0].Name != keys[0].Name {
		t.Fatalf("deletion lists %v, %v", listed, err)
	}
	if err := svc.Delete(ctx, admin, vendor.ID, false); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Errorf("deleted without confirming the keys: %v", err)
	}
	if _, err := svc.Deletion(ctx, servicetest.Actor(apikey.RoleSupport, root.ID), vendor.ID); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
		t.Errorf("support asks to delete: %v", err)
	}
	before, _ := db.LatestKeyChange(ctx)
	if err := svc.Delete(ctx, admin, vendor.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Account(ctx, vendor.ID); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("vendor is still there: %v", err)
	}
	gone, _ := db.PredefinedKeys(ctx, vendor.ID)
	changes, _ := db.KeyChangesSince(ctx, before, 100)
	if len(gone) != 0 || len(changes) != len(apikey.PredefinedKeys()) || len(forgotten) != len(apikey.PredefinedKeys()) {
		t.Errorf("%d keys left, %d changes recorded, %d forgotten", len(gone), len(changes), len(forgotten))
	}
	events, _, err := db.ListAudit(ctx, apikey.AuditQuery{Key: vendor.ID})
	if err != nil || len(events) != 2 || events[0].Action != apikey.ActionAccountDeleted || len(events[0].Changes) != 1 {
		t.Fatalf("audit of the account %+v %v", events, err)
	}
	events, _, _ = db.ListAudit(ctx, apikey.AuditQuery{Key: changes[0].KeyID})
	if len(events) != 2 || events[0].Action != apikey.ActionKeyDeleted {
		t.Errorf("audit of a key %+v", events)
	}
}
