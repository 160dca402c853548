# Shuttles for dialysis patients and pregnant women: riders' registry, hospital rules, CSV import (routing/shuttles).
.PHONY: fuzz-shuttles

FUZZ_TARGETS += fuzz-shuttles

SHUTTLES_FUZZTIME ?= 20s

fuzz-shuttles: ## fuzz the riders' CSV import decoder and rider JSON, $(SHUTTLES_FUZZTIME)
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCSV$$' -fuzztime $(SHUTTLES_FUZZTIME) ./routing/shuttles/
	$(GO) test -run '^$$' -fuzz '^FuzzRiderJSON$$' -fuzztime $(SHUTTLES_FUZZTIME) ./routing/shuttles/

.PHONY: bench-shuttles
BENCH_TARGETS += bench-shuttles
SHUTTLES_BUDGET ?= 6s

bench-shuttles: ## a seeds-sized shuttle day (46 dialysis in and out, 12 prenatal, 3 labour, 20 vans of 4 seats) on the demo district and central Chengdu, one core, plus urgent calls
	LIFELINE_BENCH_SHUTTLES=1 SHUTTLES_BUDGET=$(SHUTTLES_BUDGET) GOMAXPROCS=1 $(GO) test -count 1 -run '^TestBenchShuttles$$' -v -timeout 10m ./routing/shuttles/ | grep -v '^=== RUN'
