package users

import (
	"context"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/auth"
	"keyconsole/internal/servicetest"
	"keyconsole/internal/validate"
)

// Only those who may manage users change them; the others are refused
// inside the service, whatever the page or route allowed.
func TestUsersServiceChecksPermission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	svc := New(db, auth.Params{Memory: 1024, Time: 1, Threads: 1})
	in := validate.User{Username: "newbie", Password: "long-enough-password-1", Role: apikey.RoleSupport}
	for _, who := range []apikey.Actor{servicetest.Actor(apikey.RoleGlobalViewer, root.ID), servicetest.Actor(apikey.RoleSupport, root.ID), servicetest.Actor(apikey.RoleAccountViewer, root.ID, apikey.AllAccounts)} {
		if _, err := svc.Create(ctx, who, in); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
			t.Errorf("%s created a user: %v", who.Name, err)
		}
		if _, _, err := svc.Page(ctx, who, apikey.UserQuery{AccountIDs: []string{root.ID}}); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
			t.Errorf("%s listed users: %v", who.Name, err)
		}
	}
	admin := servicetest.Actor(apikey.RoleGlobalAdmin, root.ID)
	u, err := svc.Create(ctx, admin, in)
	if err != nil || u.AccountID != root.ID {
		t.Fatalf("admin creates: %+v %v", u, err)
	}
	support := servicetest.Actor(apikey.RoleSupport, root.ID)
	if err := svc.SetRole(ctx, support, u.ID, apikey.RoleGlobalAdmin, nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("support raised a role: %v", err)
	}
	if err := svc.SetActive(ctx, support, u.ID, false); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("support switched a user off: %v", err)
	}
	if err := svc.SetRole(ctx, admin, "usr_missing", apikey.RoleSupport, nil); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("missing user: %v", err)
	}
	if err := svc.SetActive(ctx, admin, u.ID, false); err != nil {
		t.Fatal(err)
	}
	page, total, err := svc.Page(ctx, admin, apikey.UserQuery{AccountIDs: []string{root.ID}, PerPage: 1})
	if err != nil || total != 1 || len(page) != 1 || page[0].Username != "newbie" {
		t.Fatalf("page: %d %+v %v", total, page, err)
	}
	events, _, err := db.ListAudit(ctx, apikey.AuditQuery{Key: u.ID})
	if err != nil || len(events) != 2 || events[0].Action != apikey.ActionUserDeactivated || events[0].ActorName != admin.Name {
		t.Fatalf("audit %+v %v", events, err)
	}
	if _, err := svc.Create(ctx, admin, validate.User{Username: "elsewhere", Password: "long-enough-password-1", Role: apikey.RoleSupport, AccountID: "acc_missing"}); apikey.ErrorField(err) != "account_id" {
		t.Errorf("missing account: %v", err)
	}
}

// Deleting a user: only by those who manage users, never oneself, never
// the last active Global Admin (checked in the store's transaction), and
// audited.
func TestDeleteUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, root := servicetest.Open(t)
	svc := New(db, auth.Params{Memory: 1024, Time: 1, Threads: 1})
	admin := servicetest.Actor(apikey.RoleGlobalAdmin, root.ID)
	add := func(name string, role apikey.Role) *apikey.User {
		t.Helper()
		u, err := svc.Create(ctx, admin, validate.User{Username: name, Password: "long-enough-password-1", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	boss, sam := add("boss", apikey.RoleGlobalAdmin), add("sam", apikey.RoleSupport)
	if err := svc.Delete(ctx, servicetest.Actor(apikey.RoleSupport, root.ID), sam.ID); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("support deleted a user: %v", err)
	}
	self := admin
	self.Principal = &apikey.Principal{Kind: apikey.PrincipalUser, ID: boss.ID, Name: "boss", AccountID: root.ID, Grants: []apikey.RoleGrant{boss.Grant()}}
	if err := svc.Delete(ctx, self, boss.ID); apikey.ErrorCode(err) != apikey.EINVALID {
		t.Errorf("boss deleted themself: %v", err)
	}
	if err := svc.Delete(ctx, admin, boss.ID); apikey.ErrorCode(err) != apikey.ECONFLICT {
		t.Errorf("the last active Global Admin deleted: %v", err)
	}
	if err := svc.Delete(ctx, admin, sam.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.User(ctx, sam.ID); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("sam is still there: %v", err)
	}
	events, _, err := db.ListAudit(ctx, apikey.AuditQuery{Key: sam.ID})
	if err != nil || len(events) != 2 || events[0].Action != apikey.ActionUserDeleted || events[0].ActorName != admin.Name || events[0].TargetName != "sam" {
		t.Fatalf("audit %+v %v", events, err)
	}
	// With another active Global Admin, boss may go.
	add("deputy", apikey.RoleGlobalAdmin)
	if err := svc.Delete(ctx, admin, boss.ID); err != nil {
		t.Errorf("boss with a deputy: %v", err)
	}
}
