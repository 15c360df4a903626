package keys

import (
	"context"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/servicetest"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
	"keyconsole/internal/token"
)

func setup(t *testing.T) (*Manager, *store.DB, string, string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root, _ := db.RootAccount(ctx)
	rootID = root.ID
	other := &apikey.Account{ParentID: root.ID, Name: "Other"}
	if err := db.CreateAccount(ctx, other); err != nil {
		t.Fatal(err)
	}
	return New(db, token.New(db, nil), nil), db, root.ID, other.ID
}

// actorWith is a user of the root account holding role (scoped for account-viewer).
func actorWith(role apikey.Role, scope ...string) apikey.Actor {
	return servicetest.Actor(role, rootID, scope...)
}

// rootID is the root account of the test database being set up.
var rootID string

func settings(name string, t apikey.Type) apikey.Settings {
	return apikey.Settings{Name: name, Type: t, AccessType: apikey.AccessGenerated, Active: true}
}

func TestPermissionsPerAccount(t *testing.T) {
	m, _, root, other := setup(t)
	ctx := context.Background()
	admin := actorWith(apikey.RoleGlobalAdmin)
	k, secret, err := m.Create(ctx, admin, other, settings("k", apikey.TypeGeneral), "")
	if err != nil || !apikey.LooksGenerated(secret) {
		t.Fatalf("create: %v", err)
	}

	elsewhere := actorWith(apikey.RoleAccountViewer, "acc_elsewhere")
	if _, err := m.Get(ctx, elsewhere, k.ID); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("viewer of another account sees the key: %v", err)
	}
	if _, err := m.Get(ctx, actorWith(apikey.RoleAccountViewer, root), k.ID); err != nil {
		t.Errorf("viewer of the account above: %v", err)
	}
	if _, err := m.Get(ctx, actorWith(apikey.RoleAccountViewer, other), k.ID); err != nil {
		t.Errorf("viewer of the account: %v", err)
	}
	for name, try := range map[string]func(apikey.Actor) error{
		"create": func(a apikey.Actor) error {
			_, _, err := m.Create(ctx, a, other, settings("x", apikey.TypeGeneral), "")
			return err
		},
		"update":     func(a apikey.Actor) error { _, _, err := m.Update(ctx, a, k.ID, k.Version, k.Settings); return err },
		"deactivate": func(a apikey.Actor) error { _, err := m.SetActive(ctx, a, k.ID, false); return err },
		"regenerate": func(a apikey.Actor) error { _, _, err := m.Regenerate(ctx, a, k.ID, 0, ""); return err },
		"delete":     func(a apikey.Actor) error { _, err := m.Delete(ctx, a, k.ID); return err },
	} {
		for _, role := range []apikey.Role{apikey.RoleGlobalViewer, apikey.RoleSupport} {
			if err := try(actorWith(role)); apikey.ErrorCode(err) != apikey.EFORBIDDEN {
				t.Errorf("%s as %s: %v", name, role, err)
			}
		}
	}
}

func TestRegenerate(t *testing.T) {
	m, db, root, _ := setup(t)
	ctx := context.Background()
	admin := actorWith(apikey.RoleGlobalAdmin)
	s := settings("custom", apikey.TypeChrome)
	s.AccessType = apikey.AccessCustom
	k, _, err := m.Create(ctx, admin, root, s, "Custom-Value-That-Is-Long-Enough-123")
	if err != nil {
		t.Fatal(err)
	}
	support := actorWith(apikey.RoleSupport)
	_, fresh, err := m.Regenerate(ctx, support, k.ID, 0, "")
	if err != nil {
		t.Fatalf("support on a Chrome key: %v", err)
	}
	stored, _ := db.Key(ctx, k.ID)
	if stored.SecretHash != apikey.HashSecret(fresh) || stored.AccessType != apikey.AccessGenerated || stored.UpdatedBy != "support" {
		t.Fatalf("after regenerate %+v", stored)
	}
	if _, err := db.KeyByHash(ctx, apikey.HashSecret("Custom-Value-That-Is-Long-Enough-123")); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatal("old secret still finds the key")
	}
	events, _ := db.KeyAudit(ctx, k.ID, 5)
	if events[0].Action != apikey.ActionKeyRegenerated || events[0].ActorName != "support" || events[0].ClientIP != "192.0.2.1" {
		t.Fatalf("audit %+v", events[0])
	}
}

func TestJWTAccessKey(t *testing.T) {
	m, db, root, _ := setup(t)
	ctx := context.Background()
	s := settings("jwt", apikey.TypeGeneral)
	s.AccessType = apikey.AccessJWT
	k, secret, err := m.Create(ctx, actorWith(apikey.RoleGlobalAdmin), root, s, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.tokens.(*token.Signer).Parse(ctx, secret, token.KindKey)
	if err != nil || c.Subject != k.ID || c.Account != root {
		t.Fatalf("secret is not a JWT naming the key: %+v %v", c, err)
	}
	if !strings.HasPrefix(k.DisplayPrefix, "jwt…") {
		t.Errorf("prefix %q", k.DisplayPrefix)
	}
	_, fresh, err := m.Regenerate(ctx, actorWith(apikey.RoleGlobalAdmin), k.ID, 0, "")
	if err != nil || fresh == secret {
		t.Fatalf("regenerate: %v", err)
	}
	stored, _ := db.Key(ctx, k.ID)
	if stored.AccessType != apikey.AccessJWT || stored.SecretHash != apikey.HashSecret(fresh) {
		t.Fatalf("after regenerate %+v", stored)
	}
	// Without a signer, JWT keys are refused beside the field.
	plain := New(db, nil, nil)
	if _, _, err := plain.Create(ctx, actorWith(apikey.RoleGlobalAdmin), root, s, ""); apikey.ErrorField(err) != "access_type" {
		t.Fatalf("jwt without signer: %v", err)
	}
}
