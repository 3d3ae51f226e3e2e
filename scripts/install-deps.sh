#!/usr/bin/env bash
# Installs, with apt-get, every Debian package pgrelay needs to build, test (packaging tests
# included) and benchmark; does nothing when all are present. Idempotent; run as root or with sudo.
set -euo pipefail

packages=(
  g++ cmake make pkg-config git
  libboost1.81-dev libpq-dev libssl-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15 procps iproute2 openssl curl
  # packaging tests: systemd-analyze, dpkg-shlibdeps, lintian (podman and the base images
  # come from scripts/container-setup.sh, which tests/packaging/run.sh calls)
  systemd dpkg-dev lintian
  # promtool checks /metrics in the integration tests
  prometheus
)
if [ "${PGRELAY_BENCH_DEPS:-0}" = 1 ]; then
  packages+=(pgbouncer pgpool2)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
# Debian's postgresql package starts a cluster on 5432 on install; pgrelay's scripts
# and tests run their own clusters and never need it.
