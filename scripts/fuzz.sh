#!/bin/sh
# Runs every libFuzzer target (fuzz/, docs/fuzzing.md) for SECONDS each, one after another,
# from the committed seed corpus. A finding (crash, leak, sanitizer report, broken invariant)
# stops the script with status 1 and leaves the reproducer in BUILD/fuzz-artifacts/.
#
#   scripts/fuzz.sh SECONDS [BUILD_DIR]     (default BUILD_DIR: build-fuzz)
#
# The corpus grows in BUILD/fuzz-corpus/TARGET, never in the source tree.
set -eu
seconds=${1:?usage: scripts/fuzz.sh SECONDS [BUILD_DIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$root/build-fuzz}
targets="cli notify notify_control proc pidfile listen_fds listen duration signal status user_db"

if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
  cmake -S "$root" -B "$build" -DSUPERVISOR_FUZZ=ON -DSUPERVISOR_TESTS=OFF \
    -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
cmake --build "$build" --target $(for t in $targets; do printf 'fuzz_%s ' "$t"; done) >/dev/null

mkdir -p "$build/fuzz-artifacts"
status=0
for t in $targets; do
  corpus="$build/fuzz-corpus/$t"
  mkdir -p "$corpus"
  if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$t-" "$corpus" "$root/fuzz/corpus/$t" \
      >"$build/fuzz-artifacts/$t.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-artifacts/$t.log")
    echo "fuzz_$t: ${seconds} s, ${runs:-?} runs, no finding"
  else
    echo "fuzz_$t: FINDING, see $build/fuzz-artifacts/$t.log" >&2
    status=1
  fi
done
exit $status
