# lifeline: `make run` starts the service on the embedded store with the demo
# district; `make test` runs the test suite (PostGIS tests skip without a
# database unless LIFELINE_REQUIRE_DB=1).
GO ?= go
BIN := bin/lifeline
ADDR ?= :8080

.PHONY: help build run test test-race bench fuzz lint demo
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/lifeline
	$(GO) build -o $(BIN) ./cmd/lifeline

run: build ## start the service on :8080 with the embedded store and the demo district
	./$(BIN) serve --addr $(ADDR)

test: ## run all tests (a few minutes, browser tests included); says so when the PostGIS tests skip
	$(GO) vet ./...
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /data/postgis$$)
	@mkdir -p var; $(GO) test -count=1 -v ./data/postgis/ > var/postgis-test.log 2>&1; rc=$$?; \
	  grep -E '^(ok|FAIL|--- FAIL)' var/postgis-test.log; \
	  if grep -q -- '--- SKIP' var/postgis-test.log; then \
	    echo "NOTE: PostGIS tests SKIPPED: $$(grep -m1 -A1 -- '--- SKIP' var/postgis-test.log | tail -n1 | sed 's/^ *//')"; \
	    echo "      (start PostgreSQL with PostGIS, e.g. 'bash .ci/postgis.sh', or set LIFELINE_REQUIRE_DB=1 to fail instead)"; \
	  fi; \
	  [ $$rc -eq 0 ] || { cat var/postgis-test.log | tail -n 40; exit $$rc; }
	$(MAKE) --no-print-directory test-browser

test-race: ## run all tests with the race detector
	$(GO) test -race -count=1 ./...

# staticcheck is fetched from the Go module proxy at a pinned version (no
# tools.go, nothing added to go.mod); the first run downloads and builds it.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: ## gofmt, go vet and staticcheck (pinned)
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...
	$(STATICCHECK) ./...

demo: build ## write the demo district as GeoJSON to var/demo
	./$(BIN) demo --out var/demo

# Each area adds its benchmark and fuzz targets in mk/*.mk and lists them in
# BENCH_TARGETS / FUZZ_TARGETS.
BENCH_TARGETS :=
FUZZ_TARGETS :=
-include mk/*.mk

bench: $(BENCH_TARGETS) ## run every benchmark (long)

fuzz: $(FUZZ_TARGETS) ## run every fuzz target briefly
