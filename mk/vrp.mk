# VRP benchmark families (routing/formats, routing/vrp, routing/vrp/check,
# routing/vrp/vroom). Runs are long: 56 Solomon instances at TIME=30s take
# about 28 minutes. Every plan is verified by the independent checker.
.PHONY: bench-vrp bench-vrp-all fuzz-vrp

BENCH_TARGETS += bench-vrp
FUZZ_TARGETS += fuzz-vrp

FAMILY ?= solomon
TIME ?= 30s
INSTANCES ?= all
SEED ?= 1
WORKERS ?= 1
VRP_FUZZTIME ?= 10s

bench-vrp: build ## VRP family vs BKS: FAMILY=solomon|lilim|cordeau|cvrplib TIME=30s INSTANCES=all|a,b (table + summary)
	./$(BIN) solve --bench --format $(FAMILY) --time-limit $(TIME) --seed $(SEED) --workers $(WORKERS) --instances $(INSTANCES)

bench-vrp-all: build ## all four VRP families in a row (TIME per instance; hours at 30s)
	for f in solomon lilim cordeau cvrplib; do \
		./$(BIN) solve --bench --format $$f --time-limit $(TIME) --seed $(SEED) --workers $(WORKERS) || exit 1; \
	done

fuzz-vrp: ## fuzz the instance readers and the VROOM decoder, $(VRP_FUZZTIME) each
	for f in FuzzReadSolomon FuzzReadLiLim FuzzReadCordeau FuzzReadCVRPLIB FuzzReadBKS FuzzReadSolution; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(VRP_FUZZTIME) ./routing/formats/ || exit 1; \
	done
	if [ -d routing/vrp/vroom ]; then $(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(VRP_FUZZTIME) ./routing/vrp/vroom/; fi
