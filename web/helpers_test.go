package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"keyconsole/internal/apikey"
	"keyconsole/internal/store"
)

// testServer is the real server on a real SQLite file, with its log captured.
type testServer struct {
	*httptest.Server
	db   *store.DB
	logs *syncBuffer
	now  time.Time
	root string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root, err := db.RootAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{db: db, logs: &syncBuffer{}, now: time.Now().UTC(), root: root.ID}
	srv := New(Config{Store: db, Logger: slog.New(slog.NewTextHandler(ts.logs, nil)), Now: func() time.Time { return ts.now }})
	ts.Server = httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

// addKey stores a generated key and returns it with its secret.
func (ts *testServer) addKey(t *testing.T, name string, mutate ...func(*apikey.Key)) (*apikey.Key, string) {
	t.Helper()
	k := &apikey.Key{AccountID: ts.root, CreatedBy: "admin", Settings: apikey.Settings{
		Name: name, Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
	}}
	for _, m := range mutate {
		m(k)
	}
	secret, err := apikey.GenerateSecret(k.Type)
	if err != nil {
		t.Fatal(err)
	}
	k.SecretHash, k.DisplayPrefix = apikey.HashSecret(secret), apikey.DisplayPrefix(secret)
	if err := ts.db.CreateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return k, secret
}

// get fetches path with optional header pairs and returns the answer and its body.
func (ts *testServer) get(t *testing.T, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func parseHTML(t *testing.T, body string) *goquery.Document {
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
