#!/usr/bin/env bash
# The quick start in one command: installs what is missing, builds pgrelay, starts a local
# PostgreSQL 15 primary with two streaming hot standbys and pgrelay in front of them, and
# prints how to connect. `scripts/demo.sh stop` stops it all. State lives in $DEMO_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
DEMO_DIR=${DEMO_DIR:-/tmp/pgrelay-demo}
PORT=${PGRELAY_PORT:-6432}
ADMIN_PORT=$((PORT + 1))
HTTP_PORT=$((PORT + 2))
BUILD_DIR=${BUILD_DIR:-$root/build}

stop_pgrelay() {
    if [ -f "$DEMO_DIR/pgrelay.pid" ]; then
        local pid
        pid=$(cat "$DEMO_DIR/pgrelay.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$DEMO_DIR/pgrelay.pid"
    fi
}

if [ "${1:-}" = stop ]; then
    stop_pgrelay
    [ -d "$DEMO_DIR/cluster" ] && scripts/cluster.sh destroy "$DEMO_DIR/cluster"
    exit 0
fi

scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" --target pgrelay -j2

mkdir -p "$DEMO_DIR"
chmod 755 "$DEMO_DIR"
scripts/cluster.sh start "$DEMO_DIR/cluster"
# shellcheck source=/dev/null
source "$DEMO_DIR/cluster/cluster.env"

cat > "$DEMO_DIR/users.txt" <<USERS
"alice" "alice-secret"
"bob" "bob-secret"
"postgres" "$PG_SUPERPASSWORD"
USERS
cat > "$DEMO_DIR/pgrelay.toml" <<CONFIG
# Written by scripts/demo.sh. Reference: docs/configuration.md
[listen]
address = "127.0.0.1"
port = $PORT

[admin]
port = $ADMIN_PORT
users = ["postgres"]

[http]
port = $HTTP_PORT

[auth]
method = "scram-sha-256"
users_file = "users.txt"

[pool]
pool_mode = "transaction"

[routing]
mode = "auto"

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

stop_pgrelay
"$BUILD_DIR/proxy/pgrelay" --check --config "$DEMO_DIR/pgrelay.toml" >/dev/null
nohup "$BUILD_DIR/proxy/pgrelay" --config "$DEMO_DIR/pgrelay.toml" >"$DEMO_DIR/pgrelay.log" 2>&1 &
echo $! >"$DEMO_DIR/pgrelay.pid"
for _ in $(seq 50); do
    if PGPASSWORD=alice-secret psql "host=127.0.0.1 port=$PORT user=alice dbname=app" -Atqc 'select 1' >/dev/null 2>&1; then
        cat <<DONE

pgrelay is running on 127.0.0.1:$PORT in front of a primary (port $PRIMARY_PORT) and two
hot standbys (ports $STANDBY1_PORT, $STANDBY2_PORT), in transaction pooling mode with
read/write splitting. Connect with:

  PGPASSWORD=alice-secret psql "host=127.0.0.1 port=$PORT user=alice dbname=app"

and see where statements run: SELECT inet_server_port(); reads land on the standbys,
writes and BEGIN ... COMMIT blocks on the primary.

Admin console (SHOW NODES, SHOW POOLS, SHOW STATS, SWITCHOVER TO standby1, ...):

  PGPASSWORD=$PG_SUPERPASSWORD psql "host=127.0.0.1 port=$ADMIN_PORT user=postgres dbname=pgrelay"

Metrics and health: curl http://127.0.0.1:$HTTP_PORT/metrics (also /readyz, /topology)

Logs: $DEMO_DIR/pgrelay.log   Config: $DEMO_DIR/pgrelay.toml   Stop: scripts/demo.sh stop
DONE
        exit 0
    fi
    sleep 0.2
done
echo "demo: pgrelay did not come up; its log:" >&2
cat "$DEMO_DIR/pgrelay.log" >&2
exit 1
