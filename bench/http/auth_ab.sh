#!/usr/bin/env bash
# A/B cost of authentication on GET /v1/lookup through HTTP: RUNS runs of
# BenchmarkLookupAuthAB (api/auth_bench_test.go), each ROUNDS rounds of
# PHASE-ms phases per variant (no auth layer, bearer token, session cookie)
# in a rotating order over loopback keep-alive connections; each run reports
# the median of its per-round ratios against "none" (throughput and the
# process's CPU time per request) and the allocations per request. Prints
# every run and the median over the runs. The machine is shared: interleaving
# spreads the noise evenly, CPU time per request is less disturbed than
# throughput, allocations per request not at all.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
export AB_ROUNDS=${ROUNDS:-15} AB_PHASE=${PHASE:-400} AB_CONNS=${CONNS:-16}
go test -c -o /tmp/lifeline-api-bench ./api
out=$(mktemp)
for i in $(seq "$RUNS"); do
  (cd api && /tmp/lifeline-api-bench -test.run '^$' -test.bench '^BenchmarkLookupAuthAB$' -test.benchtime 1x) | grep '^BenchmarkLookupAuthAB' | tee -a "$out"
done
awk '{for (i = 5; i < NF; i += 2) v[$(i+1)] = v[$(i+1)] " " $i} END {for (k in v) print k, v[k]}' "$out" | sort | while read -r name vals; do
  printf '%-22s median %s  (runs:%s)\n' "$name" "$(echo $vals | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')" " $vals"
done
rm -f "$out"
