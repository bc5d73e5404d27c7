#!/usr/bin/env bash
# The speed benchmark of issue 2: seed PostgreSQL with 1,000,000 incidents (once), serve the API with
# gunicorn on 127.0.0.1, measure queues, filtered lists, search and creates, stop the server.
#
#   bench/run.sh                 seed if the database is missing, then measure everything
#   bench/run.sh --fresh         drop and re-seed the database first
#   bench/run.sh --only search   any other option goes to bench/load.py (see its --help)
#
# Environment: BENCH_DB (opsdesk_bench), BENCH_INCIDENTS (1000000), BENCH_PORT (a free one),
# BENCH_WORKERS (2), BENCH_THREADS (32: gthread workers, as `opsdesk serve` runs them; 1: sync workers).
# Figures are printed and written to bench/out/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${BENCH_DB:-opsdesk_bench}
PORT=${BENCH_PORT:-$(.venv/bin/python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
WORKERS=${BENCH_WORKERS:-2}
THREADS=${BENCH_THREADS:-32}
INCIDENTS=${BENCH_INCIDENTS:-1000000}
PY=.venv/bin/python
export OPSDESK_DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
unset OPSDESK_DEBUG
mkdir -p bench/out

# Creates are posted by wrk (Debian's package): a Python client would spend the CPU it measures.
if ! command -v wrk >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing wrk (Debian's package) for the create load"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || echo "could not install wrk: load.py falls back to Python"
fi

fresh=0
if [[ "${1:-}" == "--fresh" ]]; then fresh=1; shift; fi

exists=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '${DB}'" postgres)
if [[ $fresh == 1 || "$exists" != "1" ]]; then
    dropdb -h 127.0.0.1 -U postgres --if-exists "$DB"
    createdb -h 127.0.0.1 -U postgres "$DB"
    $PY -m opsdesk migrate --no-input
    $PY bench/seed.py --incidents "$INCIDENTS" 2>&1 | tee bench/out/seed.log
else
    $PY -m opsdesk migrate --no-input
fi

server=(.venv/bin/gunicorn opsdesk.config.wsgi --bind "127.0.0.1:${PORT}" --workers "$WORKERS"
        --timeout 60 --log-level warning)
label="gunicorn --workers ${WORKERS} (sync)"
if [[ "$THREADS" -gt 1 ]]; then
    server+=(--worker-class gthread --threads "$THREADS")
    label="gunicorn --workers ${WORKERS} --worker-class gthread --threads ${THREADS}"
fi
"${server[@]}" > bench/out/gunicorn.log 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT

for _ in $(seq 60); do
    if ! kill -0 "$server_pid" 2>/dev/null; then echo "gunicorn did not start:"; cat bench/out/gunicorn.log; exit 1; fi
    if curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/api/v1/openapi.json"; then break; fi
    sleep 0.5
done

$PY bench/load.py --base "http://127.0.0.1:${PORT}" --server-pid "$server_pid" --label "$label, PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' postgres), $(nproc) cores" "$@"

case " $* " in
    *" --only "*) ;;
    *) echo; bench/chain.sh | tee -a "$(ls -t bench/out/results-*.md | head -1)" ;;
esac
