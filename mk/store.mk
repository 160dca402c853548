# Embedded store under writes (data/memstore on data/wal): acknowledged
# writes/s with 50 clients, one write in a 100,000-zone store, look-ups
# idle vs during writes. Every write is fsynced: run on the real disk.
.PHONY: bench-store

BENCH_TARGETS += bench-store

STORE_BENCHCOUNT ?= 3

bench-store: ## embedded store: writes/s (50 clients), write latency at 100k zones, look-ups idle vs during writes
	$(GO) test -run '^$$' -bench '^BenchmarkCreate50$$' -benchtime 3s -count $(STORE_BENCHCOUNT) ./data/memstore/
	$(GO) test -run '^$$' -bench '^BenchmarkCreateAt100k$$' -benchtime 200x -count $(STORE_BENCHCOUNT) ./data/memstore/
	LIFELINE_BENCH_STORE=1 $(GO) test -count $(STORE_BENCHCOUNT) -run '^TestBenchLookupDuringWrites$$' -v ./data/memstore/ | grep -v '^=== RUN\|INFO'
	@echo "the same without fsync (what the fsyncs themselves cost the look-ups on this machine):"
	LIFELINE_BENCH_STORE=1 LIFELINE_BENCH_NOSYNC=1 $(GO) test -count $(STORE_BENCHCOUNT) -run '^TestBenchLookupDuringWrites$$' -v ./data/memstore/ | grep -v '^=== RUN\|INFO'


FUZZ_TARGETS += fuzz-store
.PHONY: fuzz-store
STORE_FUZZTIME ?= 20s
fuzz-store: ## fuzz the embedded store's log record replay
	$(GO) test -run '^$$' -fuzz '^FuzzReplayRecord$$' -fuzztime $(STORE_FUZZTIME) ./data/memstore/
