package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

// TestAuditVerifyCommand: a whole trail exits 0 with its count; a changed
// entry exits 1 with one line naming it.
func TestAuditVerifyCommand(t *testing.T) {
	t.Parallel()
	path := storetest.SQLiteDSN(t)
	env := map[string]string{"KEYCONSOLE_DB": path}
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	root, err := db.RootAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		k := &apikey.Key{AccountID: root.ID, CreatedBy: "test", SecretHash: fmt.Sprintf("%064d", i), DisplayPrefix: "kc_g_",
			Settings: apikey.Settings{Name: fmt.Sprintf("audited %d", i), Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true}}
		if err := db.CreateKey(ctx, k, &apikey.AuditEvent{ActorKind: apikey.PrincipalSystem, ActorID: "cli", ActorName: "test", Action: apikey.ActionKeyCreated}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, out := runCLI(t, env, "audit", "verify")
	if code != exitOK || !strings.Contains(out, "whole: 3 entries") {
		t.Fatalf("exit %d: %s", code, out)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(storetest.DropAuditGuards("sqlite")); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit_events SET actor_name = 'someone else' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	code, out = runCLI(t, env, "audit", "verify")
	if code != exitError || strings.Count(out, "\n") != 1 || !strings.Contains(out, "(number 2) was changed") {
		t.Fatalf("exit %d: %s", code, out)
	}
}
