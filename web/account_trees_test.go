package web

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
)

// Each instance keeps the account tree while the accounts stay as they
// are; a change made anywhere (here through another instance's database
// handle, as a second server would) shows on the next page of every one.
func TestAccountTreeFollowsChangesOnEveryInstance(t *testing.T) {
	t.Parallel()
	a := newTestServer(t)
	b := a.sibling(t)
	other := b.signIn(t, "other-admin", a.addUser(t, "other-admin", apikey.RoleGlobalAdmin))
	switcher := func() []string {
		t.Helper()
		_, body := other.get(t, "/security/api-keys")
		var labels []string
		parseHTML(t, body).Find("#account-switch option").Each(func(_ int, o *goquery.Selection) {
			labels = append(labels, o.Text())
		})
		return labels
	}
	before := switcher()
	if slices.Contains(before, "Tree Alpha") {
		t.Fatalf("switcher before: %q", before)
	}
	pad := "\u00a0\u00a0" // one level down
	alpha := a.addAccount(t, "Tree Alpha", "")
	beta := a.addAccount(t, "Tree Beta", "")
	if got := switcher(); !slices.Contains(got, pad+"Tree Alpha") || !slices.Contains(got, pad+"Tree Beta") {
		t.Fatalf("created accounts not seen by the other instance: %q", got)
	}
	ctx := context.Background()
	if err := a.db.MoveAccount(ctx, beta, alpha, &apikey.AuditEvent{Action: "account.moved", TargetID: beta, TargetName: "Tree Beta"}); err != nil {
		t.Fatal(err)
	}
	got := switcher()
	at := slices.Index(got, pad+"Tree Alpha")
	if at < 0 || at+1 >= len(got) || got[at+1] != pad+pad+"Tree Beta" {
		t.Fatalf("moved account not shown under its new parent: %q", got)
	}
	if _, err := a.db.DeleteAccount(ctx, beta, false, &apikey.AuditEvent{Action: "account.deleted", TargetID: beta, TargetName: "Tree Beta"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := switcher(); slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, "Tree Beta") }) {
		t.Fatalf("deleted account still offered: %q", got)
	}
}
