#!/usr/bin/env bash
# Local PostgreSQL 15 test cluster for the demo and the integration tests: a primary and N
# streaming hot standbys on free loopback ports under DIR, the test roles (alice/scram,
# bob/md5, trusty/trust) and database `app`; servers run unprivileged (`postgres` for root).
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SUPERUSER=postgres
SUPERPASSWORD=postgres
DEFAULT_DIR=/tmp/pgrelay-cluster
MARKER=.pgrelay-cluster  # only directories holding this file are ever removed by `destroy`
PORT_MIN=20000           # below the kernel's ephemeral range, so port-0 binds never collide
PORT_MAX=32000

usage() {
    cat <<EOF
usage: $0 start [DIR] [--standbys N]   create (if missing) and start primary + N standbys (default 2)
       $0 stop [DIR]                   stop all servers (fast)
       $0 destroy [DIR]                stop all servers and remove DIR
       $0 status [DIR]                 show servers, ports and replication
DIR defaults to $DEFAULT_DIR. DIR/cluster.env is shell-sourceable (ports, PGHOST, superuser).
EOF
}

log() { echo "cluster.sh: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# --- running commands as the server user ----------------------------------------------------

if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user"
    as_pg() { (cd / && runuser -u postgres -- env PATH="$PGBIN:$PATH" "$@"); }
    RUN_USER=postgres
else
    as_pg() { env PATH="$PGBIN:$PATH" "$@"; }
    RUN_USER=$(id -un)
fi

# psql as a client over TCP (the caller's user; only the server processes need postgres).
sql() {
    local port=$1
    shift
    PGPASSWORD=$SUPERPASSWORD "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At -h 127.0.0.1 \
        -p "$port" -U "$SUPERUSER" -d postgres "$@"
}

# --- directory layout -------------------------------------------------------------------------

# DIR/primary, DIR/standbyI: data directories; DIR/run: unix sockets; DIR/log: server logs;
# DIR/cluster.env: ports. A node directory is complete once it holds .pgrelay-ready.
node_dir() { echo "$DIR/$1"; }
node_ready() { [ -f "$DIR/$1/.pgrelay-ready" ]; }
node_port() { [ -f "$DIR/$1/.pgrelay-port" ] && cat "$DIR/$1/.pgrelay-port" || true; }

# Lets the server user reach DIR: every parent must be traversable (o+x).
make_traversable() {
    local d
    d=$(dirname "$1")
    while [ "$d" != "/" ]; do
        if [ "$(stat -c %U "$d")" != "$RUN_USER" ] && ! runuser -u "$RUN_USER" -- test -x "$d" 2>/dev/null; then
            chmod o+x "$d"
        fi
        d=$(dirname "$d")
    done
}

# The pid of the postmaster running on data directory $1, or nothing. The postmaster
# chdir()s into its data directory, which identifies it reliably (a pid file left by a
# killed server may name a zombie or a process that reused the pid).
postmaster_pid() {
    local data=$1 pid
    [ -f "$data/postmaster.pid" ] || return 0
    pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$data" ] &&
        ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
        echo "$pid"
    fi
}

# Pids of the live processes whose working directory is $1 (a postmaster and its children).
processes_in() {
    find /proc/[0-9]*/cwd -maxdepth 0 -lname "$1" 2>/dev/null | while IFS=/ read -r _ _ pid _; do
        grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || echo "$pid"
    done | tr '\n' ' '
}

# Leftovers of a server killed without a shutdown: its children (they exit only when they
# notice), its pid file and its socket lock file, each of which would block a new start.
clear_leftovers() {
    local name=$1 data pids deadline lockf lockpid
    data=$(node_dir "$name")
    deadline=$((SECONDS + 10))
    while pids=$(processes_in "$data") && [ -n "$pids" ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "processes of $name do not exit: $pids"
        # shellcheck disable=SC2086 # one argument per pid
        kill -9 $pids 2>/dev/null || true
        sleep 0.05
    done
    rm -f "$data/postmaster.pid"
    lockf="$DIR/run/.s.PGSQL.$(node_port "$name").lock"
    if [ -f "$lockf" ]; then
        lockpid=$(head -n1 "$lockf" 2>/dev/null || true)
        if ! [[ "$lockpid" =~ ^[0-9]+$ ]] || [ "$(readlink "/proc/$lockpid/cwd" 2>/dev/null)" != "$data" ]; then
            rm -f "$lockf" "${lockf%.lock}"
        fi
    fi
}

# Any socket on the port (listening, or connections in TIME_WAIT) makes it a poor pick for a
# new node; only a listener makes it unusable for an existing one.
port_in_use() { [ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]; }
port_listened() { [ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]; }

# A free loopback port not in use and not already taken by another node of this cluster.
pick_port() {
    local p taken=" ${*:-} " i
    for i in $(seq 1 200); do
        p=$((PORT_MIN + RANDOM % (PORT_MAX - PORT_MIN)))
        [[ "$taken" == *" $p "* ]] && continue
        port_in_use "$p" || {
            echo "$p"
            return 0
        }
    done
    die "no free port found in $PORT_MIN-$PORT_MAX"
}

all_ports() {
    local n
    for n in primary $(standby_names); do node_port "$n"; done | tr '\n' ' '
}

standby_names() {
    local i
    for i in $(seq 1 "$STANDBYS"); do echo "standby$i"; done
}

# Writes (or rewrites) the node's port into its configuration. Later lines of
# postgresql.conf override earlier ones, so appending is enough.
set_port() {
    local name=$1 port=$2
    echo "$port" >"$DIR/$name/.pgrelay-port"
    echo "port = $port" >>"$DIR/$name/postgresql.conf"
}

# A standby follows the primary's current port through primary_conninfo, which
# pg_basebackup -R wrote into postgresql.auto.conf.
point_standby_at_primary() {
    local name=$1 slot=$1 auto="$DIR/$1/postgresql.auto.conf" pport
    pport=$(node_port primary)
    sed -i '/^primary_conninfo/d;/^primary_slot_name/d' "$auto"
    cat >>"$auto" <<EOF
primary_conninfo = 'host=127.0.0.1 port=$pport user=$SUPERUSER password=$SUPERPASSWORD application_name=$name'
primary_slot_name = '$slot'
EOF
}

# A running standby whose primary moved to another port re-reads primary_conninfo.
follow_primary() {
    local name=$1 auto="$DIR/$1/postgresql.auto.conf"
    grep -q "port=$(node_port primary) " "$auto" && return 0
    point_standby_at_primary "$name"
    as_pg pg_ctl -D "$(node_dir "$name")" -s reload >/dev/null
}

# Starts a node unless it runs already; if its port was taken meanwhile, moves it to another.
start_node() {
    local name=$1 data logf
    data=$(node_dir "$name")
    logf="$DIR/log/$name.log"
    [ -n "$(postmaster_pid "$data")" ] && return 0
    clear_leftovers "$name"
    for _ in 1 2 3; do
        if port_listened "$(node_port "$name")"; then
            set_port "$name" "$(pick_port "$(all_ports)")"
        fi
        [ "$name" != primary ] && point_standby_at_primary "$name"
        if as_pg pg_ctl -D "$data" -l "$logf" -w -t 60 -s start >/dev/null; then
            return 0
        fi
        if tail -n 20 "$logf" | grep -q "could not bind\|Address already in use"; then
            log "$name: port $(node_port "$name") taken, retrying on another port"
            set_port "$name" "$(pick_port "$(all_ports)")"
            continue
        fi
        tail -n 20 "$logf" >&2
        die "$name failed to start (log: $logf)"
    done
    die "$name failed to start: no usable port"
}

stop_node() {
    local name=$1 mode=$2 data
    data=$(node_dir "$name")
    [ -d "$data" ] || return 0
    if [ -n "$(postmaster_pid "$data")" ]; then
        as_pg pg_ctl -D "$data" -m "$mode" -w -t 60 -s stop >/dev/null ||
            [ -z "$(postmaster_pid "$data")" ] || die "could not stop $name"
    fi
    clear_leftovers "$name"
}

# --- creating nodes ---------------------------------------------------------------------------

create_primary() {
    local data port pwfile
    data=$(node_dir primary)
    stop_node primary immediate
    rm -rf "$data"
    port=$(pick_port)
    pwfile="$DIR/.pwfile"
    echo "$SUPERPASSWORD" >"$pwfile"
    [ "$RUN_USER" = "$(id -un)" ] || chown "$RUN_USER" "$pwfile"
    as_pg initdb -D "$data" -U "$SUPERUSER" --pwfile="$pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-sync >"$DIR/log/initdb.log" 2>&1 ||
        {
            cat "$DIR/log/initdb.log" >&2
            die "initdb failed"
        }
    rm -f "$pwfile"
    cat >>"$data/postgresql.conf" <<EOF

# --- pgrelay test cluster (scripts/cluster.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/run'
password_encryption = 'scram-sha-256'
wal_level = replica
hot_standby = on
max_wal_senders = 10
max_replication_slots = 10
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 200ms
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
EOF
    # First match wins: trusty is trusted, bob's stored password is MD5 (an md5 line also
    # accepts SCRAM secrets, but a scram-sha-256 line rejects MD5 ones), everyone else SCRAM.
    cat >"$data/pg_hba.conf" <<EOF
# TYPE  DATABASE     USER      ADDRESS        METHOD
host    all          trusty    127.0.0.1/32   trust
host    all          bob       127.0.0.1/32   md5
local   all          all                      scram-sha-256
host    all          all       127.0.0.1/32   scram-sha-256
host    replication  all       127.0.0.1/32   scram-sha-256
EOF
    set_port primary "$port"
    start_node primary
    sql "$port" <<'EOF'
SET password_encryption = 'scram-sha-256';
CREATE ROLE alice LOGIN PASSWORD 'alice-secret';
CREATE ROLE trusty LOGIN PASSWORD 'trusty-secret';
SET password_encryption = 'md5';
CREATE ROLE bob LOGIN PASSWORD 'bob-secret';
CREATE DATABASE app OWNER alice;
EOF
    touch "$data/.pgrelay-ready"
}

create_standby() {
    local name=$1 data pport
    data=$(node_dir "$name")
    stop_node "$name" immediate
    rm -rf "$data"
    pport=$(node_port primary)
    sql "$pport" -c "SELECT pg_drop_replication_slot('$name') FROM pg_replication_slots WHERE slot_name = '$name'" >/dev/null
    sql "$pport" -c "SELECT pg_create_physical_replication_slot('$name', true)" >/dev/null
    as_pg env PGPASSWORD="$SUPERPASSWORD" pg_basebackup -h 127.0.0.1 -p "$pport" -U "$SUPERUSER" \
        -D "$data" -R -S "$name" -X stream -c fast --no-sync >"$DIR/log/$name-basebackup.log" 2>&1 ||
        {
            cat "$DIR/log/$name-basebackup.log" >&2
            die "pg_basebackup for $name failed"
        }
    rm -f "$data/.pgrelay-ready" "$data/.pgrelay-port"
    set_port "$name" "$(pick_port "$(all_ports)")"
    touch "$data/.pgrelay-ready"
}

write_env() {
    local tmp="$DIR/cluster.env.tmp" i=0 n
    {
        echo "# written by scripts/cluster.sh; source it"
        echo "CLUSTER_DIR=$DIR"
        echo "PGBIN=$PGBIN"
        echo "PGHOST=127.0.0.1"
        echo "PG_SUPERUSER=$SUPERUSER"
        echo "PG_SUPERPASSWORD=$SUPERPASSWORD"
        echo "PRIMARY_PORT=$(node_port primary)"
        echo "STANDBY_COUNT=$STANDBYS"
        for n in $(standby_names); do
            i=$((i + 1))
            echo "STANDBY${i}_PORT=$(node_port "$n")"
        done
    } >"$tmp"
    mv "$tmp" "$DIR/cluster.env"
}

wait_streaming() {
    local pport want got=0 deadline
    pport=$(node_port primary)
    want=$STANDBYS
    deadline=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$deadline" ]; do
        got=$(sql "$pport" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || echo 0)
        [ "$got" -ge "$want" ] && return 0
        sleep 0.1
    done
    die "only $got of $want standbys streaming after 60 s (logs: $DIR/log)"
}

# --- commands ---------------------------------------------------------------------------------

existing_standbys() {
    local n=0
    while [ -d "$DIR/standby$((n + 1))" ]; do n=$((n + 1)); done
    echo "$n"
}

cmd_start() {
    local t0=$SECONDS name
    mkdir -p "$DIR"
    DIR=$(readlink -f "$DIR")
    [ -n "$(ls -A "$DIR")" ] && [ ! -f "$DIR/$MARKER" ] && die "$DIR is not empty and not a pgrelay cluster"
    touch "$DIR/$MARKER"
    mkdir -p "$DIR/run" "$DIR/log"
    if [ "$RUN_USER" != "$(id -un)" ]; then
        make_traversable "$DIR"
        chown -R "$RUN_USER": "$DIR"
    fi
    chmod 0755 "$DIR"
    [ -z "$STANDBYS" ] && { [ -d "$DIR/primary" ] && STANDBYS=$(existing_standbys) || STANDBYS=2; }

    node_ready primary || create_primary
    start_node primary
    for name in $(standby_names); do
        node_ready "$name" || create_standby "$name"
        start_node "$name"
        follow_primary "$name"
    done
    [ "$RUN_USER" != "$(id -un)" ] && chown -R "$RUN_USER": "$DIR/log" 2>/dev/null || true
    wait_streaming
    write_env
    echo "primary   127.0.0.1:$(node_port primary)"
    for name in $(standby_names); do
        echo "$name  127.0.0.1:$(node_port "$name")"
    done
    log "cluster up in $((SECONDS - t0)) s; env: $DIR/cluster.env"
}

cmd_stop() {
    local mode=${1:-fast} name
    [ -d "$DIR" ] || return 0
    STANDBYS=$(existing_standbys)
    for name in $(standby_names); do stop_node "$name" "$mode"; done
    stop_node primary "$mode"
}

cmd_destroy() {
    [ -e "$DIR" ] || return 0
    DIR=$(readlink -f "$DIR")
    [ -f "$DIR/$MARKER" ] || [ -z "$(ls -A "$DIR")" ] ||
        die "$DIR does not look like a pgrelay cluster (no $MARKER); not removing it"
    cmd_stop immediate
    rm -rf "$DIR"
}

cmd_status() {
    local name pid port rc=0
    [ -d "$DIR/primary" ] || {
        echo "no cluster in $DIR"
        return 3
    }
    STANDBYS=$(existing_standbys)
    for name in primary $(standby_names); do
        pid=$(postmaster_pid "$(node_dir "$name")")
        port=$(node_port "$name")
        if [ -n "$pid" ]; then
            printf '%-10s 127.0.0.1:%-6s running (pid %s)\n' "$name" "$port" "$pid"
        else
            printf '%-10s 127.0.0.1:%-6s stopped\n' "$name" "$port"
            rc=3
        fi
    done
    if [ -n "$(postmaster_pid "$(node_dir primary)")" ]; then
        echo "replication:"
        sql "$(node_port primary)" -F ' ' -c \
            "SELECT application_name, state, replay_lsn FROM pg_stat_replication ORDER BY 1" |
            sed 's/^/  /' || true
    fi
    return $rc
}

[ $# -ge 1 ] || {
    usage >&2
    exit 2
}
COMMAND=$1
shift
DIR=$DEFAULT_DIR
STANDBYS=
while [ $# -gt 0 ]; do
    case $1 in
    --standbys)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || die "--standbys needs a number"
        STANDBYS=$2
        shift 2
        ;;
    --standbys=*)
        STANDBYS=${1#--standbys=}
        [[ "$STANDBYS" =~ ^[0-9]+$ ]] || die "--standbys needs a number"
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*) die "unknown option $1" ;;
    *)
        DIR=$1
        shift
        ;;
    esac
done

[ -d "$DIR" ] && DIR=$(readlink -f "$DIR")
case $COMMAND in
start) cmd_start ;;
stop) cmd_stop fast ;;
destroy) cmd_destroy ;;
status) cmd_status ;;
-h | --help | help) usage ;;
*)
    usage >&2
    exit 2
    ;;
esac
