#!/usr/bin/env bash
# How long a /metrics scrape takes with many clients connected: on a local cluster
# (scripts/cluster.sh), pgrelay with its HTTP endpoint holds N idle client connections (pgbench
# clients that only sleep), and curl scrapes /metrics R times; prints the median, the slowest
# and the body size, next to the same with no client connected.
# usage: bench/metrics_scrape.sh [--clients N] [--scrapes R]   (PGRELAY_BIN, default build/proxy/pgrelay)
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=1000
SCRAPES=20
PGRELAY_BIN=${PGRELAY_BIN:-build/proxy/pgrelay}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
while [ $# -gt 0 ]; do
    case $1 in
    --clients) CLIENTS=$2; shift 2 ;;
    --scrapes) SCRAPES=$2; shift 2 ;;
    *) echo "usage: $0 [--clients N] [--scrapes R]" >&2; exit 2 ;;
    esac
done
[ -x "$PGRELAY_BIN" ] || { echo "no pgrelay at $PGRELAY_BIN (cmake --build build --target pgrelay)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed (apt-get install curl)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/pgrelay-scrape.XXXXXX)
chmod 755 "$WORK"
RELAY_PID=
BENCH_PID=
cleanup() {
    [ -n "$BENCH_PID" ] && kill "$BENCH_PID" 2>/dev/null
    [ -n "$RELAY_PID" ] && kill -INT "$RELAY_PID" 2>/dev/null
    wait 2>/dev/null || true
    scripts/cluster.sh destroy "$WORK/cluster" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

scripts/cluster.sh start "$WORK/cluster" >/dev/null
# shellcheck source=/dev/null
source "$WORK/cluster/cluster.env"
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
pick_port() { local p; while p=$((20000 + RANDOM % 12000)); ! port_free "$p"; do :; done; echo "$p"; }
PORT=$(pick_port)
HTTP_PORT=$(pick_port)
cat >"$WORK/users.txt" <<USERS
"alice" "alice-secret"
"postgres" "$PG_SUPERPASSWORD"
USERS
cat >"$WORK/pgrelay.toml" <<CONFIG
[general]
max_client_conn = $((CLIENTS + 100))
[listen]
port = $PORT
[auth]
users_file = "users.txt"
[http]
port = $HTTP_PORT
[[nodes]]
name = "primary"
host = "127.0.0.1"
port = $PRIMARY_PORT
[[nodes]]
name = "standby1"
host = "127.0.0.1"
port = $STANDBY1_PORT
[[nodes]]
name = "standby2"
host = "127.0.0.1"
port = $STANDBY2_PORT
CONFIG
ulimit -n $((CLIENTS * 2 + 1024))
"$PGRELAY_BIN" --config "$WORK/pgrelay.toml" 2>"$WORK/pgrelay.log" &
RELAY_PID=$!
URL=http://127.0.0.1:$HTTP_PORT/metrics
for _ in $(seq 50); do curl -sf "$URL" >/dev/null && break; sleep 0.2; done

# R scrapes: "median_ms max_ms bytes".
scrape() {
    local i times=()
    for i in $(seq "$SCRAPES"); do
        times+=("$(curl -sf -o "$WORK/body" -w '%{time_total}' "$URL")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v bytes="$(wc -c <"$WORK/body")" \
        '{ t[NR] = $1 * 1000 } END { printf "%.2f %.2f %d\n", t[int((NR + 1) / 2)], t[NR], bytes }'
}
read -r idle_median idle_max idle_bytes < <(scrape)

echo '\sleep 600 s' >"$WORK/sleep.sql"
PGPASSWORD=alice-secret "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PORT" -U alice -c "$CLIENTS" -j 2 \
    -T 600 -f "$WORK/sleep.sql" app >"$WORK/pgbench.log" 2>&1 &
BENCH_PID=$!
connected=0
for _ in $(seq 300); do
    connected=$(curl -sf "$URL" | awk '/^pgrelay_clients\{state="idle"\}/ { print $2 }')
    [ "${connected:-0}" -ge "$CLIENTS" ] && break
    sleep 0.2
done
[ "${connected:-0}" -ge "$CLIENTS" ] || { echo "only ${connected:-0} of $CLIENTS clients connected" >&2; tail "$WORK/pgbench.log" >&2; exit 1; }
read -r busy_median busy_max busy_bytes < <(scrape)

echo "/metrics scrape, $SCRAPES times each (median / slowest, body size):"
echo "  no client connected:     ${idle_median} ms / ${idle_max} ms, ${idle_bytes} bytes"
echo "  $connected clients connected: ${busy_median} ms / ${busy_max} ms, ${busy_bytes} bytes"
