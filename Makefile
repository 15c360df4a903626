# keyconsole: `make run` starts the console, `make test` is everything CI checks.
GO        ?= go
BIN       := bin/keyconsole
# Test packages that fuzz, each for a number of inputs (about ten seconds here)
# on every `make test`. A count, not a duration: Go 1.26's fuzzer can fail a
# target with "context deadline exceeded" when a -fuzztime duration ends
# while a worker is busy (golang/go#75804, fixed in Go 1.27).
FUZZ      := ./internal/validate:FuzzIPEntries:300000 ./internal/validate:FuzzNewKey:80000 ./web:FuzzVerifyBodyFast:40000
# Packages whose tests open a database: they run on both engines.
DB_PACKAGES := ./cmd/... ./internal/store/... ./internal/auth ./internal/instance ./internal/keys ./internal/signin ./internal/accounts ./internal/users ./internal/auditlog ./internal/token ./internal/usage ./internal/verify ./web/...

.PHONY: run build test generate check-generated vet unit fuzz bench bench-short bench-postgres clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/keyconsole

run: build
	./$(BIN) serve

generate:
	$(GO) tool templ generate

# Generated templ code is committed; CI regenerates and fails on any difference.
check-generated: generate
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		stale=$$(git status --porcelain -- '*_templ.go'); \
		if [ -n "$$stale" ]; then echo "generated templ files are stale; commit them:"; echo "$$stale"; exit 1; fi; \
	fi

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './data/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

# Every suite on SQLite; then, when KEYCONSOLE_TEST_POSTGRES names a server
# (.ci/run starts one), every suite that touches the database on PostgreSQL.
unit:
	env -u KEYCONSOLE_TEST_POSTGRES CGO_ENABLED=1 $(GO) test -race -count=1 ./...
	@if [ -n "$$KEYCONSOLE_TEST_POSTGRES" ]; then \
		echo "again on PostgreSQL"; \
		CGO_ENABLED=1 $(GO) test -race -count=1 $(DB_PACKAGES) || exit 1; \
	elif [ "$$CI" = true ]; then \
		echo "CI must test PostgreSQL too: set KEYCONSOLE_TEST_POSTGRES (.ci/run does)"; exit 1; \
	else \
		echo "PostgreSQL not tested: run bash .ci/run, or set KEYCONSOLE_TEST_POSTGRES to a server's URL"; \
	fi

fuzz:
	@for t in $(FUZZ); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; count=$${rest#*:}; \
		echo "fuzz $$pkg $$name for $$count inputs"; \
		$(GO) test $$pkg -run='^$$' -fuzz="^$$name$$" -fuzztime=$${count}x || exit 1; \
	done

test: check-generated vet unit fuzz

# Go benchmarks, then the console seeded with a million keys under wrk on
# loopback beside a bare Echo handler; the figures go into BENCHMARKS.md.
# bench-short: 100,000 keys, in under 3 minutes (without the rotation on a
# server with fixed processors). Needs wrk.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./cmd/bench -keys 1000000 -rounds 5 -write BENCHMARKS.md
	@$(MAKE) --no-print-directory bench-postgres KEYS=1000000 DURATION=10s ROUNDS=5

bench-short:
	$(GO) run ./cmd/bench -keys 100000 -duration 5s -fixed-procs=false -write BENCHMARKS.md
	@$(MAKE) --no-print-directory bench-postgres KEYS=100000 DURATION=5s ROUNDS=3 FIXED_PROCS=false

# The same run on PostgreSQL, in a schema of its own (made, then dropped) of the
# database KEYCONSOLE_BENCH_POSTGRES names.
KEYS ?= 1000000
DURATION ?= 10s
ROUNDS ?= 5
FIXED_PROCS ?= true
bench-postgres:
	@if [ -n "$$KEYCONSOLE_BENCH_POSTGRES" ]; then \
		$(GO) run ./cmd/bench -keys $(KEYS) -duration $(DURATION) -rounds $(ROUNDS) -fixed-procs=$(FIXED_PROCS) -db "$$KEYCONSOLE_BENCH_POSTGRES" -write BENCHMARKS.md; \
	else \
		echo "PostgreSQL not measured: set KEYCONSOLE_BENCH_POSTGRES to a database's URL"; \
	fi

clean:
	rm -rf bin
