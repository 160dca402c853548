FUZZ_TARGETS += fuzz-auth
.PHONY: fuzz-auth
AUTH_FUZZTIME ?= 20s
fuzz-auth: ## fuzz the auth decoders (sign-in and account bodies, the optimiser's driver extension)
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeStrict$$' -fuzztime $(AUTH_FUZZTIME) ./api/auth/
	$(GO) test -run '^$$' -fuzz '^FuzzExtractDrivers$$' -fuzztime $(AUTH_FUZZTIME) ./api/

BENCH_TARGETS += bench-auth bench-auth-ir
.PHONY: bench-auth bench-auth-ir
bench-auth: ## look-ups through HTTP with and without auth: interleaved A/B phases, median of 5 runs (RUNS=, ROUNDS=, PHASE=, CONNS=)
	bash bench/http/auth_ab.sh

bench-auth-ir: ## instructions per look-up with and without auth, under callgrind (machine-independent)
	bash bench/http/auth_ir.sh
