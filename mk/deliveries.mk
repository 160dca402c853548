# Medicine deliveries (routing/deliveries, api/deliveries.go): planning the
# seeds' day (Chengdu) and a large day (Porto, one core), intake through HTTP.
.PHONY: bench-deliveries fuzz-deliveries

BENCH_TARGETS += bench-deliveries
FUZZ_TARGETS += fuzz-deliveries

DELIVERIES_RUNS ?= 3
DELIVERIES_FUZZTIME ?= 20s

bench-deliveries: var/graphs/porto-car.graph ## medicine deliveries: plan time, vans, driving of the seeds' day and a 10,000-request day on Porto (one core); intake requests/s through HTTP
	LIFELINE_BENCH_DELIVERIES=1 LIFELINE_BENCH_RUNS=$(DELIVERIES_RUNS) LIFELINE_BENCH_GRAPH=$(CURDIR)/var/graphs/porto-car.graph GOMAXPROCS=1 \
		$(GO) test -count=1 -timeout 60m -run '^TestBenchDeliveries$$' -v ./routing/deliveries/ | grep -v '^=== RUN'
	@mkdir -p var/bench
	LIFELINE_BENCH_DELIVERIES=1 LIFELINE_BENCH_RUNS=$(DELIVERIES_RUNS) LIFELINE_BENCH_DIR=$(CURDIR)/var/bench \
		$(GO) test -count=1 -timeout 30m -run '^TestBenchIntakeHTTP$$' -v ./api/ | grep -v '^=== RUN'

fuzz-deliveries: ## fuzz the requests' batch-file decoder and item lists, $(DELIVERIES_FUZZTIME)
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCSV$$' -fuzztime $(DELIVERIES_FUZZTIME) ./routing/deliveries/
	$(GO) test -run '^$$' -fuzz '^FuzzParseItems$$' -fuzztime $(DELIVERIES_FUZZTIME) ./routing/deliveries/
