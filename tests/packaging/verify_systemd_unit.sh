#!/usr/bin/env bash
# systemd-analyze verify on packaging/systemd/pgrelay.service, the way it will be installed:
# inside a scratch root holding the system's own units, the unit at /lib/systemd/system and
# an executable /usr/bin/pgrelay (a stub: verify checks that the ExecStart= program exists,
# and this machine need not have pgrelay installed). Man pages are not looked up (--man=no;
# the .deb test checks pgrelay(1)). Then a broken copy must fail, so a verify that passes
# everything is noticed.   Usage: tests/packaging/verify_systemd_unit.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v systemd-analyze >/dev/null || {
  echo "verify_systemd_unit: systemd-analyze not found: install the systemd package (scripts/install-deps.sh)" >&2
  exit 1
}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/bin" "$root/lib/systemd"
cp -a /lib/systemd/system "$root/lib/systemd/"
printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/pgrelay"
chmod 755 "$root/usr/bin/pgrelay"
cp /bin/kill "$root/bin/kill"
unit=packaging/systemd/pgrelay.service

cp "$unit" "$root/lib/systemd/system/pgrelay.service"
if ! out=$(systemd-analyze verify --man=no --root="$root" pgrelay.service 2>&1) || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify $unit:" >&2
  echo "$out" >&2
  exit 1
fi
echo "ok: systemd-analyze verify $unit"

# The check must be able to fail: a missing program and an unknown directive.
sed -e 's|^ExecStart=/usr/bin/pgrelay|ExecStart=/usr/bin/pgrelay-missing|' -e 's|^NoNewPrivileges=|NoNewPrivilegez=|' \
  "$unit" >"$root/lib/systemd/system/pgrelay.service"
if out=$(systemd-analyze verify --man=no --root="$root" pgrelay.service 2>&1) && [ -z "$out" ]; then
  echo "FAIL: systemd-analyze verify accepted a broken unit" >&2
  exit 1
fi
echo "ok: a broken unit is rejected"
