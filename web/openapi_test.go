package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"keyconsole/internal/apikey"
	"keyconsole/internal/verify"
)

// The OpenAPI document (openapi.json) is checked against the code from both
// sides: every answer any test gets from /api/ or /.well-known/ is validated
// against it (openAPIChecked wraps every test server), and every route of
// the API has an operation in it and every operation a route.

// openAPISpec is the embedded document, loaded and validated once.
var openAPISpec = sync.OnceValues(func() (*openAPIRoutes, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("loading openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	r := &openAPIRoutes{doc: doc}
	for path, item := range doc.Paths.Map() {
		// Path parameters match one segment, as Echo's :id does.
		re := regexp.MustCompile(`\\\{[^/]+?\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`)
		r.paths = append(r.paths, openAPIPath{path: path, item: item, re: regexp.MustCompile("^" + re + "$")})
	}
	// Fixed paths before templated ones: /keys/verify is not /keys/{id}.
	slices.SortFunc(r.paths, func(a, b openAPIPath) int {
		return strings.Count(a.path, "{") - strings.Count(b.path, "{")
	})
	return r, nil
})

type openAPIRoutes struct {
	doc   *openapi3.T
	paths []openAPIPath
}

type openAPIPath struct {
	path string
	item *openapi3.PathItem
	re   *regexp.Regexp
}

// find is the operation that documents method on path (HEAD: GET's);
// nil when none does.
func (r *openAPIRoutes) find(method, path string) (*routers.Route, map[string]string) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for _, p := range r.paths {
		if !p.re.MatchString(path) {
			continue
		}
		op := p.item.GetOperation(method)
		if op == nil {
			return nil, nil
		}
		params := map[string]string{}
		tmpl, have := strings.Split(p.path, "/"), strings.Split(path, "/")
		for i, seg := range tmpl {
			if strings.HasPrefix(seg, "{") {
				params[strings.Trim(seg, "{}")], _ = url.PathUnescape(have[i])
			}
		}
		return &routers.Route{Spec: r.doc, Path: p.path, PathItem: p.item, Method: method, Operation: op}, params
	}
	return nil, nil
}

// documented tells whether the document describes path's answers.
func documented(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/.well-known/")
}

// openAPIChecked wraps a test server's handler: every answer from the
// API is validated against the document, its status documented for the
// operation and its body (and headers the document requires) matching the
// schema; an accepted request's JSON or form body and query must match the
// operation's too. A mismatch fails t.
func openAPIChecked(t testing.TB, h http.Handler) http.Handler {
	spec, err := openAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !documented(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		reqBody := &cappedCopy{}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = teeBody{io.TeeReader(r.Body, reqBody), r.Body}
		}
		// The request as the handler got it, before anything reads it.
		header, query := r.Header.Clone(), r.URL.RawQuery
		rec := &answerRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if r.Context().Err() != nil {
			return // the client went away; nobody got an answer
		}
		req := r.Clone(context.Background())
		req.Header, req.URL.RawQuery = header, query
		if msg := spec.check(req, reqBody, rec); msg != "" {
			t.Errorf("OpenAPI: %s %s answered %d: %s\nbody: %.600s", r.Method, r.URL.RequestURI(), rec.status, msg, rec.body.Bytes())
		}
	})
}

// check validates one exchange; "" when the document agrees with it.
func (spec *openAPIRoutes) check(req *http.Request, reqBody *cappedCopy, rec *answerRecorder) string {
	body := rec.body.Bytes()
	if rec.body.over {
		return "" // too large to check whole (a body-limit test)
	}
	if rec.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return "gzip: " + err.Error()
		}
		if body, err = io.ReadAll(zr); err != nil {
			return "gzip: " + err.Error()
		}
	}
	route, params := spec.find(req.Method, req.URL.Path)
	if route == nil {
		// No operation here (an unknown address, a method it does not
		// take): still the API's error.
		if req.Method == http.MethodHead || !strings.HasPrefix(req.URL.Path, "/api/") {
			return ""
		}
		if rec.status < 400 {
			return "no operation documents this answer"
		}
		return validateSchema(spec.doc, "Error", body)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if rec.status >= 200 && rec.status < 300 {
		// What the server accepted, the document must accept.
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(reqBody.Bytes())), int64(reqBody.Len())
		if reqBody.over || req.Header.Get("Content-Encoding") != "" {
			opts.ExcludeRequestBody = true // cut short, or compressed
		}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return "the request it accepted is not documented: " + err.Error()
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.status, Header: rec.Header(), Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return err.Error()
	}
	// A documented answer without content has no body.
	if resp := route.Operation.Responses.Status(rec.status); resp != nil && resp.Value != nil && len(resp.Value.Content) == 0 && len(body) > 0 && req.Method != http.MethodHead {
		return "the document gives this answer no body"
	}
	return ""
}

// validateSchema validates a JSON body against a component schema.
func validateSchema(doc *openapi3.T, name string, body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "not JSON: " + err.Error()
	}
	if err := doc.Components.Schemas[name].Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		return name + ": " + err.Error()
	}
	return ""
}

// cappedCopy keeps what is written to it up to a limit.
type cappedCopy struct {
	bytes.Buffer
	over bool
}

const checkedBodyLimit = 1 << 20

func (c *cappedCopy) Write(p []byte) (int, error) {
	if c.over || c.Len()+len(p) > checkedBodyLimit {
		c.over = true
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

type teeBody struct {
	io.Reader
	io.Closer
}

// answerRecorder passes an answer on and keeps its status and body.
type answerRecorder struct {
	http.ResponseWriter
	status  int
	written bool
	body    cappedCopy
}

func (a *answerRecorder) WriteHeader(status int) {
	if !a.written {
		a.status, a.written = status, true
	}
	a.ResponseWriter.WriteHeader(status)
}

func (a *answerRecorder) Write(p []byte) (int, error) {
	a.written = true
	a.body.Write(p)
	return a.ResponseWriter.Write(p)
}

func (a *answerRecorder) Unwrap() http.ResponseWriter { return a.ResponseWriter }

func (a *answerRecorder) Flush() {
	if f, ok := a.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// TestOpenAPIDocument: the document is served to anyone, cacheable, and is
// a valid OpenAPI 3.1 document.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, err := http.Get(ts.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json without a key: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control %q, want public with a max-age", cc)
	}
	if !bytes.Equal(body, openAPIDocument) {
		t.Errorf("the answer is not the embedded document")
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("not a valid OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Info == nil || doc.Info.Version == "" {
		t.Error("no info.version")
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/openapi.json", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("with If-None-Match of its ETag: %d, want 304", res.StatusCode)
	}
}

// TestOpenAPICoversEveryRoute: every route of the API is documented, and
// every operation of the document is a route.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	spec, err := openAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, r := range ts.srv.echo.Routes() {
		if documented(r.Path) {
			path := regexp.MustCompile(`:([^/]+)`).ReplaceAllString(r.Path, "{$1}")
			routes[r.Method+" "+path] = true
		}
	}
	ops := map[string]bool{}
	for path, item := range spec.doc.Paths.Map() {
		for method := range item.Operations() {
			ops[method+" "+path] = true
		}
	}
	for r := range routes {
		if !ops[r] {
			t.Errorf("route %s has no operation in openapi.json", r)
		}
	}
	for op := range ops {
		if !routes[op] {
			t.Errorf("openapi.json documents %s, which is no route", op)
		}
	}
	if len(routes) < 10 {
		t.Errorf("only %d API routes found", len(routes))
	}
}

// TestOpenAPIValidationBites: the check that runs under every test refuses
// what the document does not describe, so that its silence means something.
func TestOpenAPIValidationBites(t *testing.T) {
	t.Parallel()
	spec, err := openAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	key := `{"id":"key_1","account_id":"acc_1","name":"n","type":"general","access_type":"generated","display_prefix":"kc_g_ab","status":"active","active":true,` +
		`"allow_unauthenticated":true,"allow_untrusted_endpoints":false,"auto_endpoint_trust":false,"advanced_permissions":[],"roles":[],"role_accounts":[],` +
		`"expires_at":null,"allowed_ips":[],"response_headers":[],"previous_secret_valid_until":null,"created_at":"2026-01-02T03:04:05Z","created_by":"admin",` +
		`"updated_at":"2026-01-02T03:04:05Z","updated_by":"admin","last_used_at":null,"last_used_from":"","version":1}`
	cases := []struct {
		name, method, path string
		status             int
		header             string // ETag
		body               string
		ok                 bool
	}{
		{"a key", "GET", "/api/v1/keys/key_1", 200, `"1"`, key, true},
		{"a key without its ETag", "GET", "/api/v1/keys/key_1", 200, "", key, false},
		{"a key with a field too many", "GET", "/api/v1/keys/key_1", 200, `"1"`, strings.Replace(key, `"id"`, `"colour":"red","id"`, 1), false},
		{"a key without a field", "GET", "/api/v1/keys/key_1", 200, `"1"`, strings.Replace(key, `"name":"n",`, "", 1), false},
		{"a key with a wrong type", "GET", "/api/v1/keys/key_1", 200, `"1"`, strings.Replace(key, `"version":1`, `"version":"1"`, 1), false},
		{"a secret where none is given", "GET", "/api/v1/keys/key_1", 200, `"1"`, strings.Replace(key, `"id"`, `"secret":"kc","id"`, 1), false},
		{"a new key without its secret", "POST", "/api/v1/keys", 201, `"1"`, key, false},
		{"an undocumented status", "GET", "/api/v1/keys/key_1", 418, "", `{"error":{"code":"INTERNAL","message":"x"}}`, false},
		{"an error", "GET", "/api/v1/keys/key_1", 404, "", `{"error":{"code":"NOT_FOUND","message":"x"}}`, true},
		{"an error code of another status", "GET", "/api/v1/keys/key_1", 404, "", `{"error":{"code":"CONFLICT","message":"x"}}`, false},
		{"VALIDATION without fields", "POST", "/api/v1/keys", 422, "", `{"error":{"code":"VALIDATION","message":"x"}}`, false},
		{"fields beside another code", "GET", "/api/v1/keys/key_1", 404, "", `{"error":{"code":"NOT_FOUND","message":"x","fields":{"a":"b"}}}`, false},
		{"a valid verification without its key", "POST", "/api/v1/keys/verify", 200, "", `{"valid":true,"code":"VALID","key_id":null,"account_id":null,"roles":[],"expires_at":null}`, false},
		{"a refusal", "POST", "/api/v1/keys/verify", 200, "", `{"valid":false,"code":"KEY_EXPIRED","key_id":null,"account_id":null,"roles":[],"expires_at":null}`, true},
		{"an unknown address", "GET", "/api/v1/nothing", 404, "", `{"error":{"code":"NOT_FOUND","message":"x"}}`, true},
		{"an unknown address, not the API's error", "GET", "/api/v1/nothing", 404, "", `{"message":"x"}`, false},
		{"a deletion with a body", "DELETE", "/api/v1/keys/key_1", 204, "", `{}`, false},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, "http://console"+c.path, nil)
		rec := &answerRecorder{ResponseWriter: &nowhere{header: http.Header{}}, status: c.status}
		rec.Header().Set("Content-Type", "application/json")
		if c.header != "" {
			rec.Header().Set("ETag", c.header)
		}
		rec.body.WriteString(c.body)
		sent := &cappedCopy{}
		switch c.path {
		case "/api/v1/keys":
			sent.WriteString(`{"name":"n"}`)
		case "/api/v1/keys/verify":
			sent.WriteString(`{"key":"kc"}`)
		}
		req.Header.Set("Content-Type", "application/json")
		msg := spec.check(req, sent, rec)
		if (msg == "") != c.ok {
			t.Errorf("%s: check says %q, want ok=%v", c.name, msg, c.ok)
		}
	}
}

type nowhere struct{ header http.Header }

func (n *nowhere) Header() http.Header         { return n.header }
func (n *nowhere) Write(p []byte) (int, error) { return len(p), nil }
func (n *nowhere) WriteHeader(int)             {}

// TestOpenAPIErrorAnswers: the errors no API test provokes over HTTP (a
// database that takes no writes, a failure of the server's own) are
// answered as the document says, by the server's own error handler.
func TestOpenAPIErrorAnswers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	spec, err := openAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		err          error
		status       int
	}{
		{"GET", "/api/v1/keys", apikey.Errorf(apikey.EUNAVAILABLE, "The database takes no writes for now."), 503},
		{"POST", "/api/v1/keys", apikey.Errorf(apikey.EUNAVAILABLE, "The database takes no writes for now."), 503},
		{"PATCH", "/api/v1/keys/key_1", errors.New("driver: bad connection"), 500},
		{"POST", "/api/v1/login", errors.New("driver: bad connection"), 500},
		{"GET", "/.well-known/jwks.json", errors.New("driver: bad connection"), 500},
		{"GET", "/api/v1/keys/key_1", refusals[verify.KeyExpired], 401},
		{"GET", "/api/v1/accounts", refusals[verify.KeyInactive], 401},
		{"POST", "/api/v1/keys/verify", refusals[verify.IPNotAllowed], 403},
		{"DELETE", "/api/v1/keys/key_1", apikey.Errorf(apikey.ENOTFOUND, "No such key."), 404},
		{"POST", "/api/v1/keys/key_1/move", apikey.Errorf(apikey.ECONFLICT, "Someone saved since."), 409},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		rec := &answerRecorder{ResponseWriter: httptest.NewRecorder(), status: http.StatusOK}
		ts.srv.handleError(c.err, ts.srv.echo.NewContext(req, rec))
		if rec.status != c.status {
			t.Errorf("%s %s, %v: %d, want %d", c.method, c.path, c.err, rec.status, c.status)
		}
		if msg := spec.check(req, &cappedCopy{}, rec); msg != "" {
			t.Errorf("%s %s answered %d: %s\nbody: %s", c.method, c.path, rec.status, msg, rec.body.Bytes())
		}
	}
}
