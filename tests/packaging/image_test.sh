#!/usr/bin/env bash
# The sidecar image end to end: podman build packaging/docker/Dockerfile, check it adds at most
# 30 MB to debian:bookworm-slim and runs as a non-root user, then run it (--network host) in
# front of a local test cluster configured by PGRELAY_* variables only: psql through it, its
# HEALTHCHECK (pgrelay --ready, which asks the HTTP endpoint's /readyz) passes, /readyz and
# /topology answer, a bad variable makes it exit non-zero naming the variable, and `podman stop`
# ends it with exit code 0 well within the stop timeout.
#   tests/packaging/image_test.sh          (as root; scripts/container-setup.sh first)
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: image: $*" >&2; exit 1; }
# GET http://127.0.0.1:PORT/PATH with bash's /dev/tcp (no curl needed): the whole answer.
http_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
  cat <&3
  exec 3<&-
}
for tool in podman psql; do
  command -v "$tool" >/dev/null || fail "$tool not found: run scripts/install-deps.sh (podman, postgresql-client-15)"
done
image=localhost/pgrelay:test
base=docker.io/library/debian:bookworm-slim
name=pgrelay-image-test-$$
cluster_dir=$(mktemp -d /tmp/pgrelay-image-test.XXXXXX)
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  scripts/cluster.sh destroy "$cluster_dir" >/dev/null 2>&1 || true
  rm -rf "$cluster_dir"
}
trap cleanup EXIT

started=$(date +%s)
podman build --format docker -q -t "$image" -f packaging/docker/Dockerfile . >/dev/null || fail "podman build failed"
echo "ok: podman build ($(($(date +%s) - started)) s)"

size=$(podman image inspect --format '{{.Size}}' "$image")
base_size=$(podman image inspect --format '{{.Size}}' "$base")
added=$(( (size - base_size) / 1000000 ))
echo "image: $((size / 1000000)) MB, base $((base_size / 1000000)) MB, added $added MB"
[ "$added" -le 30 ] || fail "the image adds $added MB to $base (at most 30 MB)"
user=$(podman image inspect --format '{{.Config.User}}' "$image")
case "$user" in ""|0|0:*|root|root:*) fail "the image runs as root (USER '$user')" ;; esac
echo "ok: image adds $added MB (<= 30), runs as user $user"

# A bad variable: non-zero exit, the variable named.
code=0
out=$(podman run --rm --network host -e PGRELAY_NODES=127.0.0.1:1 -e PGRELAY_USERS=a:b \
        -e PGRELAY_LISTEN_PORT=abc "$image" 2>&1) || code=$?
[ "$code" != 0 ] || fail "a bad PGRELAY_LISTEN_PORT did not stop the container"
echo "$out" | grep -q 'PGRELAY_LISTEN_PORT (listen.port): must be an integer' ||
  fail "the error does not name the variable: $out"
echo "ok: a bad variable stops the container (exit $code) naming PGRELAY_LISTEN_PORT"

scripts/cluster.sh start "$cluster_dir" >/dev/null
# shellcheck disable=SC1091
. "$cluster_dir/cluster.env"
port=$((20000 + RANDOM % 12000))
http_port=$((port + 1))
podman run -d --name "$name" --network host \
  -e PGRELAY_LISTEN_ADDRESS=127.0.0.1 -e PGRELAY_LISTEN_PORT="$port" \
  -e PGRELAY_HTTP_ADDRESS=127.0.0.1 -e PGRELAY_HTTP_PORT="$http_port" \
  -e PGRELAY_NODES="primary=127.0.0.1:$PRIMARY_PORT,standby1=127.0.0.1:$STANDBY1_PORT,standby2=127.0.0.1:$STANDBY2_PORT" \
  -e PGRELAY_USERS="postgres:postgres,alice:alice-secret" \
  -e PGRELAY_HEALTH_PASSWORD=postgres \
  "$image" >/dev/null 2>"$cluster_dir/podman-run.err" || { cat "$cluster_dir/podman-run.err"; fail "podman run"; }
# (podman complains that it cannot add a systemd timer for the periodic health check when
# systemd is not PID 1; `podman healthcheck run` below runs the check itself.)

healthy=no
for _ in $(seq 50); do
  if podman healthcheck run "$name" >/dev/null 2>&1; then healthy=yes; break; fi
  sleep 0.2
done
[ "$healthy" = yes ] || { podman logs "$name"; fail "the HEALTHCHECK (pgrelay --ready) never passed"; }
echo "ok: HEALTHCHECK passes"
podman exec "$name" /usr/bin/pgrelay --ready "http://127.0.0.1:$http_port/readyz" ||
  fail "pgrelay --ready http://127.0.0.1:$http_port/readyz failed in the container"
readyz=$(http_get "$http_port" /readyz) || fail "GET /readyz failed"
case "$readyz" in "HTTP/1.1 200 "*) ;; *) fail "GET /readyz answered: $readyz" ;; esac
topology=$(http_get "$http_port" /topology) || fail "GET /topology failed"
echo "$topology" | grep -q '"primary":"primary"' || fail "GET /topology has no primary: $topology"
echo "ok: /readyz is 200, /topology names the primary"
[ "$(podman exec "$name" id -u)" != 0 ] || fail "pgrelay runs as root in the container"

answer=$(PGPASSWORD=alice-secret PGCONNECT_TIMEOUT=10 psql -X -At -h 127.0.0.1 -p "$port" -U alice -d app \
           -c 'SELECT 40 + 2') || { podman logs "$name"; fail "psql through the container failed"; }
[ "$answer" = 42 ] || fail "psql through the container answered '$answer'"
echo "ok: psql through the container"

started=$(date +%s%N)
podman stop -t 20 "$name" >/dev/null 2>"$cluster_dir/podman-stop.err"
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || { podman logs "$name"; fail "exit code $code after podman stop"; }
[ "$took_ms" -lt 10000 ] || fail "podman stop took $took_ms ms (SIGTERM not handled?)"
podman logs "$name" 2>&1 | grep -q 'signal=SIGTERM' || fail "no SIGTERM in the log"
echo "ok: podman stop: exit code 0 after $took_ms ms"
echo "ok: image"
