package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"keyconsole/internal/store"
	"keyconsole/web"
)

// Defaults for `make run` on a fresh clone.
const (
	defaultAddr       = "127.0.0.1:8080"
	defaultDB         = "data/keyconsole.db"
	defaultSecretFile = "data/session.key"
	shutdownDrain     = 10 * time.Second
)

// serve runs the console until SIGINT or SIGTERM, then drains requests in flight.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flagSet("serve")
	addr := fs.String("addr", defaultAddr, "address to listen on")
	dbPath := fs.String("db", defaultDB, "SQLite database file")
	fs.String("secret-file", defaultSecretFile, "file holding the session keys (created 0600 when missing)")
	rest, err := parseFlags(fs, args, getenv, map[string]string{
		"addr": "KEYCONSOLE_ADDR", "db": "KEYCONSOLE_DB", "secret-file": "KEYCONSOLE_SECRET_FILE",
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"serve: unexpected argument " + rest[0]}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	srv := web.New(web.Config{Store: db, Logger: logger})
	return srv.ListenAndServe(ctx, *addr, shutdownDrain)
}
