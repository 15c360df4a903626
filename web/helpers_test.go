package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/accounts"
	"keyconsole/internal/apikey"
	"keyconsole/internal/auditlog"
	"keyconsole/internal/auth"
	"keyconsole/internal/keys"
	"keyconsole/internal/logfmt"
	"keyconsole/internal/signin"
	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
	"keyconsole/internal/syncbuf"
	"keyconsole/internal/token"
	"keyconsole/internal/usage"
	"keyconsole/internal/users"
	"keyconsole/internal/verify"
)

// testServer is the real server on a real SQLite file, with its log
// captured, a settable clock and a signed-in Global Admin.
type testServer struct {
	*httptest.Server
	db     *store.DB
	dbPath string
	logs   *syncbuf.Buffer
	now    time.Time
	root   string
	admin  *client
	srv    *Server
	cfg    testConfig
	// bodies holds every response body any client of this server received.
	bodies struct {
		sync.Mutex
		all []string
	}
}

// responsesContaining counts the response bodies so far that hold s.
func (ts *testServer) responsesContaining(s string) int {
	ts.bodies.Lock()
	defer ts.bodies.Unlock()
	n := 0
	for _, b := range ts.bodies.all {
		if strings.Contains(b, s) {
			n++
		}
	}
	return n
}

// testParams keep argon2id cheap: tests sign in hundreds of times.
var testParams = auth.Params{Memory: 1024, Time: 1, Threads: 1}

// testConfig is the server's Config and what its services are built with.
type testConfig struct {
	Config
	Store     *store.DB
	Usage     *usage.Recorder // where verifications are counted; nil: nowhere
	RateLimit verify.Config
	Throttle  signin.Throttle // nil: the database's
	Logs      io.Writer       // nil: the test server's buffer
}

func newTestServer(t testing.TB, configure ...func(*testConfig)) *testServer {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root, err := db.RootAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sessionKeys, err := auth.LoadOrCreateSessionKeys(filepath.Join(t.TempDir(), "session.key"))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{db: db, dbPath: dsn, logs: &syncbuf.Buffer{}, now: time.Now().UTC(), root: root.ID}
	cfg := testConfig{Config: Config{Sessions: SessionConfig{Keys: sessionKeys}}, Store: db}
	for _, c := range configure {
		c(&cfg)
	}
	ts.serve(t, cfg)
	ts.admin = ts.signIn(t, "admin", ts.addUser(t, "admin", apikey.RoleGlobalAdmin))
	return ts
}

// serve starts a Server built from cfg, with services of its own wired as
// cmd/keyconsole wires them, logging to ts.logs and reading ts.now; adjust
// may change cfg first.
func (ts *testServer) serve(t testing.TB, cfg testConfig, adjust ...func(*testConfig)) {
	t.Helper()
	for _, a := range adjust {
		a(&cfg)
	}
	db := cfg.Store
	var logs io.Writer = ts.logs
	if cfg.Logs != nil {
		logs = cfg.Logs
	}
	cfg.Logger = slog.New(logfmt.New(logs, nil)) // as the server logs
	cfg.Now = func() time.Time { return ts.now }
	tokens := token.New(db, cfg.Now)
	verifier := verify.New(db, tokens, cfg.Usage, cfg.RateLimit, cfg.Now)
	keyService := keys.New(db, tokens, cfg.Now)
	keyService.OnChange(verifier.Forget)
	throttle := cfg.Throttle
	if throttle == nil {
		throttle = signin.NewThrottle(db)
	}
	signIn, err := signin.New(signin.Config{Store: db, Throttle: throttle, Tokens: tokens, Params: testParams,
		Idle: 30 * time.Minute, Lifetime: 12 * time.Hour, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB, cfg.Tokens, cfg.Verifier, cfg.Keys, cfg.SignIn = db, tokens, verifier, keyService, signIn
	accountService := accounts.New(db)
	accountService.OnKeyChange(verifier.Forget)
	cfg.Accounts, cfg.Users, cfg.Audit = accountService, users.New(db, testParams), auditlog.New(db)
	srv, err := New(cfg.Config)
	if err != nil {
		t.Fatal(err)
	}
	ts.cfg, ts.srv = cfg, srv
	ts.Server = httptest.NewServer(openAPIChecked(t, srv)) // every API answer checked against openapi.json
	t.Cleanup(ts.Close)
}

// sibling is another instance of the console on ts's database, as behind a
// load balancer: same configuration, its own server, log and clock (set to
// ts's now), and no one signed in.
func (ts *testServer) sibling(t testing.TB, adjust ...func(*testConfig)) *testServer {
	t.Helper()
	sib := &testServer{db: ts.db, dbPath: ts.dbPath, logs: &syncbuf.Buffer{}, now: ts.now, root: ts.root}
	sib.serve(t, ts.cfg, adjust...)
	return sib
}

// addUser stores an active user and returns its password.
func (ts *testServer) addUser(t testing.TB, username string, role apikey.Role, scope ...string) string {
	t.Helper()
	password := "pw-" + username + "-long-enough"
	hash, err := auth.HashPassword(password, testParams)
	if err != nil {
		t.Fatal(err)
	}
	u := &apikey.User{AccountID: ts.root, Username: username, PasswordHash: hash, Role: role, RoleAccounts: scope, Active: true, CreatedBy: "test"}
	if err := ts.db.CreateUser(context.Background(), u, nil); err != nil {
		t.Fatal(err)
	}
	return password
}

// client is one browser: its own cookie jar, never following redirects so
// tests see them.
type client struct {
	ts   *testServer
	http *http.Client
}

func (ts *testServer) newClient(t testing.TB) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{ts: ts, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn opens the sign-in page and posts the password; it fails the test
// unless the answer sends the browser on.
func (ts *testServer) signIn(t testing.TB, username, password string) *client {
	t.Helper()
	c := ts.newClient(t)
	res, body := c.tryLogin(t, username, password)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in as %s: %d %s", username, res.StatusCode, body)
	}
	return c
}

// tryLogin posts the sign-in form with the token of a freshly loaded page.
func (c *client) tryLogin(t testing.TB, username, password string) (*http.Response, string) {
	t.Helper()
	_, page := c.get(t, "/login")
	return c.postRaw(t, "/login", url.Values{"username": {username}, "password": {password}, "_csrf": {csrfIn(t, page)}})
}

// csrfIn reads the CSRF token from a page: the meta tag or a form field.
func csrfIn(t testing.TB, body string) string {
	t.Helper()
	doc := parseHTML(t, body)
	if v, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content"); ok {
		return v
	}
	if v, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok {
		return v
	}
	t.Fatalf("no CSRF token in page: %.300s", body)
	return ""
}

// get fetches path with optional header pairs and returns the answer and its body.
func (c *client) get(t testing.TB, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, headers...)
}

// post sends a form with the CSRF token of a freshly loaded page.
func (c *client) post(t testing.TB, path string, form url.Values, headers ...string) (*http.Response, string) {
	t.Helper()
	_, page := c.get(t, "/security/api-keys")
	form.Set("_csrf", csrfIn(t, page))
	return c.postRaw(t, path, form, headers...)
}

// postRaw sends a form as is.
func (c *client) postRaw(t testing.TB, path string, form url.Values, headers ...string) (*http.Response, string) {
	t.Helper()
	return c.do(t, http.MethodPost, path, strings.NewReader(form.Encode()), append(headers, "Content-Type", "application/x-www-form-urlencoded")...)
}

func (c *client) do(t testing.TB, method, path string, body io.Reader, headers ...string) (*http.Response, string) {
	t.Helper()
	res, b := c.send(t, c.http, method, path, body, headers...)
	c.ts.bodies.Lock()
	c.ts.bodies.all = append(c.ts.bodies.all, string(b))
	c.ts.bodies.Unlock()
	return res, string(b)
}

// send makes one request through hc, with header pairs, and reads the answer whole.
func (c *client) send(t testing.TB, hc *http.Client, method, path string, body io.Reader, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, c.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// addKey stores a generated key and returns it with its secret. Like a
// script's key, it allows unauthenticated requests unless mutate says not.
// addAccount adds an account (without predefined keys) below parent, or
// below the root when parent is empty, and returns its id.
func (ts *testServer) addAccount(t testing.TB, name, parent string) string {
	t.Helper()
	if parent == "" {
		parent = ts.root
	}
	a := &apikey.Account{ParentID: parent, Name: name}
	if err := ts.db.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// addAccounts adds n accounts below the root at once, named "Customer
// 00000" on, and returns their ids.
func (ts *testServer) addAccounts(t testing.TB, n int) []string {
	t.Helper()
	var all []apikey.Account
	var ids []string
	for i := range n {
		id, err := apikey.NewID("acc")
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, apikey.Account{ID: id, ParentID: ts.root, Name: fmt.Sprintf("Customer %05d", i), CreatedAt: ts.now})
		ids = append(ids, id)
	}
	if err := ts.db.BulkLoad(context.Background(), store.Bulk{Accounts: all}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func (ts *testServer) addKey(t testing.TB, name string, mutate ...func(*apikey.Key)) (*apikey.Key, string) {
	t.Helper()
	k := &apikey.Key{AccountID: ts.root, CreatedBy: "admin", Settings: apikey.Settings{
		Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true, AllowUnauthenticated: true,
	}}
	for _, m := range mutate {
		m(k)
	}
	secret, err := apikey.GenerateSecret(k.Type)
	if err != nil {
		t.Fatal(err)
	}
	k.SecretHash, k.DisplayPrefix = apikey.HashSecret(secret), apikey.DisplayPrefix(secret)
	if err := ts.db.CreateKey(context.Background(), k, nil); err != nil {
		t.Fatal(err)
	}
	return k, secret
}

// get fetches path as the signed-in Global Admin.
func (ts *testServer) get(t testing.TB, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	return ts.admin.get(t, path, headers...)
}

func parseHTML(t testing.TB, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// rowNames lists the key names in the list table, in order.
func rowNames(doc *goquery.Document) []string {
	var names []string
	doc.Find(`[data-testid="key-row"] .key-name`).Each(func(_ int, s *goquery.Selection) {
		names = append(names, strings.TrimSpace(s.Text()))
	})
	return names
}

// storeQuery selects the root account's keys whose name or prefix holds search.
func storeQuery(ts *testServer, search string) apikey.KeyQuery {
	return apikey.KeyQuery{AccountIDs: []string{ts.root}, Search: search, Now: ts.now}
}

// formValues is what a browser without JavaScript posts from form as it
// stands: its fields, the boxes ticked, the options chosen; no button.
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	for _, in := range form.Find("input, select, textarea").EachIter() {
		name, _ := in.Attr("name")
		kind, _ := in.Attr("type")
		switch {
		case name == "" || kind == "submit":
		case kind == "checkbox" || kind == "radio":
			if _, on := in.Attr("checked"); on {
				value, _ := in.Attr("value")
				v.Add(name, value)
			}
		case in.Is("select"):
			chosen := in.Find("option[selected]")
			if chosen.Length() == 0 {
				chosen = in.Find("option").First()
			}
			value, _ := chosen.Attr("value")
			v.Add(name, value)
		case in.Is("textarea"):
			v.Add(name, in.Text())
		default:
			value, _ := in.Attr("value")
			v.Add(name, value)
		}
	}
	return v
}

// yes is a form that confirms a change that asks first, with more field
// pairs; fresh each time, as posting adds the token to it.
func yes(pairs ...string) url.Values {
	v := url.Values{"confirm": {"yes"}}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}

// answer follows a link to a question (view.ConfirmBody) as a browser
// without JavaScript does: opens it, then posts its form as it stands.
// It returns the question's page and the answer to the post.
func (c *client) answer(t testing.TB, askURL string) (question string, res *http.Response, body string) {
	t.Helper()
	res, question = c.get(t, askURL)
	form := parseHTML(t, question).Find(`form[data-testid="confirm-form"]`)
	if res.StatusCode != http.StatusOK || form.Length() != 1 {
		t.Fatalf("question at %s: %d, %d forms", askURL, res.StatusCode, form.Length())
	}
	action, _ := form.Attr("action")
	res, body = c.postRaw(t, action, formValues(form))
	return question, res, body
}

// repeatAlongside calls f again and again, on a goroutine of its own,
// until the stop it returns is called; stop returns once f has.
func repeatAlongside(f func()) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case <-done:
				return
			default:
				f()
			}
		}
	}()
	return func() { close(done); <-ended }
}
