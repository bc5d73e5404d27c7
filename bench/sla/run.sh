#!/usr/bin/env bash
# SLA scheduler-pass benchmark: create and migrate opsdesk_bench_sla (BENCH_SLA_DB) when missing, then run
# bench/sla/bench.py with the arguments given (e.g. --sizes 10000,100000 --runs 5). --fresh drops it first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DB="${BENCH_SLA_DB:-opsdesk_bench_sla}"
PG="-h 127.0.0.1 -U postgres"
if [ "${1:-}" = "--fresh" ]; then
  shift
  dropdb $PG --if-exists "$DB"
fi
if ! psql $PG -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  createdb $PG "$DB"
fi
export OPSDESK_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
unset OPSDESK_REDIS_URL
.venv/bin/python -m opsdesk migrate --verbosity 0
mkdir -p bench/sla/out
exec .venv/bin/python bench/sla/bench.py "$@"
