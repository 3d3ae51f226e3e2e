#!/usr/bin/env bash
# The packaged unit under a real systemd: a debian:bookworm-slim container with systemd as
# PID 1 (podman --systemd=always), the .deb installed, then `systemctl start pgrelay` must
# return with the service active (Type=notify: systemd waited for READY=1, and the sandbox
# and system-call filter let pgrelay run), pgrelay answers on its port, `systemctl reload`
# leaves it running, and `systemctl stop` ends it with status 0 and Result=success.
#   tests/packaging/systemd_test.sh PATH/pgrelay_VERSION_ARCH.deb
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$(realpath "$1")
fail() { echo "FAIL: systemd: $*" >&2; exit 1; }
command -v podman >/dev/null || fail "podman not found: run scripts/container-setup.sh"
image=localhost/pgrelay-systemd-test
name=pgrelay-systemd-test-$$
context=$(mktemp -d)
cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$context"; }
trap cleanup EXIT

cat >"$context/Containerfile" <<'IMAGE'
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd systemd-sysv >/dev/null \
 && rm -rf /var/lib/apt/lists/*
CMD ["/sbin/init"]
IMAGE
podman build -q -t "$image" "$context" >/dev/null 2>&1 || fail "building the systemd test image"
cp "$deb" "$context/"
podman run -d --name "$name" --systemd=always -v "$context:/pkg:ro" "$image" >/dev/null

port=$((20000 + RANDOM % 12000))   # the host's network: keep clear of 6432
podman exec -i "$name" bash -s "/pkg/$(basename "$deb")" "$port" <<'INSIDE' || fail "see above"
set -euo pipefail
deb=$1 port=$2
fail() { echo "FAIL: systemd (in the container): $*" >&2; journalctl -u pgrelay --no-pager | tail -20 >&2; exit 1; }
for _ in $(seq 50); do
  state=$(systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.2
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get update"; }
apt-get install -y -qq --no-install-recommends "$deb" >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get install"; }
sed -i "s/^port = 6432$/port = $port/" /etc/pgrelay/pgrelay.toml
timeout 30 systemctl start pgrelay || fail "systemctl start pgrelay"
[ "$(systemctl is-active pgrelay)" = active ] || fail "not active after start"
[ "$(systemctl show -p Type --value pgrelay)" = notify ] || fail "not Type=notify"
journalctl -u pgrelay --no-pager | grep -q 'msg="pgrelay started"' || fail "no start line in the journal"
pgrelay --ready "127.0.0.1:$port" || fail "not listening on $port"
[ "$(ps -o user= -p "$(systemctl show -p MainPID --value pgrelay)")" = pgrelay ] || fail "not running as pgrelay"
echo "ok: systemctl start: active (READY=1 received), listening, user pgrelay"
timeout 30 systemctl reload pgrelay || fail "systemctl reload pgrelay"
sleep 0.3
[ "$(systemctl is-active pgrelay)" = active ] || fail "not active after reload"
journalctl -u pgrelay --no-pager | grep -q 'configuration reloaded' || fail "SIGHUP did not reload pgrelay"
echo "ok: systemctl reload: configuration reloaded, still active"
timeout 40 systemctl stop pgrelay || fail "systemctl stop pgrelay"
[ "$(systemctl show -p Result --value pgrelay)" = success ] || fail "Result=$(systemctl show -p Result --value pgrelay)"
[ "$(systemctl show -p ExecMainStatus --value pgrelay)" = 0 ] || fail "exit status $(systemctl show -p ExecMainStatus --value pgrelay)"
echo "ok: systemctl stop: exit status 0, Result=success"
INSIDE
echo "ok: systemd"
