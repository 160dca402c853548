# Zone map: spatial index, memstore look-ups, GeoJSON fuzzing (zones/, data/memstore).
.PHONY: bench-zones fuzz-zones

BENCH_TARGETS += bench-zones
FUZZ_TARGETS += fuzz-zones

ZONES_FUZZTIME ?= 20s

bench-zones: ## zone look-up: Index vs linear scan, memstore single and 10,000-point batch (one core)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 -count 6 ./zones/ ./data/memstore/

fuzz-zones: ## fuzz the GeoJSON decoders (zones, compounds, facilities), $(ZONES_FUZZTIME) each
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFeature$$' -fuzztime $(ZONES_FUZZTIME) ./zones/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFeatureCollection$$' -fuzztime $(ZONES_FUZZTIME) ./zones/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePlaces$$' -fuzztime $(ZONES_FUZZTIME) ./zones/
