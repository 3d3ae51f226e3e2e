#!/usr/bin/env bash
# Makes `podman build` / `podman run` work on a machine without a container registry: the
# base images debian:bookworm-slim (and debian:bookworm, the same image) are built locally
# with debootstrap from the Debian mirror that apt already uses. Used by the packaging tests
# (tests/packaging/run.sh). Idempotent; about one minute the first time. Run as root.
#   scripts/container-setup.sh        # then: podman build -t pgrelay -f packaging/docker/Dockerfile .
# Containers share the host network (no CNI here), so publish no ports: a container
# listens on 127.0.0.1 directly. Limits inside: nofile 16384, nproc 1000.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for p in podman runc debootstrap; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p /etc/containers
if ! grep -q 'runtime = "runc"' /etc/containers/containers.conf 2>/dev/null; then
  cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=1000:1000"]
netns = "host"
[engine]
runtime = "runc"
CONF
fi
if ! podman image exists docker.io/library/debian:bookworm-slim; then
  mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
           | grep -oE 'https?://[^ ]+' | head -1 || true)
  [ -n "$mirror" ] || { echo "no Debian mirror found in apt sources" >&2; exit 1; }
  root=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
  rm -rf "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | podman import -q - docker.io/library/debian:bookworm-slim >/dev/null
  podman tag docker.io/library/debian:bookworm-slim docker.io/library/debian:bookworm
  rm -rf "$root"
fi
podman run --rm docker.io/library/debian:bookworm-slim true && echo "containers ready: podman $(podman --version | awk '{print $3}'), base image debian:bookworm-slim"
