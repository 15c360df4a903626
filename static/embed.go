// Package static holds the console's files for the browser: htmx and the Pico
// CSS base (both vendored from npm at pinned versions, see vendor.sha256),
// app.css, app.js and the icon. URLs carry a content hash so browsers may cache them
// for a year and still see every change at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
)

//go:embed *.js *.css *.svg
var files embed.FS

// FS is the embedded files.
var FS fs.FS = files

// versions maps each file name to the start of its content's SHA-256.
var versions = func() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, err := fs.ReadFile(files, e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:])[:12]
	}
	return m
}()

// Prefix is where the files are served.
const Prefix = "/static/"

// URL gives the cache-busting URL of the named file, e.g. /static/app.css?v=1a2b3c4d5e6f.
func URL(name string) string {
	return path.Join(Prefix, name) + "?v=" + versions[name]
}

// Version gives the content hash of the named file, and whether it exists.
func Version(name string) (string, bool) {
	v, ok := versions[name]
	return v, ok
}
