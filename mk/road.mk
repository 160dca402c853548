# Road engine (routing/graph, routing/osm, routing/ch, routing/network).
# Graphs are built into the gitignored var/graphs.
.PHONY: bench-road fuzz-road graphs-road

BENCH_TARGETS += bench-road
FUZZ_TARGETS += fuzz-road

ROAD_DATA ?= ../shared/data/geo/osm
ROAD_FUZZTIME ?= 15s

var/graphs/porto-car.graph: | build
	@mkdir -p var/graphs
	/usr/bin/time -f 'graph build porto car: %e s wall, %U s user CPU, %M KiB peak RSS' ./$(BIN) graph build --osm $(ROAD_DATA)/porto-pt-2015.osm.pbf --profile car --out $@

graphs-road: build ## build the road graphs of the shared OSM extracts into var/graphs
	@mkdir -p var/graphs
	./$(BIN) graph build --osm $(ROAD_DATA)/monaco-2016-03.osm.pbf --profile car --out var/graphs/monaco-car.graph
	./$(BIN) graph build --osm $(ROAD_DATA)/chengdu-central-2018.osm --profile car --out var/graphs/chengdu-car.graph
	./$(BIN) graph build --osm $(ROAD_DATA)/porto-alegre-2020.osm.pbf --profile foot --out var/graphs/porto-alegre-foot.graph
	./$(BIN) graph build --osm $(ROAD_DATA)/porto-pt-2015.osm.pbf --profile car --out var/graphs/porto-car.graph

bench-road: build ## road engine on Porto, one core: import+hierarchy time and peak memory, query, 1000x1000, isochrone, zone rebuild; then route and matrix through HTTP
	@mkdir -p var/graphs
	GOMAXPROCS=1 /usr/bin/time -f 'graph build porto car (GOMAXPROCS=1): %e s wall, %U s user CPU, %M KiB peak RSS' ./$(BIN) graph build --osm $(ROAD_DATA)/porto-pt-2015.osm.pbf --profile car --out var/graphs/porto-car.graph
	LIFELINE_BENCH_GRAPH=$(CURDIR)/var/graphs/porto-car.graph $(GO) test -count=1 -run '^TestBenchRoadTable$$' -v ./routing/network/ | grep -v '^=== RUN'
	LIFELINE_BENCH_GRAPH=$(CURDIR)/var/graphs/porto-car.graph $(GO) test -count=1 -run '^TestBenchRoadHTTP$$' -v ./cmd/lifeline/ | grep -v '^=== RUN'

fuzz-road: ## fuzz the road engine's decoders (graph file, hierarchy section, polyline, maxspeed)
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(ROAD_FUZZTIME) ./routing/graph/
	$(GO) test -run '^$$' -fuzz '^FuzzPolyline$$' -fuzztime $(ROAD_FUZZTIME) ./routing/graph/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePolyline$$' -fuzztime $(ROAD_FUZZTIME) ./routing/graph/
	$(GO) test -run '^$$' -fuzz '^FuzzFromSection$$' -fuzztime $(ROAD_FUZZTIME) ./routing/ch/
	$(GO) test -run '^$$' -fuzz '^FuzzParseMaxspeed$$' -fuzztime $(ROAD_FUZZTIME) ./routing/osm/
	$(GO) test -run '^$$' -fuzz '^FuzzReadPoints$$' -fuzztime $(ROAD_FUZZTIME) ./cmd/lifeline/
