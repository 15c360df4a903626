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
