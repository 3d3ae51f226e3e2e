#!/usr/bin/env bash
# The packaging tests, run by scripts/test.sh after the main suite (they need root, podman
# and a few minutes): the systemd unit (systemd-analyze verify), the .deb (built with CPack
# from BUILD_DIR, lintian, installed into a fresh debian:bookworm-slim container), the
# installed unit under a real systemd (start, reload, stop) and the sidecar image (built, run
# in front of a test cluster, psql, healthcheck, podman stop).
#   tests/packaging/run.sh [BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
[ "$(id -u)" -eq 0 ] || { echo "FAIL: packaging tests: run as root (podman, apt-get in containers)" >&2; exit 1; }
started=$(date +%s)
step() { echo "== packaging: $* ($(($(date +%s) - started)) s)"; }

step "container base images"
scripts/container-setup.sh

step "systemd unit"
tests/packaging/verify_systemd_unit.sh

step ".deb"
deb=$(scripts/package-deb.sh "$build")
tests/packaging/deb_test.sh "$deb"

step "the unit under systemd"
tests/packaging/systemd_test.sh "$deb"

step "sidecar image"
tests/packaging/image_test.sh

step "all packaging tests passed"
