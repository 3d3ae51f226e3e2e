#!/usr/bin/env bash
# The test command: installs what is missing, builds everything with warnings as errors,
# runs the unit tests under ASan+UBSan, then the whole suite (unit and integration against
# real PostgreSQL clusters) on the optimised build, then the packaging tests (systemd unit,
# .deb, container image: tests/packaging/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=${JOBS:-2}

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPGRELAY_SANITIZE=ON -DPGRELAY_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs" --target pgrelay_protocol_tests pgrelay_health_tests pgrelay_proxy_tests
# Unit tests only: the demo test (scripts/demo.sh) configures its build directory as
# RelWithDebInfo, so it runs below, on the optimised build, instead of rebuilding this one.
ctest --test-dir build-asan -E '^(integration|demo_quick_start)$' -j"$jobs" --output-on-failure

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPGRELAY_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
if ! ctest --test-dir build -j"$jobs" --output-on-failure; then
    # The suite's output is long; end with each failed assertion and what follows it, so the
    # last lines of a log say why.
    echo "==== failed assertions (build/Testing/Temporary/LastTest.log) ===="
    grep -a -A12 -E ': Failure$' build/Testing/Temporary/LastTest.log | head -300 || true
    exit 1
fi

tests/packaging/run.sh build
