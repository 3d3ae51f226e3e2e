#!/usr/bin/env bash
# Measures the CPU the health checker costs: pgrelay idle in front of a primary and two
# standbys, checking every node every INTERVAL seconds for DURATION seconds; prints the
# process CPU time (user+system) as a share of one core.
# Usage: bench/checker_cpu.sh [DURATION_SECONDS=30] [INTERVAL_SECONDS=0.1]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-30}
interval=${2:-0.1}
bin=${PGRELAY_BIN:-build/proxy/pgrelay}
work=$(mktemp -d /tmp/pgrelay-cpu.XXXXXX)
chmod 755 "$work"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    scripts/cluster.sh destroy "$work/cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
scripts/cluster.sh start "$work/cluster" >/dev/null 2>&1
# shellcheck source=/dev/null
source "$work/cluster/cluster.env"
echo '"postgres" "postgres"' >"$work/users.txt"
cat >"$work/pgrelay.toml" <<CONFIG
[listen]
port = $((40000 + RANDOM % 20000))
[auth]
method = "trust"
users_file = "users.txt"
[health]
interval = $interval
password = "postgres"
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
"$bin" --config "$work/pgrelay.toml" >"$work/pgrelay.log" 2>&1 &
pid=$!
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$duration"
t1=$(ticks)
checks=$(awk -v d="$duration" -v i="$interval" 'BEGIN { printf "%d", 3 * d / i }')
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v d="$duration" -v n="$checks" 'BEGIN {
    cpu = (b - a) / hz
    printf "pgrelay CPU over %d s with 3 nodes checked every %s: %.2f s = %.2f%% of one core (~%.0f us per check)\n",
           d, "'"$interval"' s", cpu, 100 * cpu / d, 1e6 * cpu / n }'
