# Siting benchmarks (routing/siting, routing/siteplan). Shared data lives in
# ../shared/data (LIFELINE_SHARED_DATA overrides).
SHARED_DATA ?= $(or $(LIFELINE_SHARED_DATA),../shared/data)
PMED_DIR := $(SHARED_DATA)/bench/orlib-pmedian
POA_GRID := $(SHARED_DATA)/geo/population/porto-alegre-h3r9-hexgrid.csv
POA_OSM := $(SHARED_DATA)/geo/osm/porto-alegre-2020.osm.pbf

BENCH_TARGETS += bench-siting
FUZZ_TARGETS += fuzz-siting

.PHONY: bench-siting fuzz-siting
bench-siting: build ## OR-Library pmed1-40 (10 s each, one core); Porto Alegre 50 sites, straight line and foot network (60 s each)
	GOMAXPROCS=1 ./$(BIN) site --format orlib-pmed --time-limit 10s --bks $(PMED_DIR)/bks.csv \
		$(foreach i,$(shell seq 1 40),$(PMED_DIR)/instances/pmed$(i).txt)
	GOMAXPROCS=1 ./$(BIN) site --format h3-pop --p 50 --time-limit 60s $(POA_GRID)
	GOMAXPROCS=1 ./$(BIN) site --format h3-pop --p 50 --time-limit 60s --osm $(POA_OSM) $(POA_GRID)

fuzz-siting: ## fuzz the siting decoders briefly
	$(GO) test -run XXX -fuzz FuzzReadPMedian -fuzztime 15s ./routing/formats/
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime 10s ./geo/h3grid/
	$(GO) test -run XXX -fuzz FuzzReadPopulationCSV -fuzztime 10s ./routing/siteplan/
	$(GO) test -run XXX -fuzz FuzzReadDemandGeoJSON -fuzztime 10s ./routing/siteplan/
