#!/bin/sh
# Test app: records its life in $EVENTS ("start PID", "HUP PID", "TERM PID"); exits 0 on TERM.
# `sleep & wait` so that a signal is acted on at once (the sleep is left behind for the
# supervisor to clean up).
ev=${EVENTS:-/dev/null}
echo "start $$" >> "$ev"
trap 'echo "HUP $$" >> "$ev"' HUP
trap 'echo "TERM $$" >> "$ev"; exit 0' TERM
while :; do sleep 5 & wait $!; done
