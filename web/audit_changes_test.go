package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
	"keyconsole/internal/signin"
	"keyconsole/internal/store/storetest"
)

// shownChanges are the changes of each row of the audit log page at query,
// as c sees them, in words.
func shownChanges(t *testing.T, c *client, query string) [][]string {
	t.Helper()
	res, body := c.get(t, "/security/audit"+query)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("audit log %s: %d", query, res.StatusCode)
	}
	return changesIn(t, body, `[data-testid="audit-log-row"]`)
}

func changesIn(t *testing.T, body, rows string) [][]string {
	t.Helper()
	var out [][]string
	parseHTML(t, body).Find(rows).Each(func(_ int, row *goquery.Selection) {
		var changes []string
		row.Find(`ul.changes li`).Each(func(_ int, li *goquery.Selection) {
			changes = append(changes, strings.Join(strings.Fields(li.Text()), " "))
		})
		out = append(out, changes)
	})
	return out
}

// csvChanges are the changes column of the audit CSV at query.
func csvChanges(t *testing.T, ts *testServer, query string) []string {
	t.Helper()
	_, body := ts.get(t, "/security/audit.csv"+query)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 || recs[0][8] != "changes" {
		t.Fatalf("CSV %q: %v", recs, err)
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[8])
	}
	return out
}

// renameAccount renames an account behind the console's back (it has no
// page for that yet), as another instance or a later feature would.
func renameAccount(t *testing.T, ts *testServer, id, name string) {
	t.Helper()
	storetest.Exec(t, ts.dbPath, `UPDATE accounts SET name = $1, name_fold = $2 WHERE id = $3`, name, strings.ToLower(name), id)
}

// TestAuditNamesAccountsAsTheyAreNow: the audit trail records accounts by
// id, so its log, a key's audit tab and the CSV name them as they are
// called when read: a renamed account by its new name, a deleted one by
// the name recorded when it went, one the reader may not see as "another
// account".
func TestAuditNamesAccountsAsTheyAreNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ts := newTestServer(t)
	alpha, beta, gamma := ts.addAccount(t, "Alpha", ""), ts.addAccount(t, "Beta", ""), ts.addAccount(t, "Gamma", "")
	k, _ := ts.addKey(t, "Mover", inAccount(alpha))
	form := url.Values{"account_id": {beta}, "version": {"1"}}
	if res, _ := ts.admin.post(t, keyURL(k.ID)+"/move", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", res.StatusCode)
	}
	ts.addUser(t, "vera", apikey.RoleSupport)
	vera, _ := ts.db.UserByName(ctx, "vera")
	if res, _ := ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {alpha, gamma}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("role: %d", res.StatusCode)
	}
	renameAccount(t, ts, alpha, "Omega")
	if res, _ := ts.admin.post(t, "/accounts/"+gamma+"/delete", yes()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete Gamma: %d", res.StatusCode)
	}

	all := "&account=" + ts.root
	if got := shownChanges(t, ts.admin, "?action=key.moved"+all); len(got) != 1 || !slices.Equal(got[0], []string{"Account: Omega → Beta"}) {
		t.Errorf("the move reads %q", got)
	}
	role := shownChanges(t, ts.admin, "?action=user.role_changed"+all)
	if len(role) != 1 || len(role[0]) != 1 || !strings.HasPrefix(role[0][0], "Role: Support → Account Viewer (") ||
		!strings.Contains(role[0][0], "Omega") || !strings.Contains(role[0][0], "Gamma (deleted)") || strings.Contains(role[0][0], "Alpha") {
		t.Errorf("the role change reads %q", role)
	}
	_, tab := ts.get(t, keyURL(k.ID)+"?tab=audit")
	if got := changesIn(t, tab, `[data-testid="audit-row"]`); len(got) != 1 || !slices.Equal(got[0], []string{"Account: Omega → Beta"}) {
		t.Errorf("the key's audit tab reads %q", got)
	}
	if got := csvChanges(t, ts, "?action=key.moved"+all); !slices.Equal(got, []string{"Account: Omega -> Beta"}) {
		t.Errorf("CSV of the move %q", got)
	}
	if got := csvChanges(t, ts, "?action=user.role_changed"+all); len(got) != 1 || !strings.Contains(got[0], "Omega") ||
		!strings.Contains(got[0], "Gamma (deleted)") || strings.Contains(got[0], "acc_") {
		t.Errorf("CSV of the role change %q", got)
	}
}

// TestAuditNamesHideAccountsOutOfSight: to a reader of part of the tree,
// an account a change names that they may not see reads as another
// account, in a structured change as in one in words.
func TestAuditNamesHideAccountsOutOfSight(t *testing.T) {
	t.Parallel()
	const seen, hidden = "acc_AAAAAAAAAAAAAAAA", "acc_BBBBBBBBBBBBBBBB"
	names := &auditNames{dir: accountDirectory{names: map[string]string{seen: "Beta"}, seen: map[string]bool{seen: true}}, gone: map[string]string{},
		lookup: func([]string) (map[string]string, error) {
			t.Error("a partial reader looked up deleted accounts")
			return nil, nil
		}}
	old := apikey.Change{Field: "Role", To: json.RawMessage(`"Account Viewer (` + hidden + `, ` + seen + `)"`)}
	for _, c := range []struct {
		ch   apikey.Change
		want string
	}{
		{apikey.NewChange(apikey.FieldAccountID, hidden, seen), "Account: another account → Beta"},
		{apikey.NewChange(apikey.FieldRole, nil, apikey.GrantData{Role: apikey.RoleAccountViewer, Accounts: []string{hidden, seen}}), "Role: Account Viewer (another account, Beta)"},
		{old, "Role: Account Viewer (another account, Beta)"},
	} {
		if err := names.learn(apikey.AuditEvent{AccountID: seen, Changes: []apikey.Change{c.ch}}); err != nil {
			t.Fatal(err)
		}
		if got := names.change(c.ch, " → "); got != c.want {
			t.Errorf("%s reads %q, want %q", c.ch.Field, got, c.want)
		}
	}
}

// TestOldFormatEntriesReadAsBefore: entries written before changes were
// data (labels, words, accounts by id in a role's words) read on the page,
// the key's tab and the CSV as they always did, and keep the chain whole.
func TestOldFormatEntriesReadAsBefore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ts := newTestServer(t)
	customer := ts.addAccount(t, "Customer", "")
	k, _ := ts.addKey(t, "Old timer")
	old := `[{"field":"Active","from":"Yes","to":"No"},{"field":"Roles","from":"None","to":"Account Viewer (` + customer + `)"},` +
		`{"field":"Expires","from":"Never","to":"2027-01-02 00:00 UTC"}]`
	ev := apikey.NewAuditEvent(&apikey.Principal{Kind: apikey.PrincipalUser, ID: "usr_old", Name: "admin"}, "192.0.2.1", apikey.ActionKeyUpdated)
	if err := json.Unmarshal([]byte(old), &ev.Changes); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.UpdateKey(ctx, k, ev); err != nil {
		t.Fatal(err)
	}
	renameAccount(t, ts, customer, "Client")
	want := []string{"Active: Yes → No", "Roles: None → Account Viewer (Client)", "Expires: Never → 2027-01-02 00:00 UTC"}
	if got := shownChanges(t, ts.admin, "?action=key.updated"); len(got) != 1 || !slices.Equal(got[0], want) {
		t.Errorf("the old entry reads %q, want %q", got, want)
	}
	_, tab := ts.get(t, keyURL(k.ID)+"?tab=audit")
	if got := changesIn(t, tab, `[data-testid="audit-row"]`); len(got) != 1 || !slices.Equal(got[0], want) {
		t.Errorf("the key's audit tab reads %q", got)
	}
	if got := csvChanges(t, ts, "?action=key.updated"); !slices.Equal(got, []string{"Active: Yes -> No; Roles: None -> Account Viewer (Client); Expires: Never -> 2027-01-02 00:00 UTC"}) {
		t.Errorf("CSV %q", got)
	}
	if check, err := ts.db.VerifyAudit(ctx); err != nil || check.Problem != "" || check.Entries == 0 {
		t.Errorf("chain %+v: %v", check, err)
	}
}

// TestSignInEntriesOnTheAuditPage: a sign-in through the login form and
// one through an app's key, failures, the lock-out after the username's
// ceiling, a password change and an admin's reset are each an entry of the
// audit log, with what they carry (the key, the lock-out, the new password
// the reset asks for) as data shown in words.
func TestSignInEntriesOnTheAuditPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ts := newTestServer(t, behindProxy)
	pw := ts.addUser(t, "sam", apikey.RoleSupport)
	sam, _ := ts.db.UserByName(ctx, "sam")
	if code := loginFrom(t, ts, "203.0.113.5", "sam", pw); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	_, key := appKey(t, ts, func(k *apikey.Key) { k.AllowUntrustedEndpoints = true })
	if code := apiLoginFrom(t, ts, key, "203.0.113.5", "sam", pw); code != http.StatusOK {
		t.Fatalf("sign-in through the app: %d", code)
	}
	if code := apiLoginFrom(t, ts, key, "198.51.100.200", "sam", "not-sams-password"); code != http.StatusUnauthorized {
		t.Fatalf("failure through the app: %d", code)
	}
	session := ts.signIn(t, "sam", pw)
	const fresh, reset = "sams-own-new-password", "a-password-from-the-admin"
	if res, _ := session.changePassword(t, pw, fresh, fresh); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, "/users/"+sam.ID+"/password", url.Values{"password": {reset}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	forced := ts.signIn(t, "sam", reset)
	if res, _ := forced.changePassword(t, reset, fresh+"-2", fresh+"-2"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change after the reset: %d", res.StatusCode)
	}
	for i := range signin.ThrottlePolicy.UsernameCeiling - 1 {
		if code := loginFrom(t, ts, fmt.Sprintf("198.51.100.%d", i+1), "sam", "not-sams-password"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}

	for _, c := range []struct {
		action string
		rows   int
		want   [][]string
	}{
		{apikey.ActionUserSignedIn, 4, [][]string{nil, nil, {"Through API key: mobile app"}, nil}},
		{apikey.ActionUserSignInLock, 1, [][]string{{fmt.Sprintf("Locked: the username, from addresses it has not signed in from (%d failures in 15m0s)", signin.ThrottlePolicy.UsernameCeiling)}}},
		{apikey.ActionPasswordReset, 1, [][]string{{"Must choose a new password at sign-in: No → Yes"}}},
		{apikey.ActionPasswordChanged, 2, [][]string{{"Must choose a new password at sign-in: Yes → No"}, nil}},
	} {
		res, body := ts.get(t, "/security/audit?key=sam&action="+c.action)
		rows := parseHTML(t, body).Find(`[data-testid="audit-log-row"]`)
		if res.StatusCode != http.StatusOK || rows.Length() != c.rows {
			t.Errorf("%s: %d, %d rows, want %d", c.action, res.StatusCode, rows.Length(), c.rows)
			continue
		}
		if !strings.Contains(rows.First().Text(), actionLabel(c.action)) || !strings.Contains(rows.First().Text(), "sam") {
			t.Errorf("%s reads %q", c.action, strings.Join(strings.Fields(rows.First().Text()), " "))
		}
		if got := changesIn(t, body, `[data-testid="audit-log-row"]`); c.want != nil && !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("%s: changes %q, want %q", c.action, got, c.want)
		}
	}
	failures := csvChanges(t, ts, "?key=sam&action="+apikey.ActionUserSignInFail)
	if len(failures) != signin.ThrottlePolicy.UsernameCeiling || failures[len(failures)-1] != "Through API key: mobile app" || failures[0] != "" {
		t.Errorf("CSV of the failures %q", failures)
	}
	if got := csvChanges(t, ts, "?key=sam&action="+apikey.ActionUserSignInLock); len(got) != 1 || !strings.HasPrefix(got[0], "Locked: the username") {
		t.Errorf("CSV of the lock-out %q", got)
	}
}
