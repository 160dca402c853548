#!/usr/bin/env bash
# Prepares PostgreSQL 15 + PostGIS for the test suite on a fresh CI machine.
# Idempotent: safe to run when everything is already in place.
#
#   bash .ci/postgis.sh
#
# Environment (all optional):
#   PGHOST (127.0.0.1) PGPORT (5432) PGUSER (postgres)  where the server listens
#   LIFELINE_TEST_DB (test)                              database that gets the extension
#   PG_VERSION (15) PG_CLUSTER (main)                    Debian cluster to start when down
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
DB=${LIFELINE_TEST_DB:-test}
PG_VERSION=${PG_VERSION:-15}
PG_CLUSTER=${PG_CLUSTER:-main}
export PGHOST PGPORT PGUSER

log() { printf 'postgis.sh: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# 1. PostgreSQL up?
if ! pg_isready -q -t 2; then
	log "PostgreSQL not ready; starting cluster $PG_VERSION/$PG_CLUSTER"
	if command -v pg_ctlcluster >/dev/null 2>&1; then
		as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start || true
	else
		as_root service postgresql start || true
	fi
	for _ in $(seq 1 60); do
		pg_isready -q -t 1 && break
		sleep 1
	done
	pg_isready -q -t 2 || { log "PostgreSQL did not become ready on $PGHOST:$PGPORT"; exit 1; }
fi
log "PostgreSQL ready on $PGHOST:$PGPORT"

psqlc() { psql -X -v ON_ERROR_STOP=1 -q -At "$@"; }

# 2. PostGIS available to the server?
available=$(psqlc -d postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
if [ "$available" != "1" ]; then
	log "PostGIS missing; installing postgresql-$PG_VERSION-postgis-3"
	export DEBIAN_FRONTEND=noninteractive
	if ! as_root apt-get install -y -qq --no-install-recommends "postgresql-$PG_VERSION-postgis-3" >/dev/null; then
		as_root apt-get update -qq >/dev/null
		as_root apt-get install -y -qq --no-install-recommends "postgresql-$PG_VERSION-postgis-3" >/dev/null
	fi
fi

# 3. Test database and extension.
exists=$(psqlc -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")
if [ "$exists" != "1" ]; then
	log "creating database $DB"
	psqlc -d postgres -c "CREATE DATABASE \"$DB\""
fi
PGOPTIONS='-c client_min_messages=warning' psqlc -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis"
version=$(psqlc -d "$DB" -c "SELECT postgis_lib_version()")
log "PostGIS $version ready in database $DB"
