#!/usr/bin/env bash
# Runs the supervisor under the real clients it is meant for: systemd 252 as PID 1 of an nspawn
# container (tests/integration/systemd) and podman + runc (tests/integration/container).
# Usage: tests/integration/run-all.sh path/to/supervisor
# Each suite prints "ok"/"FAIL" lines, cleans up after itself and exits non-zero on any FAIL.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sup=$(realpath "${1:?usage: run-all.sh path/to/supervisor}")
status=0
for suite in "$here"/*/run.sh; do
  [ -x "$suite" ] || continue
  name=$(basename "$(dirname "$suite")")
  start=$SECONDS
  echo "== integration: $name"
  if "$suite" "$sup"; then
    echo "== integration: $name passed in $((SECONDS - start)) s"
  else
    echo "== integration: $name FAILED after $((SECONDS - start)) s"
    status=1
  fi
done
exit $status
