#!/usr/bin/env bash
# Builds supervisor and runs every test: unit, OS adapter and end-to-end (each end-to-end test
# whose outcome depends on the cgroup backend once per backend: v2, v1, none; the others once;
# the list is in tests/CMakeLists.txt), then the integration suites under the real systemd and
# podman + runc (tests/integration), then the unit, OS and end-to-end suites again under
# AddressSanitizer and UndefinedBehaviorSanitizer, then every libFuzzer target briefly (a
# regression in a parser shows up as a finding). Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)
# The tests mostly wait on events and timers, not on the CPU: several run at once per core.
# Those that would collide say so in tests/CMakeLists.txt (RUN_SERIAL).
test_jobs=$((jobs * 4))
run_suite() {
  local dir=$1; shift
  local start=$SECONDS
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  local built=$SECONDS
  (cd "$dir" && ctest --output-on-failure --timeout 180 -j "$test_jobs")
  echo "== $dir: build $((built - start)) s, tests $((SECONDS - built)) s"
}

echo "== build and test"
run_suite build
echo "== under the real systemd and a real container runtime"
start=$SECONDS
tests/integration/run-all.sh build/supervisor
echo "== integration: $((SECONDS - start)) s"
echo "== build and test with ASan and UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan -DSUPERVISOR_SANITIZE=ON
echo "== every fuzz target for 10 s (docs/fuzzing.md; longer runs: scripts/fuzz.sh SECONDS)"
start=$SECONDS
scripts/fuzz.sh 10 build-fuzz
echo "== fuzzing: $((SECONDS - start)) s"
