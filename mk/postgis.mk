# PostGIS store and pgRouting baseline (data/postgis, bench/pgrouting).
# Both need the local PostgreSQL 15 (bash .ci/postgis.sh prepares it).
.PHONY: bench-postgis test-postgis

BENCH_TARGETS += bench-postgis

test-postgis: ## PostGIS store tests, failing (not skipping) without a database
	bash .ci/postgis.sh
	LIFELINE_REQUIRE_DB=1 $(GO) test -count=1 ./data/postgis/

bench-postgis: ## PostGIS zone look-up: single point and 10,000-point batch
	bash .ci/postgis.sh
	LIFELINE_REQUIRE_DB=1 $(GO) test -count=5 -run '^$$' -bench . -benchtime 2s -cpu 1 ./data/postgis/

BENCH_TARGETS += bench-pgrouting
.PHONY: bench-pgrouting
bench-pgrouting: ## pgRouting baseline: pgr_dijkstraCostMatrix on Porto, N = 100, 300, 1000 (minutes)
	bash bench/pgrouting/run.sh
