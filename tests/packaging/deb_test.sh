#!/usr/bin/env bash
# The .deb, checked as Debian would and installed as a user would: lintian reports no
# errors, then in a fresh debian:bookworm-slim container `apt-get install ./pgrelay_*.deb`
# (dependencies from the apt mirror), and there: pgrelay --version, the pgrelay user, the
# conffiles, --check on the packaged config, and the packaged config really starting (as
# the pgrelay user): it listens on 127.0.0.1:6432 (pgrelay --ready passes), health-checks its
# one node, 127.0.0.1:5432 (down, unless the host runs a server there), and SIGTERM ends it
# with exit code 0.
#   tests/packaging/deb_test.sh PATH/pgrelay_VERSION_ARCH.deb
set -euo pipefail
deb=$(realpath "$1")
fail() { echo "FAIL: deb: $*" >&2; exit 1; }
for tool in lintian podman dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool not found: run scripts/install-deps.sh (apt-get install lintian podman dpkg-dev)"
done

lint=$(lintian "$deb" 2>&1 | grep -v '^running with root privileges' || true)
[ -n "$lint" ] && echo "$lint"
if echo "$lint" | grep -q '^E:'; then fail "lintian reports errors"; fi
echo "ok: lintian: no errors ($(echo "$lint" | grep -c '^W:' || true) warnings)"

dpkg-deb -f "$deb" Depends | grep -q 'libpq5' || fail "Depends does not list libpq5"
dpkg-deb -c "$deb" | grep -q ' ./usr/share/man/man1/pgrelay.1.gz$' || fail "no man page"

version=$(dpkg-deb -f "$deb" Version)
podman run --rm -i -v "$deb:/tmp/$(basename "$deb"):ro" docker.io/library/debian:bookworm-slim \
  bash -s "/tmp/$(basename "$deb")" "${version%%-*}" <<'INSIDE' || fail "install test in the container failed (see above)"
set -euo pipefail
deb=$1 version=$2
fail() { echo "FAIL: deb (in the container): $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get update"; }
apt-get install -y -qq --no-install-recommends "$deb" >/tmp/apt.log 2>&1 ||
  { cat /tmp/apt.log; fail "apt-get install $deb"; }
[ "$(pgrelay --version)" = "pgrelay $version" ] || fail "pgrelay --version says '$(pgrelay --version)'"
echo "ok: installed; $(pgrelay --version)"
id pgrelay >/dev/null || fail "no pgrelay user"
[ "$(stat -c '%U:%G %a' /etc/pgrelay/users.txt)" = "root:pgrelay 640" ] ||
  fail "users.txt is $(stat -c '%U:%G %a' /etc/pgrelay/users.txt)"
grep -qx /etc/pgrelay/pgrelay.toml /var/lib/dpkg/info/pgrelay.conffiles || fail "pgrelay.toml is no conffile"
[ -f /lib/systemd/system/pgrelay.service ] || fail "no systemd unit"
[ -f /usr/share/doc/pgrelay/copyright ] || fail "no copyright file"
check=$(runuser -u pgrelay -- pgrelay --check --config /etc/pgrelay/pgrelay.toml) || fail "--check: $check"
echo "$check" | grep -qx 'nodes\[0\].host = "127.0.0.1"' || fail "packaged config: unexpected nodes: $check"
echo "ok: pgrelay --check on the packaged config"

# Containers share the host's network here: when 6432 is taken on the host, move the
# listener with the environment (which overrides the file) and say so.
port=6432
if pgrelay --ready 127.0.0.1:$port 2>/dev/null; then
  port=$((20000 + RANDOM % 12000))
  echo "note: 127.0.0.1:6432 is in use on this host; the test listens on $port (PGRELAY_LISTEN_PORT)"
fi
# setpriv execs pgrelay (runuser would stay its parent and turn SIGTERM into 143).
PGRELAY_LISTEN_PORT=$port setpriv --reuid=pgrelay --regid=pgrelay --init-groups pgrelay --config /etc/pgrelay/pgrelay.toml 2>/tmp/pgrelay.log &
pid=$!
for _ in $(seq 50); do pgrelay --ready 127.0.0.1:$port 2>/dev/null && break; sleep 0.2; done
pgrelay --ready 127.0.0.1:$port || { cat /tmp/pgrelay.log; fail "the packaged config does not listen on 127.0.0.1:$port"; }
for _ in $(seq 50); do grep -q 'node=local' /tmp/pgrelay.log && break; sleep 0.2; done
grep -q 'node=local' /tmp/pgrelay.log || { cat /tmp/pgrelay.log; fail "no health check of the local node logged"; }
kill -TERM "$pid"
code=0; wait "$pid" || code=$?
[ "$code" = 0 ] || { cat /tmp/pgrelay.log; fail "exit code $code after SIGTERM"; }
echo "ok: the packaged config starts, listens on 127.0.0.1:$port, checks its node, exits 0 on SIGTERM"
INSIDE
echo "ok: deb"
