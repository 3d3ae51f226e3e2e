#!/usr/bin/env bash
# Builds the pgrelay .deb with CPack from a CMake build directory (default: build, the
# optimised build of scripts/test.sh; configured if missing) and prints the package's path.
#   scripts/package-deb.sh [BUILD_DIR]        # then: lintian BUILD_DIR/pgrelay_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${JOBS:-2}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPGRELAY_WERROR=ON >/dev/null
fi
cmake --build "$build" -j"$jobs" --target pgrelay pgrelay_docs >/dev/null
rm -f "$build"/pgrelay_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
ls "$PWD/$build"/pgrelay_*.deb
