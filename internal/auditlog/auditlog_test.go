package auditlog

import (
	"context"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/servicetest"
)

// The trail is for those who may read it where its events are: the whole
// trail needs the permission everywhere.
func TestAuditLogScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	a := &apikey.Account{ParentID: root.ID, Name: "Acme"}
	if err := db.CreateAccountWithKeys(ctx, a, apikey.NewAuditEvent(apikey.SystemPrincipal("t"), "", apikey.ActionAccountCreated), nil, nil); err != nil {
		t.Fatal(err)
	}
	svc := New(db)
	scoped := servicetest.Actor(apikey.RoleAccountViewer, root.ID, a.ID)
	if _, _, err := svc.List(ctx, scoped, apikey.AuditQuery{}); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
		t.Fatalf("an account viewer read the whole trail: %v", err)
	}
	if _, _, err := svc.List(ctx, scoped, apikey.AuditQuery{Accounts: []string{root.ID}}); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
		t.Fatalf("an account viewer read the root's trail: %v", err)
	}
	if _, _, err := svc.List(ctx, scoped, apikey.AuditQuery{Accounts: []string{a.ID}}); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
		t.Fatalf("an account viewer (no audit permission) read her account's trail: %v", err)
	}
	viewer := servicetest.Actor(apikey.RoleGlobalViewer, root.ID)
	events, n, err := svc.List(ctx, viewer, apikey.AuditQuery{Accounts: []string{a.ID}})
	if err != nil || n != 1 || events[0].Action != apikey.ActionAccountCreated {
		t.Fatalf("a global viewer reads an account's trail: %d %+v %v", n, events, err)
	}
	if _, n, err := svc.List(ctx, viewer, apikey.AuditQuery{}); err != nil || n != 1 {
		t.Fatalf("a global viewer reads the whole trail: %d %v", n, err)
	}
	support := servicetest.Actor(apikey.RoleSupport, root.ID)
	if _, _, err := svc.List(ctx, support, apikey.AuditQuery{Accounts: []string{a.ID}}); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
		t.Fatalf("support read the trail: %v", err)
	}
}
