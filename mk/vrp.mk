# VRP benchmark families (routing/formats, routing/vrp, routing/vrp/check,
# routing/vrp/vroom). Runs are long: 56 Solomon instances at TIME=30s take
# about 28 minutes. Every plan is verified by the independent checker.
.PHONY: bench-vrp bench-vrp-all bench-vrp-api fuzz-vrp

BENCH_TARGETS += bench-vrp bench-vrp-api
FUZZ_TARGETS += fuzz-vrp

FAMILY ?= solomon
TIME ?= 30s
INSTANCES ?= all
SEED ?= 1
SEEDS ?=
ITERATIONS ?=
TRACE ?=
WORKERS ?= 1
VRP_FUZZTIME ?= 10s

# SEEDS=1-5 runs every instance once per seed and adds the spread per
# instance; ITERATIONS=N makes the runs reproducible (N iterations, no time
# limit: the budget does not depend on the machine's load); TRACE=var/trace
# writes each run's best cost over iterations (CSV) and a plot per instance.
VRP_BUDGET = $(if $(ITERATIONS),--iterations $(ITERATIONS),--time-limit $(TIME))
bench-vrp: build ## VRP family vs BKS: FAMILY=solomon|lilim|cordeau|cvrplib TIME=30s|ITERATIONS=N SEEDS=1-5 INSTANCES=all|a,b TRACE=dir
	GOMAXPROCS=$(WORKERS) ./$(BIN) solve --bench --format $(FAMILY) $(VRP_BUDGET) --seed $(SEED) $(if $(SEEDS),--seeds $(SEEDS)) \
		--workers $(WORKERS) --instances $(INSTANCES) $(if $(TRACE),--trace $(TRACE))

bench-vrp-all: build ## all four VRP families in a row (TIME per instance; hours at 30s)
	for f in solomon lilim cordeau cvrplib; do \
		./$(BIN) solve --bench --format $$f --time-limit $(TIME) --seed $(SEED) --workers $(WORKERS) || exit 1; \
	done

bench-vrp-api: ## a 1,000-stop problem with coordinates through POST /v1/optimize (Chengdu): round trip vs time limit, computing_times
	LIFELINE_BENCH_OPTIMIZE=1 LIFELINE_BENCH_OPTIMIZE_LIMIT=$(TIME) $(GO) test -run '^TestBenchOptimizeHTTP$$' -v -timeout 20m ./cmd/lifeline/

fuzz-vrp: ## fuzz the instance readers and the VROOM decoder, $(VRP_FUZZTIME) each
	for f in FuzzReadSolomon FuzzReadLiLim FuzzReadCordeau FuzzReadCVRPLIB FuzzReadBKS FuzzReadSolution; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(VRP_FUZZTIME) ./routing/formats/ || exit 1; \
	done
	if [ -d routing/vrp/vroom ]; then $(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(VRP_FUZZTIME) ./routing/vrp/vroom/; fi
