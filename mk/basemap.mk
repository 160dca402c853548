# Basemap vector tiles (geo/basemap) and the Chengdu demo district (data/chengdu).
.PHONY: bench-basemap

BENCH_TARGETS += bench-basemap

bench-basemap: ## tile cutting at z12-z18, cache hit, basemap parse and a full z12-16 cut (one core)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 -count 6 ./geo/basemap/
