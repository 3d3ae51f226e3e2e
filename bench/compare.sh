#!/usr/bin/env bash
# Whole-proxy benchmark: on one local cluster (primary + 2 streaming standbys, scripts/cluster.sh)
# runs pgbench against the primary directly, pgrelay, PgBouncer and Pgpool-II, interleaved
# (each repetition visits every target in turn, so machine noise spreads evenly), and prints
# the median TPS per workload and target and the ratios of pgrelay to the others.
# Reference: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- options ------------------------------------------------------------------------------------

DURATION=10
CLIENTS=8
JOBS=2
REPS=3
SCALE=10
TARGETS=direct,pgrelay,pgbouncer,pgpool
WORKLOADS=select,rw,connect
AUTH=scram
CLIENT_TLS=
MARKDOWN=
LOGS=
PGRELAY_BIN=${PGRELAY_BIN:-build/proxy/pgrelay}
PGRELAY_BASE_BIN=${PGRELAY_BASE_BIN:-}
PGRELAY_ROUTING=${PGRELAY_ROUTING:-auto}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

ALL_TARGETS=(direct pgrelay pgbouncer pgpool pgrelay_base)
ALL_WORKLOADS=(select rw connect prepared prepared-sets)
INSTALL_HINT="install with PGRELAY_BENCH_DEPS=1 scripts/install-deps.sh"

usage() {
    cat <<EOF
usage: $0 [options]
  --time S            seconds per pgbench run (default $DURATION)
  --clients N         pgbench clients, -c (default $CLIENTS)
  --jobs J            pgbench threads, -j (default $JOBS)
  --reps R            repetitions; the median is reported (default $REPS)
  --scale S           pgbench -i scale factor (default $SCALE)
  --targets LIST      comma-separated, from: ${ALL_TARGETS[*]} (default $TARGETS)
  --workloads LIST    comma-separated, from: ${ALL_WORKLOADS[*]} (default $WORKLOADS)
                        select   pgbench -S      (one SELECT per transaction)
                        rw       pgbench         (TPC-B-like read-write)
                        connect  pgbench -S -C   (a new connection per transaction)
                        prepared pgbench -M prepared (TPC-B-like, protocol-level prepared)
                        prepared-sets  the same, each client carrying 3 session settings
                                 (startup options); half the clients with other values
                                 than the other half, so server connections change hands
                                 between two sessions and pgrelay replays settings
  --auth MODE         how clients log in to every target (default $AUTH):
                        scram         SCRAM-SHA-256; the proxies hold the plaintext password
                        scram-secret  SCRAM-SHA-256; pgrelay and pgbouncer hold PostgreSQL's
                                      SCRAM secret instead (pgpool cannot: plaintext)
                        trust         no password anywhere (pg_hba.conf trusts postgres)
  --client-tls        clients speak TLS to pgrelay and PgBouncer (a self-signed certificate
                      made with openssl; pgrelay client_tls = "require", PgBouncer
                      client_tls_sslmode = require; pgbench with PGSSLMODE=require there,
                      plain to the other targets)
  --markdown FILE     also write the result tables as markdown to FILE
  --logs DIR          keep the logs (proxies, pgbench output, configs) in DIR
Environment: PGRELAY_BIN (default build/proxy/pgrelay), PGBIN (default $PGBIN),
PGRELAY_BASE_BIN (another pgrelay build, e.g. of an earlier commit, run as the target
pgrelay_base with the same configuration; the pgrelay_base target is skipped without it),
PGRELAY_ROUTING (pgrelay's [routing] mode: auto, primary or standby; default auto:
reads on the two standbys, writes on the primary; pgrelay runs in transaction mode).
EOF
}

log() { echo "compare.sh: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}
loud() {
    {
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!!! WARNING: $*"
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    } >&2
}
is_uint() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }

while [ $# -gt 0 ]; do
    opt=$1
    case $opt in
    --*=*)
        set -- "${opt%%=*}" "${opt#*=}" "${@:2}"
        continue
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    --client-tls)
        CLIENT_TLS=1
        shift
        continue
        ;;
    --time | --clients | --jobs | --reps | --scale | --targets | --workloads | --auth | --markdown | --logs)
        [ $# -ge 2 ] || die "$opt needs a value"
        val=$2
        shift 2
        ;;
    *)
        usage >&2
        die "unknown argument $opt"
        ;;
    esac
    case $opt in
    --time) DURATION=$val ;;
    --clients) CLIENTS=$val ;;
    --jobs) JOBS=$val ;;
    --reps) REPS=$val ;;
    --scale) SCALE=$val ;;
    --targets) TARGETS=$val ;;
    --workloads) WORKLOADS=$val ;;
    --auth) AUTH=$val ;;
    --markdown) MARKDOWN=$val ;;
    --logs) LOGS=$val ;;
    esac
done
for v in DURATION CLIENTS JOBS REPS SCALE; do
    is_uint "${!v}" || die "--$(tr '[:upper:]' '[:lower:]' <<<"$v" | sed 's/duration/time/') must be a positive integer, got '${!v}'"
done
[ "$JOBS" -le "$CLIENTS" ] || JOBS=$CLIENTS
case $AUTH in scram | scram-secret | trust) ;; *) die "--auth must be scram, scram-secret or trust, got '$AUTH'" ;; esac

# Splits a comma-separated list into the array named $1, checking each item against $3...
parse_list() {
    local -n out=$1
    local list=$2 item
    local -a items
    shift 2
    out=()
    IFS=, read -r -a items <<<"$list"
    for item in "${items[@]}"; do
        [[ " $* " == *" $item "* ]] || die "unknown item '$item' (expected one of: $*)"
        [[ " ${out[*]} " == *" $item "* ]] || out+=("$item")
    done
    [ ${#out[@]} -gt 0 ] || die "empty list"
}
targets=()
workloads=()
parse_list targets "$TARGETS" "${ALL_TARGETS[@]}"
parse_list workloads "$WORKLOADS" "${ALL_WORKLOADS[@]}"

PGBENCH=$PGBIN/pgbench
PSQL=$PGBIN/psql
[ -x "$PGBENCH" ] || die "no pgbench at $PGBENCH (scripts/install-deps.sh installs postgresql-client-15)"
export PGPASSWORD=postgres PGCONNECT_TIMEOUT=10
DB=bench

# Targets that cannot run are skipped, each with a note that is printed now and with the results.
declare -A SKIPPED=()
skip_target() {
    SKIPPED[$1]=$2
    loud "skipping $1: $2"
}
for t in "${targets[@]}"; do
    case $t in
    pgrelay) [ -x "$PGRELAY_BIN" ] || skip_target pgrelay "no executable at $PGRELAY_BIN (cmake --build build --target pgrelay, or set PGRELAY_BIN)" ;;
    pgrelay_base) [ -n "$PGRELAY_BASE_BIN" ] && [ -x "$PGRELAY_BASE_BIN" ] || skip_target pgrelay_base "set PGRELAY_BASE_BIN to another pgrelay build to compare with" ;;
    pgbouncer) command -v pgbouncer >/dev/null || skip_target pgbouncer "pgbouncer is not installed; $INSTALL_HINT" ;;
    pgpool) command -v pgpool >/dev/null || skip_target pgpool "pgpool2 is not installed; $INSTALL_HINT" ;;
    esac
done
active=()
for t in "${targets[@]}"; do [ -n "${SKIPPED[$t]:-}" ] || active+=("$t"); done
[ ${#active[@]} -gt 0 ] || die "no target left to benchmark"

# PgBouncer and Pgpool-II refuse to run as root, and PostgreSQL (cluster.sh) runs as `postgres`
# then: the proxies run as that user too, from files it can read.
if [ "$(id -u)" -eq 0 ]; then
    SVC_USER=postgres
    AS_SVC=(runuser -u postgres --)
else
    SVC_USER=$(id -un)
    AS_SVC=()
fi

# --- work directory, processes and cleanup -------------------------------------------------------

WORK=$(mktemp -d /tmp/pgrelay-compare.XXXXXX)
chmod 755 "$WORK"
CLUSTER=$WORK/cluster
declare -A SVC_PID=()  # target -> pid of its process group leader (started with setsid)

# Stops a process group started by start_service: TERM, then KILL after 10 s.
stop_group() {
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    for i in $(seq 100); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? t
    trap - EXIT INT TERM
    for t in "${!SVC_PID[@]}"; do stop_group "${SVC_PID[$t]}"; done
    if [ -n "$LOGS" ] && [ -d "$WORK" ]; then
        mkdir -p "$LOGS"
        local dest
        dest=$(readlink -f "$LOGS")
        # Logs, configs and pgbench output; not the data directories, not the password files.
        (cd "$WORK" && find . -path ./cluster/primary -prune -o -path './cluster/standby*' -prune -o \
            -type f \( -name '*.log' -o -name '*.toml' -o -name '*.ini' -o -name '*.conf' -o -name '*.txt' \) \
            ! -name users.txt ! -name userlist.txt -exec cp --parents {} "$dest" \;) 2>/dev/null || true
        log "logs kept in $LOGS"
    fi
    scripts/cluster.sh destroy "$CLUSTER" >/dev/null 2>&1 || log "could not destroy the cluster in $CLUSTER"
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

# A loopback port nobody uses (not even a TIME_WAIT connection), outside the ephemeral range.
declare -A PICKED=()
pick_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 12000))
        [ -z "${PICKED[$p]:-}" ] && [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ] && {
            PICKED[$p]=1
            echo "$p"
            return 0
        }
    done
    die "no free port found"
}

# Starts "$@" in its own session (so Ctrl-C on the terminal does not reach it and its whole
# process tree can be stopped by group id), output to $2's log.
start_service() {
    local target=$1 logf=$2
    shift 2
    setsid "$@" >"$logf" 2>&1 </dev/null &
    SVC_PID[$target]=$!
}

psql_at() {
    local port=$1
    shift
    "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

# Waits until a query through the port works; dies with the service's log otherwise.
wait_serving() {
    local target=$1 port=$2 logf=$3
    for _ in $(seq 300); do
        psql_at "$port" -d "$DB" -c 'SELECT 1' >/dev/null 2>&1 && return 0
        kill -0 "${SVC_PID[$target]}" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 30 "$logf" >&2 || true
    die "$target does not serve queries on port $port (log above: $logf)"
}

# --- the cluster --------------------------------------------------------------------------------

log "starting the cluster in $CLUSTER"
scripts/cluster.sh start "$CLUSTER" >/dev/null
# shellcheck source=/dev/null
source "$CLUSTER/cluster.env"
[ "${STANDBY_COUNT:-0}" -ge 2 ] || die "the cluster has no two standbys"
NODE_PORTS=("$PRIMARY_PORT" "$STANDBY1_PORT" "$STANDBY2_PORT")
NODE_NAMES=(primary standby1 standby2)

psql_at "$PRIMARY_PORT" -d postgres -c "CREATE DATABASE $DB"
log "pgbench -i -s $SCALE"
"$PGBENCH" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -i -s "$SCALE" -q "$DB" >"$WORK/pgbench-init.log" 2>&1 ||
    {
        cat "$WORK/pgbench-init.log" >&2
        die "pgbench -i failed"
    }

# Waits (up to 60 s) until both standbys have replayed everything the primary has written, so
# a run neither reads missing tables on a standby nor shares the CPU with replay of the last one.
wait_replayed() {
    local lag
    for _ in $(seq 600); do
        lag=$(psql_at "$PRIMARY_PORT" -d postgres -c "SELECT count(*) FILTER (WHERE replay_lsn = pg_current_wal_lsn())
            || ' ' || count(*) FROM pg_stat_replication")
        [ "$lag" = "2 2" ] && return 0
        sleep 0.1
    done
    loud "standbys have not caught up with the primary after 60 s ($lag replayed/streaming)"
}

# What pgbench does before a run unless -n, done on the primary for every target alike
# (a proxy should not be timed vacuuming), then a checkpoint and standbys catching up.
prepare_run() {
    psql_at "$PRIMARY_PORT" -d "$DB" -c 'VACUUM pgbench_branches' -c 'VACUUM pgbench_tellers' \
        -c 'TRUNCATE pgbench_history' -c 'CHECKPOINT' >/dev/null
    wait_replayed
}

# Client authentication. SECRET is what the proxies' users files hold for postgres.
SECRET=postgres
if [ "$AUTH" = trust ]; then
    # First match wins: put a trust line for postgres over TCP on top of every node's
    # pg_hba.conf (rewritten in place, so it keeps its owner) and reload.
    for i in 0 1 2; do
        hba=$CLUSTER/${NODE_NAMES[$i]}/pg_hba.conf
        { echo "host all postgres 127.0.0.1/32 trust"; cat "$hba"; } >"$WORK/hba.tmp"
        cat "$WORK/hba.tmp" >"$hba"
        psql_at "${NODE_PORTS[$i]}" -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
    done
    rm -f "$WORK/hba.tmp"
    sleep 0.5
    env -u PGPASSWORD "$PSQL" -X -w -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null ||
        die "the trust line in pg_hba.conf does not work"
elif [ "$AUTH" = scram-secret ]; then
    SECRET=$(psql_at "$PRIMARY_PORT" -d postgres -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'")
    [[ "$SECRET" == SCRAM-SHA-256\$* ]] || die "postgres has no SCRAM secret in pg_authid"
fi
[ "$AUTH" = trust ] && AUTH_METHOD=trust || AUTH_METHOD=scram-sha-256
wait_replayed

# --- targets: one config function and one start function each ----------------------------------

declare -A PORT=([direct]=$PRIMARY_PORT)

# The pgrelay configuration; the place to grow when pgrelay grows (pool_mode, routing, ...).
# Everything not set here takes its default (docs/configuration.md).
pgrelay_config() {
    local dir=$1 port=$2 i
    printf '"postgres" "%s"\n' "$SECRET" >"$dir/users.txt"
    cat <<EOF
[general]
workers = 2
max_client_conn = 1000
log_level = "info"

[listen]
address = "127.0.0.1"
port = $port

[auth]
method = "$AUTH_METHOD"
users_file = "users.txt"

[health]
user = "postgres"
password = "postgres"

[pool]
pool_mode = "transaction"
default_pool_size = $((CLIENTS > 20 ? CLIENTS : 20))

[routing]
mode = "$PGRELAY_ROUTING"
EOF
    if [ -n "$CLIENT_TLS" ]; then
        printf '\n[tls]\nclient_tls = "require"\nclient_tls_cert_file = "%s"\nclient_tls_key_file = "%s"\n' \
            "$WORK/tls/server.crt" "$WORK/tls/server.key"
    fi
    for i in 0 1 2; do
        printf '\n[[nodes]]\nname = "%s"\nhost = "127.0.0.1"\nport = %s\n' "${NODE_NAMES[$i]}" "${NODE_PORTS[$i]}"
    done
}

# start_pgrelay_as TARGET BINARY: pgrelay's configuration, run by BINARY.
start_pgrelay_as() {
    local target=$1 bin=$2 dir=$WORK/$1 port
    mkdir -p "$dir"
    port=$(pick_port)
    pgrelay_config "$dir" "$port" >"$dir/pgrelay.toml"
    "$bin" --check --config "$dir/pgrelay.toml" >"$dir/check.txt" 2>&1 ||
        {
            cat "$dir/check.txt" >&2
            die "$target rejects its configuration"
        }
    start_service "$target" "$dir/pgrelay.log" "$bin" --config "$dir/pgrelay.toml"
    PORT[$target]=$port
    wait_serving "$target" "$port" "$dir/pgrelay.log"
}
start_pgrelay() { start_pgrelay_as pgrelay "$PGRELAY_BIN"; }
start_pgrelay_base() { start_pgrelay_as pgrelay_base "$PGRELAY_BASE_BIN"; }

# PgBouncer in transaction pooling mode in front of the primary; one server connection per
# client is allowed (default_pool_size >= clients), so no client ever waits for one.
pgbouncer_config() {
    local dir=$1 port=$2
    cat <<EOF
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
pidfile = $dir/pgbouncer.pid
auth_type = $AUTH_METHOD
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = $((CLIENTS > 20 ? CLIENTS : 20))
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
EOF
    if [ -n "$CLIENT_TLS" ]; then
        printf 'client_tls_sslmode = require\nclient_tls_cert_file = %s\nclient_tls_key_file = %s\n' \
            "$WORK/tls/server.crt" "$WORK/tls/server.key"
    fi
}

start_pgbouncer() {
    local dir=$WORK/pgbouncer port
    mkdir -p "$dir"
    port=$(pick_port)
    printf '"postgres" "%s"\n' "$SECRET" >"$dir/userlist.txt"
    pgbouncer_config "$dir" "$port" >"$dir/pgbouncer.ini"
    chown -R "$SVC_USER" "$dir"
    chmod 600 "$dir/userlist.txt"
    start_service pgbouncer "$dir/pgbouncer.log" "${AS_SVC[@]}" pgbouncer "$dir/pgbouncer.ini"
    PORT[pgbouncer]=$port
    wait_serving pgbouncer "$port" "$dir/pgbouncer.log"
}

# Pgpool-II in streaming-replication mode, load balancing reads (per session) over the primary
# and both standbys with equal weights. No failover: a node marked down mid-run would skew
# the numbers instead of failing loudly, so backends are DISALLOW_TO_FAILOVER and backend
# errors do not detach them. Clients authenticate with SCRAM from pool_passwd (TEXT prefix:
# pgpool needs the plaintext to log in to several backends with SCRAM).
pgpool_config() {
    local dir=$1 port=$2 pcp_port=$3 i
    cat <<EOF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $port
socket_dir = '$dir'
pcp_listen_addresses = ''
pcp_port = $pcp_port
pcp_socket_dir = '$dir'
pid_file_name = '$dir/pgpool.pid'
logdir = '$dir'
log_destination = 'stderr'
logging_collector = off
log_connections = off
wd_ipc_socket_dir = '$dir'
use_watchdog = off
memory_cache_enabled = off

enable_pool_hba = off
pool_passwd = '$dir/pool_passwd'
allow_clear_text_frontend_auth = off

num_init_children = $((CLIENTS * 2 > 32 ? CLIENTS * 2 : 32))
max_pool = 1
connection_cache = on
child_life_time = 0
connection_life_time = 0
client_idle_limit = 0

load_balance_mode = on
statement_level_load_balance = off
disable_load_balance_on_write = 'transaction'
delay_threshold = 0

sr_check_period = 5
sr_check_user = 'postgres'
sr_check_password = 'postgres'
sr_check_database = 'postgres'
health_check_period = 5
health_check_user = 'postgres'
health_check_password = 'postgres'
health_check_database = 'postgres'
failover_command = ''
failover_on_backend_error = off
failover_on_backend_shutdown = off
EOF
    for i in 0 1 2; do
        cat <<EOF

backend_hostname$i = '127.0.0.1'
backend_port$i = ${NODE_PORTS[$i]}
backend_weight$i = 1
backend_flag$i = 'DISALLOW_TO_FAILOVER'
backend_application_name$i = '${NODE_NAMES[$i]}'
EOF
    done
}

# `SHOW pool_nodes` as "node_id role status select_cnt" lines (columns found by name).
pool_nodes() {
    "$PSQL" -X -q --csv -h 127.0.0.1 -p "${PORT[pgpool]}" -U postgres -d "$DB" -c 'SHOW pool_nodes' |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                 { print $c["node_id"], $c["role"], $c["status"], $c["select_cnt"] }'
}

start_pgpool() {
    local dir=$WORK/pgpool port pcp_port nodes before after
    mkdir -p "$dir"
    port=$(pick_port)
    pcp_port=$(pick_port)
    echo 'postgres:TEXTpostgres' >"$dir/pool_passwd"
    : >"$dir/pcp.conf"
    echo "host all all 127.0.0.1/32 $AUTH_METHOD" >"$dir/pool_hba.conf"
    pgpool_config "$dir" "$port" "$pcp_port" >"$dir/pgpool.conf"
    chown -R "$SVC_USER" "$dir"
    chmod 600 "$dir/pool_passwd"
    # -n: no daemon; -D: ignore a saved node status; -f/-F/-a: our files, not /etc/pgpool2's.
    start_service pgpool "$dir/pgpool.log" "${AS_SVC[@]}" pgpool -n -D -f "$dir/pgpool.conf" \
        -F "$dir/pcp.conf" -a "$dir/pool_hba.conf"
    PORT[pgpool]=$port
    wait_serving pgpool "$port" "$dir/pgpool.log"

    # Do not trust its numbers before seeing it knows the roles and sends reads to standbys.
    for _ in $(seq 100); do
        nodes=$(pool_nodes 2>/dev/null || true)
        [ "$(grep -c ' up ' <<<"$nodes")" -eq 3 ] && grep -q ' primary up ' <<<"$nodes" && break
        sleep 0.2
    done
    if ! grep -q '^0 primary up ' <<<"$nodes" || [ "$(grep -c ' standby up ' <<<"$nodes")" -ne 2 ]; then
        log "SHOW pool_nodes:"
        echo "$nodes" >&2
        die "pgpool does not see node 0 as primary and nodes 1, 2 as standbys, all up (log: $dir/pgpool.log)"
    fi
    before=$(awk '$2 == "standby" { s += $4 } END { print s + 0 }' <<<"$nodes")
    "$PGBENCH" -h 127.0.0.1 -p "$port" -U postgres -n -S -T 2 -c "$CLIENTS" -j "$JOBS" "$DB" >"$dir/check-pgbench.log" 2>&1 ||
        {
            cat "$dir/check-pgbench.log" >&2
            die "pgbench -S through pgpool fails"
        }
    nodes=$(pool_nodes)
    after=$(awk '$2 == "standby" { s += $4 } END { print s + 0 }' <<<"$nodes")
    if [ "$after" -le "$before" ]; then
        loud "pgpool sent no SELECT to a standby (load balancing is not working); SHOW pool_nodes:"
        echo "$nodes" >&2
        PGPOOL_NOTE="pgpool did NOT load balance in the start-up check"
    fi
    log "pgpool load balances: SHOW pool_nodes (node role status select_cnt): $(tr '\n' ';' <<<"$nodes")"
}

if [ -n "$CLIENT_TLS" ]; then
    log "client TLS: a self-signed certificate for 127.0.0.1"
    mkdir -p "$WORK/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls/server.key" \
        -out "$WORK/tls/server.crt" >/dev/null 2>&1 || die "openssl could not make a certificate"
    chmod 644 "$WORK/tls/server.key" # the proxies may run as the postgres user
fi
for t in "${active[@]}"; do
    [ "$t" = direct ] && continue
    log "starting $t"
    "start_$t"
done
PGPOOL_NOTE=${PGPOOL_NOTE:-}

# --- runs ---------------------------------------------------------------------------------------

declare -A WL_FLAGS=([select]="-S" [rw]="" [connect]="-S -C" [prepared]="-M prepared"
    [prepared-sets]="-M prepared")
# prepared-sets: two groups of clients, each with its own three settings.
SETS_A="-c work_mem=8MB -c statement_timeout=60s -c search_path=public"
SETS_B="-c work_mem=16MB -c statement_timeout=90s -c search_path=public,pg_catalog"
declare -A TPS=() LAT=() FAILED=() ABORTED=()  # "workload/target" -> space-separated per run

# The sslmode pgbench uses towards a target: require where --client-tls set TLS up.
sslmode_for() {
    case "$CLIENT_TLS/$1" in
    1/pgrelay | 1/pgrelay_base | 1/pgbouncer) echo require ;;
    *) echo disable ;;
    esac
}

# One pgbench run; records tps, average latency, failed transactions and aborted clients.
run_one() {
    local w=$1 t=$2 tag=$3 out rc=0 tps lat failed aborted
    local -x PGSSLMODE
    PGSSLMODE=$(sslmode_for "$t")
    local -a flags
    read -r -a flags <<<"${WL_FLAGS[$w]}"
    out=$WORK/runs/$w-$t-$tag.log
    mkdir -p "$WORK/runs"
    if [ "$w" = prepared-sets ]; then
        # Two pgbench processes side by side, half the clients each; their figures are summed.
        local half=$(((CLIENTS + 1) / 2)) jobs=$(((JOBS + 1) / 2)) rc_b=0
        PGOPTIONS=$SETS_A "$PGBENCH" -h 127.0.0.1 -p "${PORT[$t]}" -U postgres -n "${flags[@]}" \
            -T "$DURATION" -c "$half" -j "$jobs" "$DB" >"$out.a" 2>&1 &
        local pid_a=$!
        PGOPTIONS=$SETS_B "$PGBENCH" -h 127.0.0.1 -p "${PORT[$t]}" -U postgres -n "${flags[@]}" \
            -T "$DURATION" -c "$half" -j "$jobs" "$DB" >"$out.b" 2>&1 || rc_b=$?
        wait "$pid_a" || rc=$?
        [ "$rc_b" -eq 0 ] || rc=$rc_b
        cat "$out.a" "$out.b" >"$out"
    else
        "$PGBENCH" -h 127.0.0.1 -p "${PORT[$t]}" -U postgres -n "${flags[@]}" -T "$DURATION" \
            -c "$CLIENTS" -j "$JOBS" "$DB" >"$out" 2>&1 || rc=$?
    fi
    tps=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$out" | awk '{ s += $1 } END { if (NR) print s }')
    lat=$(sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p' "$out" | awk '{ s += $1 } END { if (NR) print s / NR }')
    failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$out" | awk '{ s += $1 } END { if (NR) print s }')
    aborted=$(grep -c 'aborted' "$out" || true)
    [ "$rc" -eq 0 ] || aborted=$((aborted > 0 ? aborted : 1))
    [ -n "$tps" ] || tps=0
    [ -n "$lat" ] || lat=0
    [ -n "$failed" ] || failed=0
    [ "$tag" = warmup ] && return 0
    TPS[$w/$t]+="$tps "
    LAT[$w/$t]+="$lat "
    FAILED[$w/$t]=$((${FAILED[$w/$t]:-0} + failed))
    ABORTED[$w/$t]=$((${ABORTED[$w/$t]:-0} + aborted))
    printf 'compare.sh: [rep %s/%s] %-8s %-10s %10.1f tps  %7.3f ms' "$tag" "$REPS" "$w" "$t" "$tps" "$lat" >&2
    if [ "$failed" -ne 0 ] || [ "$aborted" -ne 0 ]; then
        printf '  FAILED %s, errors %s (pgbench exit %s)\n' "$failed" "$aborted" "$rc" >&2
        loud "$w on $t: $failed failed transactions, $aborted error lines/aborted clients; pgbench said:"
        grep -iE 'error|abort|fatal|failed' "$out" | head -n 10 >&2 || true
    else
        echo >&2
    fi
}

log "warm-up: pgbench -S for 2 s on each target"
for t in "${active[@]}"; do
    prepare_run
    DURATION=2 run_one select "$t" warmup
done

# Round-robin: every repetition runs each workload on every target in turn, starting each
# repetition at the next target so no target always follows the same one.
nt=${#active[@]}
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
    for w in "${workloads[@]}"; do
        for k in $(seq 0 $((nt - 1))); do
            t=${active[$(((k + rep - 1) % nt))]}
            prepare_run
            run_one "$w" "$t" "$rep"
        done
    done
done

# --- results ------------------------------------------------------------------------------------

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
med_tps() {
    local -a v
    read -r -a v <<<"${TPS[$1/$2]:-}"
    [ ${#v[@]} -gt 0 ] && median "${v[@]}"
}
ratio() {
    local a b
    a=$(med_tps "$1" pgrelay || true)
    b=$(med_tps "$1" "$2" || true)
    if [ -n "$a" ] && [ -n "$b" ]; then awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; else echo "n/a"; fi
}
fmt_tps() { if [ -n "$1" ]; then printf '%.0f' "$1"; else echo "-"; fi; }

# Rows as tab-separated fields; the first row is the header.
summary_rows() {
    local w t row
    row="workload"
    for t in "${ALL_TARGETS[@]}"; do row+=$'\t'"$t"; done
    echo "$row"$'\tpgrelay/direct\tpgrelay/pgbouncer\tpgrelay/pgpool\tpgrelay/pgrelay_base'
    for w in "${workloads[@]}"; do
        row=$w
        for t in "${ALL_TARGETS[@]}"; do
            if [ -n "${SKIPPED[$t]:-}" ]; then row+=$'\tskipped'; else row+=$'\t'$(fmt_tps "$(med_tps "$w" "$t" || true)"); fi
        done
        echo "$row"$'\t'"$(ratio "$w" direct)"$'\t'"$(ratio "$w" pgbouncer)"$'\t'"$(ratio "$w" pgpool)"$'\t'"$(ratio "$w" pgrelay_base)"
    done
}
detail_rows() {
    local w t lat runs
    local -a l
    printf 'workload\ttarget\tmedian tps\ttps per rep\tmedian latency ms\tfailed tx\terrors\n'
    for w in "${workloads[@]}"; do
        for t in "${active[@]}"; do
            read -r -a l <<<"${LAT[$w/$t]:-}"
            lat=$(median "${l[@]}")
            runs=$(for v in ${TPS[$w/$t]:-}; do printf '%.0f ' "$v"; done)
            printf '%s\t%s\t%s\t%s\t%.3f\t%s\t%s\n' "$w" "$t" "$(fmt_tps "$(med_tps "$w" "$t")")" \
                "${runs% }" "$lat" "${FAILED[$w/$t]:-0}" "${ABORTED[$w/$t]:-0}"
        done
    done
}
as_text() { column -t -s $'\t'; }
as_markdown() {
    awk -F'\t' '{ line = "|"; for (i = 1; i <= NF; i++) line = line " " $i " |"; print line
                  if (NR == 1) { line = "|"; for (i = 1; i <= NF; i++) line = line (i == 1 ? "---|" : "--:|"); print line } }'
}

total_bad=0
for k in "${!FAILED[@]}"; do total_bad=$((total_bad + FAILED[$k] + ABORTED[$k])); done

pgrelay_version() {
    if [ -n "${PORT[pgrelay]:-}" ]; then
        echo "$("$PGRELAY_BIN" --version) ($PGRELAY_BIN built $(date -u -r "$PGRELAY_BIN" '+%Y-%m-%d %H:%M UTC'), tree at $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
    else
        echo "pgrelay not run"
    fi
}
notes() {
    local t
    echo "Settings: pgbench -T $DURATION -c $CLIENTS -j $JOBS, scale $SCALE, $REPS repetitions interleaved round-robin; median TPS; --auth $AUTH${CLIENT_TLS:+; clients use TLS (sslmode=require) to pgrelay and PgBouncer}."
    echo "Machine: $(nproc) cores ($(lscpu | sed -nE 's/^Model name: +//p' | head -n1)); PostgreSQL, the proxies and pgbench share them; load average $LOAD_START before the runs, $LOAD_END after."
    echo "Versions: $("$PGBIN/postgres" --version); $(pgrelay_version)$([ -n "${PORT[pgbouncer]:-}" ] && echo "; $(pgbouncer --version | head -n1)")$([ -n "${PORT[pgpool]:-}" ] && echo "; $(pgpool --version 2>&1 | head -n1)")."
    for t in "${targets[@]}"; do
        [ -n "${SKIPPED[$t]:-}" ] && echo "SKIPPED $t: ${SKIPPED[$t]}"
    done
    [ -n "$PGPOOL_NOTE" ] && echo "WARNING: $PGPOOL_NOTE"
    if [ -n "${PORT[pgpool]:-}" ]; then
        echo "pgpool SHOW pool_nodes at the end (node role status select_cnt): $(pool_nodes 2>/dev/null | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
    fi
    if [ "$total_bad" -ne 0 ]; then
        echo "WARNING: $total_bad failed transactions or errors: numbers with failures are not comparable."
    else
        echo "Failed transactions: 0 on every run."
    fi
    return 0
}

{
    echo
    echo "== median TPS (higher is better) and pgrelay's ratios =="
    summary_rows | as_text
    echo
    echo "== per target =="
    detail_rows | as_text
    echo
    notes
} | tee "$WORK/results.txt"

if [ -n "$MARKDOWN" ]; then
    {
        summary_rows | as_markdown
        echo
        detail_rows | as_markdown
        echo
        notes | sed 's/^/- /'
    } >"$MARKDOWN"
    log "markdown written to $MARKDOWN"
fi

if [ -n "${PORT[pgrelay]:-}" ] && grep -qE 'level=(warning|error)' "$WORK/pgrelay/pgrelay.log"; then
    loud "pgrelay logged $(grep -cE 'level=(warning|error)' "$WORK/pgrelay/pgrelay.log") warnings/errors; the first ones:"
    grep -E 'level=(warning|error)' "$WORK/pgrelay/pgrelay.log" | head -n 20 >&2
fi
if [ "$total_bad" -ne 0 ]; then
    loud "$total_bad failed transactions or errors during the runs (see the per-target table)"
    exit 1
fi
