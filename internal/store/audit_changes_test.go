package store

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// rawChanges is the changes column of the entries of target, oldest first,
// as stored.
func rawChanges(t *testing.T, db *DB, target string) []string {
	t.Helper()
	out, err := queryNames(context.Background(), db.reader, `SELECT changes FROM audit_events WHERE target_id = ? ORDER BY seq`, target)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func auditEvent(action string) *apikey.AuditEvent {
	return &apikey.AuditEvent{ActorKind: apikey.PrincipalUser, ActorID: "usr_1", ActorName: "admin", Action: action}
}

// TestAuditChangesStoredAsData: a key's creation, a user's role change and
// a key's move are stored as field identifiers and typed values, accounts
// by id: no labels, no words, no names.
func TestAuditChangesStoredAsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openTest(t)
	accts := newAccounts(t, db, "Customer", "Vendor")
	customer, vendor := accts[0], accts[1]
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	s := apikey.Settings{Name: "Gateway", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
		Roles: []apikey.RoleGrant{{Role: apikey.RoleAccountViewer, Accounts: []string{customer}}}, ExpiresAt: &exp,
		AllowedIPs: []apikey.IPEntry{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Source: "192.0.2.0/24"}}}
	k := &apikey.Key{AccountID: customer, Settings: s, SecretHash: strings.Repeat("ab", 32), DisplayPrefix: "kc_g_", CreatedBy: "admin"}
	ev := auditEvent(apikey.ActionKeyCreated)
	ev.Changes = apikey.Diff(apikey.Settings{}, s)
	if err := db.CreateKey(ctx, k, ev); err != nil {
		t.Fatal(err)
	}
	if err := db.MoveKey(ctx, k, vendor, "admin", auditEvent(apikey.ActionKeyMoved)); err != nil {
		t.Fatal(err)
	}
	u := &apikey.User{AccountID: root(t, db), Username: "vera", PasswordHash: "x", Role: apikey.RoleSupport, Active: true, CreatedBy: "admin"}
	if err := db.CreateUser(ctx, u, auditEvent(apikey.ActionUserCreated)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUserRole(ctx, u.ID, apikey.RoleAccountViewer, []string{customer, vendor}, auditEvent(apikey.ActionUserRoleChanged)); err != nil {
		t.Fatal(err)
	}

	type change struct {
		Field    string
		From, To any
	}
	read := func(raw string) map[string]change {
		var cs []change
		if err := json.Unmarshal([]byte(raw), &cs); err != nil {
			t.Fatalf("changes %s: %v", raw, err)
		}
		out := map[string]change{}
		for _, c := range cs {
			out[c.Field] = c
		}
		return out
	}
	keyRows, userRows := rawChanges(t, db, k.ID), rawChanges(t, db, u.ID)
	if len(keyRows) != 2 || len(userRows) != 2 {
		t.Fatalf("entries: key %q, user %q", keyRows, userRows)
	}
	for _, raw := range append(keyRows, userRows...) {
		for _, words := range []string{"Yes", "Never", "Account Viewer", "Customer", "Vendor", "Allowed IPs", "Any address", " UTC"} {
			if strings.Contains(raw, words) {
				t.Errorf("stored in words (%q): %s", words, raw)
			}
		}
	}
	created := read(keyRows[0])
	if c := created[apikey.FieldActive]; c.From != false || c.To != true {
		t.Errorf("active %+v", c)
	}
	if c := created[apikey.FieldExpiresAt]; c.From != nil || c.To != "2027-01-02T03:04:05Z" {
		t.Errorf("expires_at %+v", c)
	}
	if c, _ := json.Marshal(created[apikey.FieldRoles].To); string(c) != `[{"accounts":["`+customer+`"],"role":"account-viewer"}]` {
		t.Errorf("roles %s", c)
	}
	if c, _ := json.Marshal(created[apikey.FieldAllowedIPs].To); string(c) != `["192.0.2.0/24"]` {
		t.Errorf("allowed_ips %s", c)
	}
	if c := read(keyRows[1])[apikey.FieldAccountID]; c.From != customer || c.To != vendor {
		t.Errorf("move %+v", c)
	}
	if c, _ := json.Marshal(read(userRows[1])[apikey.FieldRole]); string(c) != `{"Field":"role","From":{"role":"support"},"To":{"accounts":["`+customer+`","`+vendor+`"],"role":"account-viewer"}}` {
		t.Errorf("role change %s", c)
	}
	if check, err := db.VerifyAudit(ctx); err != nil || check.Problem != "" {
		t.Errorf("chain %+v: %v", check, err)
	}
}

// oldChanges is how an entry's changes were stored before they were
// data: labels, and values in words with accounts by id.
const oldChanges = `[{"field":"Active","from":"Yes","to":"No"},{"field":"Roles","from":"None","to":"Account Viewer (acc_AAAAAAAAAAAAAAAA)"},{"field":"Old secret accepted until","from":"","to":"No longer (stopped at once)"}]`

// TestOldFormatEntryStaysAndVerifies: an entry in the old form is stored
// byte for byte as it came, reads back as it always read, and the chain
// over it stays whole.
func TestOldFormatEntryStaysAndVerifies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openTest(t)
	k := newKey(t, db, root(t, db), "Old timer")
	ev := auditEvent(apikey.ActionKeyUpdated)
	if err := json.Unmarshal([]byte(oldChanges), &ev.Changes); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateKey(ctx, k, ev); err != nil {
		t.Fatal(err)
	}
	newKey(t, db, root(t, db), "Later") // an entry chained after it
	if raw := rawChanges(t, db, k.ID); len(raw) != 1 || raw[0] != oldChanges {
		t.Fatalf("stored %q", raw)
	}
	if check, err := db.VerifyAudit(ctx); err != nil || check.Problem != "" {
		t.Fatalf("chain %+v: %v", check, err)
	}
	events, err := db.KeyAudit(ctx, k.ID, 1)
	if err != nil || len(events) != 1 || len(events[0].Changes) != 3 {
		t.Fatalf("read back %+v: %v", events, err)
	}
	name := func(id string) string { return map[string]string{"acc_AAAAAAAAAAAAAAAA": "Customer"}[id] }
	want := []apikey.ChangeText{{Label: "Active", From: "Yes", To: "No"}, {Label: "Roles", From: "None", To: "Account Viewer (Customer)"},
		{Label: "Old secret accepted until", To: "No longer (stopped at once)"}}
	for i, ch := range events[0].Changes {
		if ch.Structured() || ch.Text(name) != want[i] {
			t.Errorf("change %d reads %+v, want %+v", i, ch.Text(name), want[i])
		}
	}
}
