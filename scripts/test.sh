#!/usr/bin/env bash
# Builds supervisor and runs every test: unit, OS adapter and end-to-end (each end-to-end test
# once per cgroup backend: v2, v1, none), then the whole suite again under AddressSanitizer and
# UndefinedBehaviorSanitizer. Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure --timeout 180)
}

echo "== build and test"
run_suite build
echo "== build and test with ASan and UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan -DSUPERVISOR_SANITIZE=ON
