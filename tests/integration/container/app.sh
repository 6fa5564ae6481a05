#!/bin/sh
# The test app (busybox sh), /bin/app in the image: reports each signal it gets on stdout (which
# `podman logs` shows), exits $APP_EXIT on TERM, or with IGNORE_TERM set, ignores TERM.
for s in HUP USR1 USR2 INT QUIT; do trap "echo app: got $s" "$s"; done
if [ -n "${IGNORE_TERM:-}" ]; then
  trap 'echo app: ignoring TERM' TERM
else
  trap 'echo app: got TERM; exit ${APP_EXIT:-0}' TERM
fi
echo "app: started pid $$ uid $(id -u 2>/dev/null)"
while :; do sleep 0.2; done
