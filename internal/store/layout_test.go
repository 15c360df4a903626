package store

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sqlText is what a query looks like in Go source: its keywords in
// capitals, as every query here writes them (so that "Select all" in a
// page's words is not taken for one).
var sqlText = regexp.MustCompile("[`\"]\\s*(SELECT|INSERT INTO|UPDATE \\w+ SET|DELETE FROM|CREATE TABLE|ALTER TABLE)\\b")

// The storage seam holds: no SQL outside the storage packages, and the
// HTTP side imports no storage package (tests may look inside).
func TestStorageStaysBehindItsSeam(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || rel == "internal/store" || d.Name() == "data") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := sqlText.Find(body); m != nil {
			t.Errorf("%s holds SQL (%s): queries belong in internal/store", rel, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// What web needs reaches it through services: neither web nor any
	// package it imports, however indirectly, imports the store.
	seen := map[string]bool{}
	queue := []string{"web", "web/view"}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		pkg, err := build.ImportDir(filepath.Join(root, dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, "keyconsole/internal/store") {
				t.Errorf("web depends on the store through %s", dir)
			}
			if rel, ok := strings.CutPrefix(imp, "keyconsole/"); ok {
				queue = append(queue, rel)
			}
		}
	}
}
