#!/usr/bin/env bash
# Machine-independent A/B of authentication on GET /v1/lookup through HTTP:
# instructions executed by the server's connection goroutines
# (net/http.(*conn).serve and all it calls: reading the request, the
# middleware chain, the handler, writing the answer), counted by valgrind's
# callgrind, for no auth layer, a bearer token and a session cookie. Each
# variant runs N1 and N2 requests on one keep-alive connection; the cost per
# request is (Ir(N2) - Ir(N1)) / (N2 - N1), which removes the one-time work
# of the connection. Counts do not depend on what else the machine runs.
# GODEBUG=asyncpreemptoff=1: callgrind cannot follow Go's preemption signal.
set -euo pipefail
cd "$(dirname "$0")/../.."
N1=${N1:-500} N2=${N2:-1500}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
bin=$(mktemp -d)/apitest
go test -c -o "$bin" ./api
ir() { # variant requests -> instructions collected
  local out; out=$(mktemp)
  (cd api && GOGC=off GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 AB_VARIANT=$1 AB_REQUESTS=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$bin" -test.run '^TestLookupAuthInstructions$' >"$out" 2>&1) || { cat "$out" >&2; exit 1; }
  grep -o 'Collected : [0-9]*' "$out" | awk '{print $3}'; rm -f "$out"
}
declare -A per
for v in none bearer session; do
  a=$(ir "$v" "$N1"); b=$(ir "$v" "$N2")
  per[$v]=$(( (b - a) / (N2 - N1) ))
  printf '%-8s Ir(%d)=%d Ir(%d)=%d  per request %d instructions\n' "$v" "$N1" "$a" "$N2" "$b" "${per[$v]}"
done
for v in bearer session; do
  awk -v a="${per[none]}" -v b="${per[$v]}" -v n="$v" 'BEGIN{printf "%-8s %+.1f%% instructions per look-up against no auth\n", n, (b-a)*100/a}'
done
