#!/usr/bin/env bash
# SLA scheduler-pass benchmark (see bench/sla/bench.py and README.md). --fresh drops the benchmark's
# databases (opsdesk_bench_sla_<size>, BENCH_SLA_DB sets the prefix) first; other arguments go to bench.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PREFIX="${BENCH_SLA_DB:-opsdesk_bench_sla}"
if [ "${1:-}" = "--fresh" ]; then
  shift
  for db in $(psql -h 127.0.0.1 -U postgres -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}\_%'"); do
    dropdb -h 127.0.0.1 -U postgres "$db"
  done
fi
export OPSDESK_DATABASE_URL="${OPSDESK_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
unset OPSDESK_REDIS_URL
mkdir -p bench/sla/out
exec .venv/bin/python bench/sla/bench.py "$@"
