BENCH_TARGETS += bench-http
.PHONY: bench-http
bench-http: ## HTTP point look-up throughput with wrk against the real server
	bash bench/http/lookup.sh
