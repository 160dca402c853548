# Basemap vector tiles (geo/basemap, api/tiles.go) and the Chengdu demo district (data/chengdu).
.PHONY: bench-basemap fuzz-basemap

BENCH_TARGETS += bench-basemap
FUZZ_TARGETS += fuzz-basemap

BASEMAP_FUZZTIME ?= 20s

bench-basemap: ## tile cutting at z12-z18, cache hit, basemap parse and a full z12-16 cut (one core)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 -count 6 ./geo/basemap/

fuzz-basemap: ## fuzz the tile path parser (z/x/y.pbf), $(BASEMAP_FUZZTIME)
	$(GO) test -run '^$$' -fuzz '^FuzzParseTilePath$$' -fuzztime $(BASEMAP_FUZZTIME) ./api/
