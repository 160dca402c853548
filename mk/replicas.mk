# Replicas on one PostGIS (issue 11): zone look-ups through HTTP on the
# embedded store, PostGIS with the in-memory zone index, PostGIS by SQL
# (same run, interleaved); the change stream's replica latency.
.PHONY: bench-replicas

BENCH_TARGETS += bench-replicas

bench-replicas: ## zone look-ups through HTTP: embedded vs PostGIS (memory index) vs PostGIS (SQL), same run; write on A -> applied on B
	bash .ci/postgis.sh
	LIFELINE_REQUIRE_DB=1 LIFELINE_BENCH_REPLICAS=1 $(GO) test -count=1 -run '^TestBenchLookupStoresHTTP$$' -v -timeout 20m ./cmd/lifeline/ | grep -v '^=== RUN'
	LIFELINE_REQUIRE_DB=1 $(GO) test -count=1 -run '^TestZoneChangeReachesReplica$$' -v ./data/postgis/ | grep -v '^=== RUN'
	LIFELINE_REQUIRE_DB=1 $(GO) test -count=1 -run '^TestReplicasSealedZoneReroutes$$' -v ./cmd/lifeline/ | grep -v '^=== RUN'
