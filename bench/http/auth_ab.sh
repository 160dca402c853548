#!/usr/bin/env bash
# A/B cost of authentication on GET /v1/lookup: runs BenchmarkLookupAuth's
# variants (no auth layer, bearer token, session cookie) interleaved, RUNS
# times each, and prints the median ns/op (MODE=http: wall time; MODE=handler:
# the process's CPU time per request, less disturbed by other load) of each and the cost relative to
# "none". The machine is shared: interleaving spreads the noise evenly.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
BENCHTIME=${BENCHTIME:-2s}
MODE=${MODE:-http} # http (loopback sockets, parallel clients) or handler (in-process, one goroutine)
go test -c -o /tmp/lifeline-api-bench ./api
out=$(mktemp)
for i in $(seq "$RUNS"); do
  for v in none bearer session; do
    /tmp/lifeline-api-bench -test.run '^$' -test.bench "^BenchmarkLookupAuth/$MODE/$v\$" -test.benchtime "$BENCHTIME" -test.cpu 2 | awk -v v="$v" -v m="$MODE" '/^BenchmarkLookupAuth/{print v, (m=="handler" ? $5 : $3)}' >>"$out"
  done
done
for v in none bearer session; do
  printf '%s ' "$v"; awk -v v="$v" '$1==v{print $2}' "$out" | sort -n | awk '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "median %.0f ns/op over %d runs (all: ", m, NR}'
  awk -v v="$v" '$1==v{printf "%s ", $2}' "$out"; echo ")"
done | tee "$out.sum"
awk '/^none/{n=$3} /^bearer/{b=$3} /^session/{s=$3} END{printf "cost: bearer %+.1f%%, session %+.1f%%\n", (b/n-1)*100, (s/n-1)*100}' "$out.sum"
rm -f "$out" "$out.sum"
