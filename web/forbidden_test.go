package web

import (
	"net/http"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

// TestForbiddenPageIsSignedIn: a refusal shows inside the signed-in frame
// (header with the user, side menu, sign-out) and says what the role may
// do, with no "Sign in" link; signed out, the page offers sign-in.
func TestForbiddenPageIsSignedIn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	support := ts.signIn(t, "helpdesk", ts.addUser(t, "helpdesk", apikey.RoleSupport))
	for _, path := range []string{"/users", "/security/api-keys/new"} {
		res, body := support.get(t, path)
		doc := parseHTML(t, body)
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if user := doc.Find(`[data-testid="current-user"]`).Text(); !strings.Contains(user, "helpdesk") || !strings.Contains(user, "Support") {
			t.Errorf("%s: user %q", path, user)
		}
		if doc.Find(`nav.sidenav a[href="/security/api-keys"]`).Length() != 1 || doc.Find(`nav.sidenav a[href="/users"]`).Length() != 0 {
			t.Errorf("%s: menu %q", path, doc.Find(`nav.sidenav`).Text())
		}
		if doc.Find(`form[action="/logout"]`).Length() != 1 || doc.Find(`a[href="/login"]`).Length() != 0 {
			t.Errorf("%s: sign-out missing or sign-in offered", path)
		}
		if may := doc.Find(`[data-testid="role-may"]`).Text(); !strings.Contains(may, "Support") || !strings.Contains(may, "regenerate keys of type Chrome") {
			t.Errorf("%s: role says %q", path, may)
		}
	}
	// Signed out there is no frame to keep: the page offers sign-in.
	_, body := ts.newClient(t).get(t, "/no-such-page")
	doc := parseHTML(t, body)
	if doc.Find(`a[href="/login"]`).Length() != 1 || doc.Find(`[data-testid="current-user"]`).Length() != 0 {
		t.Errorf("signed-out error page: %q", doc.Find("main").Text())
	}
}
