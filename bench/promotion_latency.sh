#!/usr/bin/env bash
# Measures how fast pgrelay's health checker sees a promotion: for N fresh clusters
# (primary + 1 standby), runs pgrelay with a check interval, calls pg_promote() on the
# standby and times from its return to pgrelay's promotion_seen event. Prints each time and
# the median. Usage: bench/promotion_latency.sh [N=10] [INTERVAL_SECONDS=0.25]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
interval=${2:-0.25}
bin=${PGRELAY_BIN:-build/proxy/pgrelay}
[ -x "$bin" ] || { echo "build pgrelay first (cmake --build build --target pgrelay)" >&2; exit 1; }
work=$(mktemp -d /tmp/pgrelay-promote.XXXXXX)
chmod 755 "$work"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    scripts/cluster.sh destroy "$work/cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
PATH=/usr/lib/postgresql/15/bin:$PATH

ms_now() { date +%s%3N; }
ts_to_ms() { date -d "$1" +%s%3N; }

times=()
for i in $(seq "$runs"); do
    scripts/cluster.sh destroy "$work/cluster" >/dev/null 2>&1 || true
    scripts/cluster.sh start "$work/cluster" --standbys 1 >/dev/null 2>&1
    # shellcheck source=/dev/null
    source "$work/cluster/cluster.env"
    echo '"postgres" "postgres"' >"$work/users.txt"
    cat >"$work/pgrelay.toml" <<CONFIG
[listen]
port = 0
[auth]
method = "trust"
users_file = "users.txt"
[health]
interval = $interval
user = "postgres"
password = "postgres"
[[nodes]]
name = "primary"
host = "127.0.0.1"
port = $PRIMARY_PORT
[[nodes]]
name = "standby1"
host = "127.0.0.1"
port = $STANDBY1_PORT
CONFIG
    sed -i 's/^port = 0$/port = '"$((40000 + RANDOM % 20000))"'/' "$work/pgrelay.toml"
    "$bin" --config "$work/pgrelay.toml" >"$work/pgrelay.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q 'event=promotion_seen node=primary' "$work/pgrelay.log" && break; sleep 0.05; done
    PGPASSWORD=postgres psql -h 127.0.0.1 -p "$STANDBY1_PORT" -U postgres -Atqc 'SELECT pg_promote()' >/dev/null
    promoted=$(ms_now)
    seen=
    for _ in $(seq 200); do
        line=$(grep 'event=promotion_seen node=standby1' "$work/pgrelay.log" || true)
        if [ -n "$line" ]; then
            seen=$(ts_to_ms "$(sed -E 's/^ts=([^ ]+).*/\1/' <<<"$line")")
            break
        fi
        sleep 0.05
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    [ -n "$seen" ] || { echo "run $i: promotion not seen within 10 s" >&2; cat "$work/pgrelay.log" >&2; exit 1; }
    d=$((seen - promoted))
    [ "$d" -lt 0 ] && d=0  # seen before pg_promote() returned (it waits for the end of recovery)
    times+=("$d")
    echo "run $i: ${d} ms"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
n=${#sorted[@]}
if [ $((n % 2)) -eq 1 ]; then median=${sorted[$((n / 2))]}; else median=$(((sorted[n / 2 - 1] + sorted[n / 2]) / 2)); fi
echo "median time from pg_promote() returning to promotion_seen: ${median} ms over $n runs (interval ${interval} s)"
