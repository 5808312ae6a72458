#!/usr/bin/env bash
# Starts a PostgreSQL server on 127.0.0.1 for the rating store's tests and prints its URL (the only line on stdout):
# Debian's cluster (postgresql package) when there is one, started with pg_ctlcluster, with a role and a database of
# the tests' own. Run it as root or as the postgres user. CI exports the URL as MIMIC_TEST_POSTGRES; the tests run
# this script themselves when that is unset, and skip PostgreSQL, saying so, when it fails.
#   usage: scripts/postgres_test_server.sh            -> postgres://mimic:mimic@127.0.0.1:5432/mimic_test
set -euo pipefail
VERSION=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
if [[ -z "$VERSION" ]]; then
    echo "error: no PostgreSQL server here; on Debian: apt-get install postgresql" >&2
    exit 1
fi
CLUSTER=${MIMIC_PG_CLUSTER:-main}
as_postgres() {
    if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c' | grep -q .; then
    pg_createcluster "$VERSION" "$CLUSTER" >/dev/null
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}' | grep -q online; then
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 50); do
    as_postgres psql -p "$PORT" -qAtc "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.2
done
as_postgres psql -p "$PORT" -qAtc "SELECT 1 FROM pg_roles WHERE rolname = 'mimic'" | grep -q 1 \
    || as_postgres psql -p "$PORT" -qc "CREATE ROLE mimic LOGIN PASSWORD 'mimic'" >&2
as_postgres psql -p "$PORT" -qAtc "SELECT 1 FROM pg_database WHERE datname = 'mimic_test'" | grep -q 1 \
    || as_postgres createdb -p "$PORT" -O mimic mimic_test >&2
echo "postgres://mimic:mimic@127.0.0.1:$PORT/mimic_test"
