package main

import (
	"context"
	"strings"
	"testing"

	"keyconsole/internal/store"
	"keyconsole/internal/store/storetest"
	"keyconsole/internal/token"
)

// keyconsole jwks rotate: JWTs are signed with a new key from then on, and
// the JWKS publishes old and new keys, so tokens signed before still check.
func TestJWKSRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, _, err := token.New(db, nil).SignKey(ctx, "key_1", "acc_1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, stderr := runCLI(t, nil, "jwks"); code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("jwks without rotate: %d %q", code, stderr)
	}
	code, stderr := runCLI(t, nil, "jwks", "rotate", "--db", dsn)
	if code != exitOK {
		t.Fatalf("rotate: %d %s", code, stderr)
	}
	s := token.New(db, nil)
	set, err := s.JWKS(ctx)
	if err != nil || len(set) != 2 {
		t.Fatalf("jwks after rotate: %+v %v", set, err)
	}
	after, _, err := s.SignKey(ctx, "key_2", "acc_1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Both check; their headers (which name the kid) differ.
	header := func(raw string) string {
		if _, err := s.Parse(ctx, raw, token.KindKey); err != nil {
			t.Fatalf("parse: %v", err)
		}
		h, _, _ := strings.Cut(raw, ".")
		return h
	}
	if header(before) == header(after) {
		t.Fatal("the same signing key after rotate")
	}
	if !strings.Contains(stderr, "now signed with key") {
		t.Errorf("rotate said %q", stderr)
	}
	for _, k := range set {
		if strings.Contains(stderr, k.Kid) {
			return
		}
	}
	t.Errorf("the new kid %q is not published", stderr)
}
