# Shuttles for dialysis patients and pregnant women: riders' registry, hospital rules, CSV import (routing/shuttles).
.PHONY: fuzz-shuttles

FUZZ_TARGETS += fuzz-shuttles

SHUTTLES_FUZZTIME ?= 20s

fuzz-shuttles: ## fuzz the riders' CSV import decoder and rider JSON, $(SHUTTLES_FUZZTIME)
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCSV$$' -fuzztime $(SHUTTLES_FUZZTIME) ./routing/shuttles/
	$(GO) test -run '^$$' -fuzz '^FuzzRiderJSON$$' -fuzztime $(SHUTTLES_FUZZTIME) ./routing/shuttles/
