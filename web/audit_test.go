package web

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
)

func TestAuditLog(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.admin.post(t, "/security/api-keys", createForm("=HYPERLINK(\"http://evil\")"))
	ts.admin.post(t, "/security/api-keys", createForm("Plain key"))
	k := keyByName(t, ts, "Plain key")
	ts.admin.post(t, keyURL(k.ID)+"/deactivate", yes())
	ts.admin.post(t, keyURL(k.ID)+"/delete", url.Values{})

	_, body := ts.get(t, "/security/audit")
	doc := parseHTML(t, body)
	// The admin's sign-in and the four changes.
	if n := doc.Find(`[data-testid="audit-log-row"]`).Length(); n != 5 {
		t.Fatalf("%d rows, want 5", n)
	}
	if first := doc.Find(`[data-testid="audit-log-row"]`).First().Text(); !strings.Contains(first, "Deleted") || !strings.Contains(first, "(deleted)") {
		t.Errorf("newest first: %q", first)
	}
	for query, want := range map[string]int{
		"?action=key.created":                  2,
		"?key=plain":                           3,
		"?key=" + k.ID:                         3,
		"?actor=ADMIN":                         5,
		"?actor=nobody":                        0,
		"?from=" + ts.now.Format("2006-01-02"): 5,
		"?to=" + ts.now.AddDate(0, 0, -1).Format("2006-01-02"): 0,
	} {
		_, body := ts.get(t, "/security/audit"+query)
		if n := parseHTML(t, body).Find(`[data-testid="audit-log-row"]`).Length(); n != want {
			t.Errorf("%s: %d rows, want %d", query, n, want)
		}
	}
	// Bad filters are said beside their field, and kept.
	res, body := ts.get(t, "/security/audit?from=31/03/2026&to=2026-01-01&action=key.exploded")
	doc = parseHTML(t, body)
	if res.StatusCode != 422 || doc.Find(`[data-testid="error-from"]`).Text() == "" || doc.Find(`[data-testid="error-action"]`).Text() == "" {
		t.Fatalf("bad filters: %d", res.StatusCode)
	}
	if v, _ := doc.Find("#from").Attr("value"); v != "31/03/2026" {
		t.Errorf("from not kept: %q", v)
	}
	if res, body := ts.get(t, "/security/audit?from=2026-05-02&to=2026-05-01"); res.StatusCode != 422 || !strings.Contains(body, "before the start") {
		t.Errorf("reversed range: %d", res.StatusCode)
	}

	// The CSV holds the same events; a name that looks like a formula is defused.
	res, body = ts.get(t, "/security/audit.csv?action=key.created"+"&account="+ts.root)
	if res.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv headers %v", res.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "time_utc" {
		t.Fatalf("csv: %v %d rows", err, len(rows))
	}
	names := rows[1][6] + "|" + rows[2][6]
	if !strings.Contains(names, `'=HYPERLINK("http://evil")`) {
		t.Errorf("formula not defused: %q", names)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", rows[1][0]); err != nil {
		t.Errorf("time column %q", rows[1][0])
	}
}

// TestAuditUsersAndAccounts: changes to users and accounts are in the audit
// trail beside key changes, with what changed and never a password; a
// refused change records nothing.
func TestAuditUsersAndAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	customer := ts.addAccount(t, "Customer", "")
	other := ts.addAccount(t, "Other", "")
	const password = "a-good-long-password"
	if res, _ := ts.admin.post(t, "/users", url.Values{"username": {"vera"}, "password": {password}, "role": {"support"}, "account_id": {ts.root}}); res.StatusCode != 303 {
		t.Fatalf("create user: %d", res.StatusCode)
	}
	vera, _ := ts.db.UserByName(context.Background(), "vera")
	ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {customer}})
	ts.admin.post(t, "/users/"+vera.ID+"/deactivate", yes())
	ts.admin.post(t, "/users/"+vera.ID+"/activate", yes())
	admin, _ := ts.db.UserByName(context.Background(), "admin")
	if res, _ := ts.admin.post(t, "/users/"+admin.ID+"/deactivate", yes()); res.StatusCode != 409 {
		t.Fatalf("last admin deactivated: %d", res.StatusCode)
	}
	if res, _ := ts.admin.post(t, "/accounts", url.Values{"name": {"Reseller"}, "parent_id": {ts.root}}); res.StatusCode != 303 {
		t.Fatalf("create account: %d", res.StatusCode)
	}
	ts.admin.post(t, "/accounts/"+other+"/move", url.Values{"parent_id": {customer}})
	ts.admin.post(t, "/accounts/"+other+"/delete", yes())

	for query, want := range map[string][]string{
		"?action=user.created":      {"User", "vera", "Created", "Role: Support"},
		"?action=user.role_changed": {"vera", "Role changed", "Role: Support → Account Viewer (Customer)"},
		"?action=user.deactivated":  {"vera", "Deactivated"},
		"?action=user.activated":    {"vera", "Activated"},
		"?action=account.created":   {"Account", "Reseller", "Created"},
		"?action=account.moved":     {"Other", "Moved", "Parent account: Root → Customer"},
		"?action=account.deleted":   {"Other", "Deleted", "(deleted)"},
	} {
		_, body := ts.get(t, "/security/audit"+query)
		rows := parseHTML(t, body).Find(`[data-testid="audit-log-row"]`)
		if rows.Length() != 1 {
			t.Errorf("%s: %d rows, want 1", query, rows.Length())
			continue
		}
		text := strings.Join(strings.Fields(rows.Text()), " ")
		for _, w := range want {
			if !strings.Contains(text, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("%s: row %q lacks %q", query, text, w)
			}
		}
	}
	// Creating the account also created its three predefined keys.
	_, body := ts.get(t, "/security/audit?key=admin&action=user.deactivated")
	if strings.Contains(body, "admin") && parseHTML(t, body).Find(`[data-testid="audit-log-row"]`).Length() != 0 {
		t.Error("the refused deactivation of the last admin was recorded")
	}
	_, csvBody := ts.get(t, "/security/audit.csv?key=vera")
	if recs, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll(); err != nil || len(recs) != 5 || recs[0][5] != "target_id" || recs[1][5] != vera.ID {
		t.Errorf("CSV: %v %v", recs, err)
	}
	if strings.Contains(body+csvBody, password) || ts.responsesContaining(password) > 0 || strings.Contains(ts.logs.String(), password) {
		t.Error("a password reached the audit trail, a response or the log")
	}
}

// TestAuditAccountNames: the audit log and its CSV name each event's
// account (its id beside it: in a title, and the CSV's account_id column)
// and the accounts of a role's scope; an account since deleted goes by the
// name the trail recorded for it, else by its id, marked "(deleted)".
func TestAuditAccountNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ts := newTestServer(t)
	gone, lost, customer := ts.addAccount(t, "Gone", ""), ts.addAccount(t, "Lost", ""), ts.addAccount(t, "Customer", "")
	for _, account := range []string{gone, lost, customer} {
		if res, _ := ts.admin.post(t, "/security/api-keys?account="+account, createForm("Gateway")); res.StatusCode != 201 {
			t.Fatalf("create: %d", res.StatusCode)
		}
		p, err := ts.db.ListKeys(ctx, apikey.KeyQuery{AccountIDs: []string{account}, Now: ts.now})
		if err != nil || len(p.Keys) != 1 {
			t.Fatalf("keys of %s: %v", account, err)
		}
		if account != customer {
			ts.admin.post(t, keyURL(p.Keys[0].ID)+"/delete", url.Values{})
		}
	}
	ts.addUser(t, "vera", apikey.RoleSupport)
	vera, _ := ts.db.UserByName(ctx, "vera")
	ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"account-viewer"}, "role_accounts": {gone, customer}})
	ts.admin.post(t, "/users/"+vera.ID+"/role", url.Values{"role": {"support"}})
	// Gone is deleted in the console, which records its name; Lost leaves no name behind.
	if res, _ := ts.admin.post(t, "/accounts/"+gone+"/delete", url.Values{"confirm": {"yes"}}); res.StatusCode != 303 {
		t.Fatalf("delete Gone: %d", res.StatusCode)
	}
	if _, err := ts.db.DeleteAccount(ctx, lost, true, nil, nil); err != nil {
		t.Fatal(err)
	}

	_, body := ts.get(t, "/security/audit?action=key.created"+"&account="+ts.root)
	got := map[string]string{}
	parseHTML(t, body).Find(`[data-testid="audit-account"]`).Each(func(_ int, td *goquery.Selection) {
		got[td.AttrOr("title", "")] = td.Text()
	})
	want := map[string]string{customer: "Customer", gone: "Gone (deleted)", lost: lost + " (deleted)"}
	if !maps.Equal(got, want) {
		t.Errorf("accounts of the events %v, want %v", got, want)
	}
	_, body = ts.get(t, "/security/audit?action=user.role_changed"+"&account="+ts.root)
	changes := parseHTML(t, body).Find(`ul.changes`).Text()
	if !strings.Contains(changes, "Support → Account Viewer (") || !strings.Contains(changes, "Gone (deleted)") || !strings.Contains(changes, "Customer") || strings.Contains(changes, "acc_") {
		t.Errorf("role changes read %q", changes)
	}

	_, body = ts.get(t, "/security/audit.csv?action=key.created"+"&account="+ts.root)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][4] != "account_id" || recs[0][9] != "account" {
		t.Fatalf("CSV %v %v", recs, err)
	}
	got = map[string]string{}
	for _, r := range recs[1:] {
		got[r[4]] = r[9]
	}
	if !maps.Equal(got, want) {
		t.Errorf("CSV accounts %v, want %v", got, want)
	}
	_, body = ts.get(t, "/security/audit.csv?action=user.role_changed"+"&account="+ts.root)
	if recs, _ := csv.NewReader(strings.NewReader(body)).ReadAll(); len(recs) != 3 || !strings.Contains(recs[2][8], "Gone (deleted)") || strings.Contains(recs[1][8]+recs[2][8], "acc_") {
		t.Errorf("CSV role changes %q", recs)
	}
}

// TestAuditNamesLookUpOnce: the names of deleted accounts are read in one
// look-up for a page's events, and each only once while a CSV streams.
func TestAuditNamesLookUpOnce(t *testing.T) {
	t.Parallel()
	var asked [][]string
	names := &auditNames{
		dir:   accountDirectory{names: map[string]string{"acc_AAAAAAAAAAAAAAAA": "Here"}, seen: map[string]bool{"acc_AAAAAAAAAAAAAAAA": true}},
		whole: true, gone: map[string]string{},
		lookup: func(ids []string) (map[string]string, error) {
			asked = append(asked, ids)
			return map[string]string{"acc_BBBBBBBBBBBBBBBB": "Was"}, nil
		},
	}
	// As written before changes were data: the scope's accounts by id in words.
	role := apikey.Change{Field: "Role", From: json.RawMessage(`"Support"`), To: json.RawMessage(`"Account Viewer (acc_AAAAAAAAAAAAAAAA, acc_CCCCCCCCCCCCCCCC)"`)}
	events := []apikey.AuditEvent{{AccountID: "acc_AAAAAAAAAAAAAAAA"}, {AccountID: "acc_BBBBBBBBBBBBBBBB"},
		{AccountID: "acc_BBBBBBBBBBBBBBBB", Changes: []apikey.Change{role}}}
	if err := names.learn(events...); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		names.learn(ev)
	}
	if len(asked) != 1 || !slices.Equal(asked[0], []string{"acc_BBBBBBBBBBBBBBBB", "acc_CCCCCCCCCCCCCCCC"}) {
		t.Errorf("looked up %v", asked)
	}
	if got := names.change(role, " -> "); got != "Role: Support -> Account Viewer (Here, acc_CCCCCCCCCCCCCCCC (deleted))" {
		t.Errorf("change %q", got)
	}
	if got := names.name("acc_BBBBBBBBBBBBBBBB"); got != "Was (deleted)" {
		t.Errorf("deleted account %q", got)
	}
}

// TestAuditPageShowsTheChainCheck: the audit page says the trail's hash
// chain was never verified, then when it was and that it was whole, then
// what was tampered with; a reader of some accounts only is told nothing.
func TestAuditPageShowsTheChainCheck(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.addKey(t, "audited") // through the store: the console's own changes add entries too
	ts.admin.post(t, "/accounts", url.Values{"name": {"Chained"}, "parent_id": {ts.root}})
	chain := func() string {
		_, body := ts.get(t, "/security/audit")
		return parseHTML(t, body).Find(`[data-testid="audit-chain"]`).Text()
	}
	if got := chain(); !strings.Contains(got, "not been verified yet") {
		t.Fatalf("before any check: %q", got)
	}
	check, err := ts.db.VerifyAudit(context.Background())
	if err != nil || check.Problem != "" || check.Entries == 0 {
		t.Fatalf("%+v: %v", check, err)
	}
	if got := chain(); !strings.Contains(got, fmt.Sprintf("the hash chain of %d entries is whole", check.Entries)) {
		t.Fatalf("after a check: %q", got)
	}
	if storetest.Engine() == "sqlite" {
		raw, err := sql.Open("sqlite", ts.dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(storetest.DropAuditGuards("sqlite")); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE audit_events SET actor_name = 'nobody' WHERE seq = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.db.VerifyAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := chain(); !strings.Contains(got, "tampered with") || !strings.Contains(got, "(number 1) was changed") {
			t.Fatalf("after tampering: %q", got)
		}
	}
	customer := ts.addAccount(t, "Customer", "")
	viewer := ts.signIn(t, "vic", ts.addUser(t, "vic", apikey.RoleAccountViewer, customer))
	if _, body := viewer.get(t, "/security/audit?account="+customer); parseHTML(t, body).Find(`[data-testid="audit-chain"]`).Length() != 0 {
		t.Fatal("a reader of one account is told about the whole trail")
	}
}

// A name part under three characters, which no index finds, is matched
// among the newest events only, by whole days, and the page says which and
// links to the days before: followed to the end, the links show every
// match once. A longer part, or a start date, searches every day.
func TestAuditShortPartSearchesTheNewestDays(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *testConfig) { c.AuditShortWindow = 10 })
	today := ts.now.Truncate(24 * time.Hour)
	var events []apikey.AuditEvent
	want := map[string]bool{}
	for day := 1; day <= 6; day++ {
		for i := range 10 {
			n := day*10 + i
			ev := apikey.AuditEvent{ID: fmt.Sprintf("evt_%03d", n), At: today.AddDate(0, 0, -day).Add(time.Hour + time.Duration(i)*time.Minute),
				ActorKind: apikey.PrincipalUser, ActorName: fmt.Sprintf("Carl %03d", n), AccountID: ts.root,
				TargetID: fmt.Sprintf("key_%03d", n), TargetName: fmt.Sprintf("Target %03d", n), Action: apikey.ActionKeyUpdated}
			if n%3 == 0 && day != 3 { // the third day back matches nothing
				ev.ActorName = fmt.Sprintf("Abby %03d", n)
				want[ev.TargetName] = true
			}
			events = append(events, ev)
		}
	}
	if err := ts.db.BulkLoad(context.Background(), store.Bulk{Events: events}); err != nil {
		t.Fatal(err)
	}
	day := func(back int) string { return today.AddDate(0, 0, -back).Format(time.DateOnly) }
	targets := func(doc *goquery.Document) []string {
		var out []string
		doc.Find(`[data-testid="audit-log-row"] td:nth-child(4) a`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	// Each page a window of whole days, the newest first; the last, with
	// nothing before it, says nothing.
	// The first window has no end; the others end where the link said.
	window := func(back int) string {
		if back == 1 {
			return " on (UTC days)"
		}
		return " to " + day(back) + " (UTC days)"
	}
	seen := map[string]int{}
	path := "/security/audit?actor=AB"
	for back := 1; ; back++ {
		_, body := ts.get(t, path)
		doc := parseHTML(t, body)
		for _, target := range targets(doc) {
			seen[target]++
		}
		notice := doc.Find(`[data-testid="audit-window"]`)
		if back == 3 && !strings.Contains(doc.Find(`[data-testid="empty-state"]`).Text(), "No change from "+day(back)+" to "+day(back)+" matches") {
			t.Errorf("%s: empty window says %q", path, doc.Find(`[data-testid="empty-state"]`).Text())
		}
		if back == 6 {
			if notice.Length() != 0 {
				t.Fatalf("%s: the oldest days still say they are a window: %q", path, notice.Text())
			}
			break
		}
		if text := strings.Join(strings.Fields(notice.Text()), " "); !strings.Contains(text, "“AB” is under three characters") ||
			!strings.Contains(text, "10 or more, from "+day(back)+window(back)) {
			t.Fatalf("%s: window %q, want from %s", path, notice.Text(), day(back))
		}
		for _, target := range targets(doc) {
			var n int
			fmt.Sscanf(target, "Target %d", &n)
			if n/10 > back {
				t.Errorf("%s: %s is from before the window", path, target)
			}
		}
		link, _ := doc.Find(`[data-testid="audit-window-earlier"]`).Attr("href")
		if !strings.Contains(link, "to="+day(back+1)) || !strings.Contains(link, "actor=AB") {
			t.Fatalf("%s: earlier link %q", path, link)
		}
		path = link
	}
	if len(seen) != len(want) {
		t.Errorf("the windows showed %d matches, want %d: %v", len(seen), len(want), seen)
	}
	for target, n := range seen {
		if !want[target] || n != 1 {
			t.Errorf("%s shown %d times (a match: %v)", target, n, want[target])
		}
	}
	// Two short parts are named together.
	_, body2 := ts.get(t, "/security/audit?actor=ab&key=ar")
	if text := strings.Join(strings.Fields(parseHTML(t, body2).Find(`[data-testid="audit-window"]`).Text()), " "); !strings.Contains(text, "“ab” and “ar” are under three characters") {
		t.Errorf("two short parts: %q", text)
	}
	// An end date of the user's own: the window ends there.
	_, body := ts.get(t, "/security/audit?actor=ab&to="+day(2))
	if text := strings.Join(strings.Fields(parseHTML(t, body).Find(`[data-testid="audit-window"]`).Text()), " "); !strings.Contains(text, "from "+day(2)+" to "+day(2)+" (UTC days)") {
		t.Errorf("with an end date: %q", text)
	}
	// Three characters, or a start date: every day, no window. A short
	// part of a target's name is matched in a window too.
	for query, window := range map[string]bool{"?actor=abb": false, "?actor=ab&from=" + day(6): false, "?key=ar": true, "?key=arg": false,
		"?actor=ab&key=target": false} {
		_, body := ts.get(t, "/security/audit"+query)
		doc := parseHTML(t, body)
		if got := doc.Find(`[data-testid="audit-window"]`).Length() != 0; got != window {
			t.Errorf("%s: window %v, want %v", query, got, window)
		}
		if !window && strings.HasPrefix(query, "?actor") && len(targets(doc)) != len(want) && query != "?actor=ab&key=target" {
			t.Errorf("%s: %d rows, want %d", query, len(targets(doc)), len(want))
		}
	}
	// Below an account: the window is of its events (and those below it),
	// the probe read in the same scope.
	sub := ts.addAccount(t, "Branch", ts.root)
	events = events[:0]
	for back := 1; back <= 3; back++ {
		for i := range 10 {
			n := 100 + back*10 + i
			events = append(events, apikey.AuditEvent{ID: fmt.Sprintf("evt_%03d", n), At: today.AddDate(0, 0, -back).Add(2*time.Hour + time.Duration(i)*time.Minute),
				ActorKind: apikey.PrincipalUser, ActorName: fmt.Sprintf("Abby %03d", n), AccountID: sub,
				TargetID: fmt.Sprintf("key_%03d", n), TargetName: fmt.Sprintf("Target %03d", n), Action: apikey.ActionKeyUpdated})
		}
	}
	if err := ts.db.BulkLoad(context.Background(), store.Bulk{Events: events}); err != nil {
		t.Fatal(err)
	}
	_, body = ts.get(t, "/security/audit?account="+sub+"&actor=ab")
	doc := parseHTML(t, body)
	if text := strings.Join(strings.Fields(doc.Find(`[data-testid="audit-window"]`).Text()), " "); !strings.Contains(text, "from "+day(1)+" on") {
		t.Errorf("below an account: %q", text)
	}
	if got := targets(doc); len(got) != 10 || !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(b, a) }) || got[0] != "Target 119" || got[9] != "Target 110" {
		t.Errorf("below an account: %v, want its own first day back", got)
	}

}
