#!/usr/bin/env bash
# How many audit appends per second the hash chain allows on this machine's disk, apart from Django.
#
# Every create appends to the audit chain under one PostgreSQL advisory lock held until commit (the next
# entry must read this one's hash), so commits, each waiting for its WAL flush, happen one at a time.
# pgbench runs that transaction shape (lock, read the last hash, insert, commit) on a scratch table in the
# benchmark database with 8 clients, then the same without the lock, where commits share WAL flushes.
# The first figure is a ceiling for incident creates however fast the application is.
set -euo pipefail
DB=${BENCH_DB:-opsdesk_bench}
SECONDS_EACH=${BENCH_CHAIN_SECONDS:-15}
PGBENCH=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1)
PGBENCH=${PGBENCH:-pgbench}
export PGOPTIONS="-c client_min_messages=warning"
psql=(psql -h 127.0.0.1 -U postgres -q "$DB")
work=$(mktemp -d)
trap '"${psql[@]}" -c "DROP TABLE IF EXISTS bench_chain" >/dev/null; rm -rf "$work"' EXIT

"${psql[@]}" -c "DROP TABLE IF EXISTS bench_chain; CREATE TABLE bench_chain (id bigserial PRIMARY KEY, hash text UNIQUE, data jsonb)"
cat > "$work/chain.sql" <<'SQL'
BEGIN;
SELECT pg_advisory_xact_lock(987654321);
SELECT hash FROM bench_chain ORDER BY id DESC LIMIT 1;
INSERT INTO bench_chain (hash, data) VALUES (md5(random()::text || clock_timestamp()::text), '{"action": "incident.created"}');
END;
SQL
grep -v advisory "$work/chain.sql" > "$work/unchained.sql"

declare -A label=([chain]="chained (advisory lock held until commit)" [unchained]="without the lock")
for script in chain unchained; do
    tps=$("$PGBENCH" -h 127.0.0.1 -U postgres -n -c 8 -j 2 -T "$SECONDS_EACH" -f "$work/$script.sql" "$DB" 2>/dev/null \
          | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    echo "audit appends per second, ${label[$script]}: ${tps}"
done
