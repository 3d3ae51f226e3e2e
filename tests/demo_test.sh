#!/usr/bin/env bash
# Checks the README's quick start: scripts/demo.sh brings up a primary, two hot standbys
# and pgrelay, psql connects through it with the printed line (a read lands on a standby,
# a transaction on the primary), the printed console and metrics lines answer, and pgbench -i then
# pgbench -M extended run with 0 failed transactions; scripts/demo.sh stop tears it down.
# Usage (from CTest): tests/demo_test.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(readlink -f "$1")
export PATH=/usr/lib/postgresql/15/bin:$PATH
export DEMO_DIR
DEMO_DIR=$(mktemp -d /tmp/pgrelay-demo-test.XXXXXX)
chmod 755 "$DEMO_DIR"
export PGRELAY_PORT=$((40000 + RANDOM % 20000))
trap 'scripts/demo.sh stop >/dev/null 2>&1 || true; rm -rf "$DEMO_DIR"' EXIT

out=$(BUILD_DIR="$build" scripts/demo.sh 2>&1) || { echo "$out"; echo "FAIL: demo.sh exited non-zero"; exit 1; }
line=$(grep -o 'PGPASSWORD=alice-secret psql "[^"]*"' <<<"$out") || { echo "$out"; echo "FAIL: no psql line printed"; exit 1; }
# The console and the HTTP endpoint lines work too.
console=$(grep -o 'PGPASSWORD=[^ ]* psql "host=127.0.0.1 port=[0-9]* user=postgres dbname=pgrelay"' <<<"$out") || { echo "$out"; echo "FAIL: no console line printed"; exit 1; }
got=$(eval "$console -Atqc 'SHOW NODES'" | wc -l)
[ "$got" = 3 ] || { echo "FAIL: SHOW NODES listed $got nodes (want 3)"; exit 1; }
url=$(grep -o 'curl http://[^ ]*/metrics' <<<"$out" | sed 's/^curl //') || { echo "$out"; echo "FAIL: no metrics line printed"; exit 1; }
grep -q '^pgrelay_node_up{node="primary"} 1$' <(curl -sf "$url") || { echo "FAIL: $url has no pgrelay_node_up for the primary"; exit 1; }
# A read runs on a standby, a transaction that is not read-only on the primary.
got=$(eval "$line -Atqc 'SELECT current_user, pg_is_in_recovery()'")
[ "$got" = "alice|t" ] || { echo "FAIL: a read through pgrelay returned '$got' (want a standby)"; exit 1; }
got=$(eval "$line -Atq -c BEGIN -c 'SELECT pg_is_in_recovery()' -c COMMIT")
[ "$got" = "f" ] || { echo "FAIL: a transaction through pgrelay returned '$got' (want the primary)"; exit 1; }

export PGPASSWORD=postgres
pgbench -h 127.0.0.1 -p "$PGRELAY_PORT" -U postgres -i -s 1 postgres >/dev/null 2>&1
# pgbench's first read goes to a standby: wait until the new tables have been replayed.
for _ in $(seq 50); do
    psql -h 127.0.0.1 -p "$PGRELAY_PORT" -U postgres -Atqc 'SELECT count(*) FROM pgbench_branches' postgres >/dev/null 2>&1 && break
    sleep 0.1
done
run=$(pgbench -h 127.0.0.1 -p "$PGRELAY_PORT" -U postgres -M extended -c 4 -j 2 -T 3 postgres 2>&1)
grep -q 'number of failed transactions: 0 ' <<<"$run" || { echo "$run"; echo "FAIL: pgbench had failures"; exit 1; }
echo "$run" | grep -E '^tps'

scripts/demo.sh stop
pgrep -f "$DEMO_DIR/pgrelay.toml" >/dev/null && { echo "FAIL: pgrelay still running after stop"; exit 1; }
[ ! -d "$DEMO_DIR/cluster" ] || { echo "FAIL: demo cluster left behind"; exit 1; }
echo "demo quick start OK"
