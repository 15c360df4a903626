package validate

import (
	"slices"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	e := Errors{}
	if e.Any() || len(e.Fields()) != 0 {
		t.Fatal("new Errors not empty")
	}
	e.Add("name", "")
	if e.Any() {
		t.Fatal("empty message recorded")
	}
	e.Add("type", "first")
	e.Add("type", "second")
	e.Add("allowed_ips", "bad")
	if !e.Any() || e["type"] != "first" {
		t.Fatalf("got %v, want the first message kept", e)
	}
	if got := e.Fields(); !slices.Equal(got, []string{"allowed_ips", "type"}) {
		t.Fatalf("Fields() = %v", got)
	}
}

func TestClip(t *testing.T) {
	got := quote(strings.Repeat("y", 100))
	if n := len([]rune(got)); n != 63 { // 60 characters, the ellipsis and two quotes
		t.Fatalf("quote(long) has %d runes: %q", n, got)
	}
	if got := quote("a\nb\u202ec\xff"); got != "“a\ufffdb\ufffdc\ufffd”" {
		t.Fatalf("unsafe characters kept: %q", got)
	}
}
