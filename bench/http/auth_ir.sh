#!/usr/bin/env bash
# Machine-independent A/B of authentication on GET /v1/lookup through HTTP:
# the instructions the server process executes per look-up, counted by
# valgrind's callgrind, without the auth layer, with a bearer token and with
# a session cookie. The server (TestLookupAuthInstructions, AB_SERVE) runs
# under callgrind; the client is a second process (AB_CLIENT) on loopback,
# so none of its work is counted. Each variant is served N1 and N2 requests
# on one keep-alive connection by a fresh server; the cost per request is
# (Ir(N2) - Ir(N1)) / (N2 - N1), which removes start-up and the connection's
# one-time work. Counts do not depend on what else the machine runs.
# GOGC=off keeps the collector's timing out of the counts; GOMAXPROCS=1 and
# GODEBUG=asyncpreemptoff=1 because callgrind cannot follow Go's preemption
# signal.
set -euo pipefail
cd "$(dirname "$0")/../.."
N1=${N1:-1000} N2=${N2:-3000}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
bin=$dir/apitest
go test -c -o "$bin" ./api
ir() { # variant requests -> instructions the server executed
  local f=$dir/servers.$1.$2 log=$dir/log.$1.$2
  (cd api && GOGC=off GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 AB_SERVE=$f valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$bin" -test.run '^TestLookupAuthInstructions$' >"$log" 2>&1) &
  local pid=$!
  for _ in $(seq 600); do [ -f "$f" ] && break; sleep 0.2; done
  [ -f "$f" ] || { cat "$log" >&2; exit 1; }
  (cd api && AB_CLIENT=$f AB_VARIANT=$1 AB_REQUESTS=$2 "$bin" -test.run '^TestLookupAuthInstructions$' >/dev/null) || { echo "client failed" >&2; exit 1; }
  touch "$f.done"; wait "$pid"
  grep -o 'Collected : [0-9]*' "$log" | awk '{print $3}'
}
declare -A per
for v in none bearer session; do
  a=$(ir "$v" "$N1"); b=$(ir "$v" "$N2")
  per[$v]=$(( (b - a) / (N2 - N1) ))
  printf '%-8s server Ir(%d)=%d Ir(%d)=%d  per look-up %d instructions\n' "$v" "$N1" "$a" "$N2" "$b" "${per[$v]}"
done
for v in bearer session; do
  awk -v a="${per[none]}" -v b="${per[$v]}" -v n="$v" 'BEGIN{printf "%-8s %+.1f%% server instructions per look-up against no auth\n", n, (b-a)*100/a}'
done
