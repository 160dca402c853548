#!/usr/bin/env bash
# HTTP benchmark of the point look-up: starts the real server on loopback with
# the embedded store and the demo district, loads it with wrk (Debian package)
# for RUNS x DURATION, and prints requests/s per run and the median.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PORT=${PORT:-18089}
command -v wrk >/dev/null || { echo "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
go build -o bin/lifeline ./cmd/lifeline
dir=$(mktemp -d)
# /v1 needs an account: a viewer with an API token
./bin/lifeline user add --data-dir "$dir" --role viewer bench >/dev/null
token=$(./bin/lifeline user token --data-dir "$dir" --ttl 2h bench | tail -n1)
./bin/lifeline serve --addr 127.0.0.1:$PORT --data-dir "$dir" --log-level warn >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.2; done
url="http://127.0.0.1:$PORT/v1/lookup?lon=104.07&lat=30.65&at=2026-11-23T08:00:00Z"
curl -sf -H "Authorization: Bearer $token" "$url" >/dev/null
rates=()
for i in $(seq "$RUNS"); do
  r=$(wrk -t2 -c"$CONNS" -d"$DURATION" -H "Authorization: Bearer $token" "$url" | awk '/Requests\/sec/{print $2}')
  echo "run $i: $r requests/s"
  rates+=("$r")
done
printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "GET /v1/lookup: median %.0f requests/s over %d runs (wrk -t2 -c'"$CONNS"', 2-core machine, server and wrk share it)\n", m, NR}'
