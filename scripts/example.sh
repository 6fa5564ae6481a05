#!/usr/bin/env bash
# Builds supervisor and runs it on a real example: a crash-looping app restarted with backoff
# (0, 1, 2, 2 s), then an app that upgrades itself by fork+exec while the supervisor's PID
# stays the same and a signal sent to the supervisor reaches the newest process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target supervisor testapp
sup=build/supervisor
app=build/tests/testapp

echo "== 1. a crash-looping app under -c -l 2 --max-restarts=4"
"$sup" -c -l 2 --max-restarts=4 -- sh -c 'echo "app pid $$ running"; kill -SEGV $$' || \
  echo "supervisor exited with status $? (128 + SIGSEGV)"

echo
echo "== 2. an app that upgrades itself three times (USR2), then is stopped (TERM)"
"$sup" -- "$app" upgrade &
pid=$!
sleep 0.5
for i in 1 2 3; do
  echo "-- kill -USR2 $pid (the supervisor's PID, unchanged)"
  kill -USR2 "$pid"; sleep 0.5
  kill -USR1 "$pid"; sleep 0.3
done
kill -TERM "$pid"
wait "$pid" || echo "supervisor exited with status $?"
