#!/usr/bin/env bash
# pgRouting baseline for lifeline's road engine: time pgr_dijkstraCostMatrix
# on the Porto (PT, 2015) street network for N random vertices.
#
#   bash bench/pgrouting/run.sh            # or: make bench-pgrouting
#
# Steps (each skipped when already done; safe to re-run):
#   1. PostgreSQL up + PostGIS (.ci/postgis.sh); pgRouting, osm2pgrouting and
#      osmium-tool installed from Debian if missing.
#   2. Database lifeline_bench with postgis + pgrouting.
#   3. porto-pt-2015.osm.pbf -> var/pgrouting/porto-pt-2015.osm (osmium cat;
#      osm2pgrouting reads XML only) -> osm2pgrouting with the car mapconfig.
#   4. bench_edges: cost / reverse_cost in SECONDS = length_m / (maxspeed/3.6),
#      maxspeed being the OSM tag or osm2pgrouting's per-class default;
#      oneway=yes -> reverse_cost -1, oneway=-1 -> cost -1 (pgRouting: edge
#      absent in that direction). Directed.
#   5. bench_pick: every vertex of the largest strongly connected component
#      with a random rank drawn after setseed($SEED) in vertex-id order, so the
#      choice is reproducible; the N vertices of a run are the N lowest ranks
#      (nested: the 100 are among the 300). Their OSM node ids and [lon, lat]
#      go to var/pgrouting/vertices-N.tsv so other engines can use the same
#      points.
#   6. For each N in $SIZES: time pgr_dijkstraCostMatrix over those N vertices
#      (inside the server: clock_timestamp around the call, which includes
#      pgRouting reading the edge table, as every call does). Median of 3 when
#      3 runs fit in $CHEAP seconds, else 1 run. A size whose predicted time
#      (linear in N from the previous size) exceeds $BUDGET seconds is not run:
#      a comment line gives the EXTRAPOLATED figure instead.
#
# Output on stdout: one TSV line per size measured, "n<TAB>seconds<TAB>
# cpu_seconds" (medians; seconds is wall time, cpu_seconds the CPU time of
# the PostgreSQL backend, which stays meaningful on a busy shared machine),
# plus comment lines starting with '#'. Progress goes to stderr.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
DB=${BENCH_DB:-lifeline_bench}
PBF=${PBF:-$ROOT/../shared/data/geo/osm/porto-pt-2015.osm.pbf}
OUT=${OUT:-$ROOT/var/pgrouting}
MAPCONFIG=${MAPCONFIG:-/usr/share/osm2pgrouting/mapconfig_for_cars.xml}
SEED=${SEED:-0.42}       # setseed() argument, in [-1, 1]
SIZES=${SIZES:-"100 300 1000"}
BUDGET=${BUDGET:-180}    # seconds: skip a size predicted to take longer
CHEAP=${CHEAP:-90}       # seconds: take a median of 3 when 3 runs fit in this

log() { printf 'pgrouting: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
psqlq() { PGOPTIONS='-c client_min_messages=warning' psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }

# 1. Server, PostGIS, tools.
bash "$ROOT/.ci/postgis.sh"
need=()
command -v osm2pgrouting >/dev/null || need+=(osm2pgrouting)
command -v osmium >/dev/null || need+=(osmium-tool)
[ "$(psqlq -d postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgrouting'")" = 1 ] ||
	need+=(postgresql-15-pgrouting)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
		as_root apt-get update -qq >/dev/null
		as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	}
fi
[ -r "$PBF" ] || { log "missing $PBF"; exit 1; }

# 2. Database.
[ "$(psqlq -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 1 ] ||
	psqlq -d postgres -c "CREATE DATABASE \"$DB\""
psqlq -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pgrouting"

# 3-5. Load once per (input, mapconfig, seed).
mkdir -p "$OUT"
stamp="$(sha256sum "$PBF" | cut -c1-16) $(basename "$MAPCONFIG") seed=$SEED v1"
have=
if [ "$(psqlq -d "$DB" -c "SELECT to_regclass('bench_meta') IS NOT NULL")" = t ]; then
	have=$(psqlq -d "$DB" -c "SELECT stamp FROM bench_meta")
fi
if [ "$have" != "$stamp" ]; then
	osm="$OUT/$(basename "${PBF%.pbf}")"
	log "converting $(basename "$PBF") -> $osm"
	osmium cat --overwrite "$PBF" -o "$osm"
	log "osm2pgrouting ($(basename "$MAPCONFIG")); log in $OUT/osm2pgrouting.log"
	osm2pgrouting -f "$osm" -c "$MAPCONFIG" -d "$DB" -U "$PGUSER" -h "$PGHOST" -p "$PGPORT" --clean \
		>"$OUT/osm2pgrouting.log" 2>&1 || { tail -20 "$OUT/osm2pgrouting.log" >&2; exit 1; }
	log "building bench_edges, largest strongly connected component, random pick"
	psqlq -d "$DB" >/dev/null <<SQL
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS bench_meta, bench_edges, bench_scc, bench_pick;
CREATE TABLE bench_edges AS
SELECT gid AS id, source, target,
       CASE WHEN oneway = 'REVERSED' THEN -1 ELSE length_m / (maxspeed_forward / 3.6) END AS cost,
       CASE WHEN oneway = 'YES' THEN -1 ELSE length_m / (maxspeed_backward / 3.6) END AS reverse_cost
FROM ways WHERE source IS NOT NULL AND target IS NOT NULL
ORDER BY gid;
ALTER TABLE bench_edges ADD PRIMARY KEY (id);
CREATE TABLE bench_scc AS
SELECT node FROM pgr_strongComponents('SELECT id, source, target, cost, reverse_cost FROM bench_edges')
WHERE component = (
	SELECT component FROM pgr_strongComponents('SELECT id, source, target, cost, reverse_cost FROM bench_edges')
	GROUP BY component ORDER BY count(*) DESC, component LIMIT 1);
SELECT setseed($SEED);
CREATE TABLE bench_pick AS
SELECT node, random() AS r FROM (SELECT node FROM bench_scc ORDER BY node) s;
CREATE INDEX ON bench_pick (r);
ANALYZE bench_edges; ANALYZE bench_pick;
CREATE TABLE bench_meta (stamp text NOT NULL);
INSERT INTO bench_meta VALUES ('$stamp');
SQL
fi

# CPU time of this backend (utime + stime from /proc/self/stat, superuser
# only): unlike wall time it does not grow when other processes compete for
# the cores.
psqlq -d "$DB" <<SQL
DROP FUNCTION IF EXISTS bench_time_matrix(int);
CREATE OR REPLACE FUNCTION bench_cpu_seconds() RETURNS float8 LANGUAGE sql AS \$f\$
	SELECT (f[12]::bigint + f[13]::bigint) / $(getconf CLK_TCK).0
	FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS f) s
\$f\$;
CREATE OR REPLACE FUNCTION bench_time_matrix(n int, OUT seconds float8, OUT cpu_seconds float8, OUT pairs bigint, OUT finite bigint)
LANGUAGE plpgsql AS \$f\$
DECLARE
	t0 timestamptz;
	c0 float8;
	vids bigint[];
BEGIN
	SELECT array_agg(node ORDER BY r) INTO vids FROM (SELECT node, r FROM bench_pick ORDER BY r LIMIT n) s;
	c0 := bench_cpu_seconds();
	t0 := clock_timestamp();
	SELECT count(*), count(*) FILTER (WHERE agg_cost < 'Infinity'::float8) INTO pairs, finite
	FROM pgr_dijkstraCostMatrix('SELECT id, source, target, cost, reverse_cost FROM bench_edges', vids, directed => true);
	seconds := extract(epoch FROM clock_timestamp() - t0);
	cpu_seconds := bench_cpu_seconds() - c0;
END
\$f\$;
SQL

read -r edges vertices scc < <(psqlq -F ' ' -d "$DB" -c \
	"SELECT (SELECT count(*) FROM bench_edges), (SELECT count(*) FROM ways_vertices_pgr), (SELECT count(*) FROM bench_scc)")
echo "# pgRouting $(psqlq -d "$DB" -c "SELECT pgr_version()") on PostgreSQL $(psqlq -d "$DB" -c "SHOW server_version")," \
	"$(basename "$PBF"): $edges edges, $vertices vertices, largest SCC $scc; seed $SEED; $(nproc) cores (shared machine)"
echo -e "n\tseconds\tcpu_seconds"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
prev_n=0 prev_t=0
for n in $SIZES; do
	if [ "$n" -gt "$scc" ]; then log "N=$n exceeds the component ($scc)"; break; fi
	psqlq -F $'\t' -d "$DB" -c "COPY (SELECT v.osm_id, ST_X(v.the_geom), ST_Y(v.the_geom)
		FROM (SELECT node, r FROM bench_pick ORDER BY r LIMIT $n) p JOIN ways_vertices_pgr v ON v.id = p.node ORDER BY p.r)
		TO STDOUT" >"$OUT/vertices-$n.tsv"
	predicted=0
	if [ "$prev_n" -gt 0 ]; then
		predicted=$(awk -v t="$prev_t" -v a="$prev_n" -v b="$n" 'BEGIN {printf "%.1f", t * b / a}')
		if awk -v p="$predicted" -v B="$BUDGET" 'BEGIN {exit !(p > B)}'; then
			echo "# n=$n NOT RUN: EXTRAPOLATED ~${predicted} s (linear in n from n=$prev_n, $prev_t s) exceeds budget ${BUDGET} s"
			continue
		fi
	fi
	times=() cpus=()
	r=1
	while :; do
		read -r secs cpu pairs finite < <(PGOPTIONS="-c statement_timeout=$((BUDGET * 2))s" psqlq -F ' ' -d "$DB" \
			-c "SELECT seconds, cpu_seconds, pairs, finite FROM bench_time_matrix($n)") || {
			echo "# n=$n FAILED or hit statement_timeout $((BUDGET * 2)) s on run $r"
			exit 1
		}
		log "n=$n run $r: ${secs}s wall, ${cpu}s CPU, $pairs pairs ($finite finite)"
		if [ "$pairs" != $((n * (n - 1))) ] || [ "$finite" != "$pairs" ]; then
			log "n=$n: expected $((n * (n - 1))) finite pairs in a strongly connected component, got $finite of $pairs"
			exit 1
		fi
		times+=("$secs") cpus+=("$cpu")
		# Three runs when the first says three fit in $CHEAP seconds.
		[ "$r" -ge 3 ] && break
		[ "$r" -eq 1 ] && ! awk -v t="$secs" -v c="$CHEAP" 'BEGIN {exit !(3 * t <= c)}' && break
		r=$((r + 1))
	done
	med=$(printf '%s\n' "${times[@]}" | median)
	medcpu=$(printf '%s\n' "${cpus[@]}" | median)
	printf '%d\t%.3f\t%.2f\n' "$n" "$med" "$medcpu"
	echo "# n=$n wall: ${times[*]}; CPU: ${cpus[*]} (median of ${#times[@]}); $((n * (n - 1))) ordered pairs; vertices in var/pgrouting/vertices-$n.tsv"
	prev_n=$n prev_t=$med
done
