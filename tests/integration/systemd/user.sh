#!/usr/bin/env bash
# The supervisor as a Type=notify service of a real `systemd --user` (252) on this machine,
# whose PID 1 is not systemd: a private mount namespace shows the manager a /run/systemd/system
# (it refuses to start otherwise), and it runs in a cgroup of its own (removed afterwards).
# Usage: user.sh path/to/supervisor (run by run.sh). Prints "ok NAME" / "FAIL NAME: got X want Y",
# the manager's log on failure; exits 1 on any failure.
# shellcheck disable=SC2317 # functions called through wait_until
set -u
sup=$(realpath "${1:?usage: user.sh path/to/supervisor}")
here=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/sd-user.XXXXXX)
mkdir -m700 "$W/xdg"
mkdir -p "$W/home" "$W/config/systemd/user" "$W/run"
cg_name=sd-user-$$
main_pid="" # the running manager
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cg_dirs=$(cgroup_dirs $cg_name)

printf '[Unit]\nDescription=empty target\n' > "$W/config/systemd/user/ci.target"
cat > "$W/config/systemd/user/sup.service" << EOF
[Service]
Type=notify
ExecStart=$sup -- $here/app.sh
Environment=EVENTS=$W/run/sup.events
WatchdogSec=1
KillMode=mixed
Delegate=yes
LimitCORE=0
EOF

fail=0
check() { # NAME GOT WANT
  if [ "$2" = "$3" ]; then
    echo "ok user/$1"
  else
    echo "FAIL user/$1: got '$2' want '$3'"
    fail=1
  fi
}
wait_until() { # SECONDS COMMAND...: polls COMMAND every 50 ms
  local i n=$(($1 * 20))
  shift
  for ((i = 0; i < n; i++)); do
    "$@" 2> /dev/null && return 0
    sleep 0.05
  done
  return 1
}
manager_up() { [ -S "$W/xdg/systemd/private" ]; }
app_started() { grep -q '^start ' "$W/run/sup.events"; }
hup_seen() { grep -q "^HUP $app\$" "$W/run/sup.events"; }

# shellcheck disable=SC2016 # the inner shell's variables
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$W/home" XDG_RUNTIME_DIR="$W/xdg" \
  XDG_CONFIG_HOME="$W/config" CG_DIRS="$cg_dirs" \
  timeout 120 unshare --mount --propagation private sh -c '
    for d in $CG_DIRS; do mkdir -p "$d" && echo $$ > "$d/cgroup.procs" || exit 1; done
    mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system &&
    exec /lib/systemd/systemd --user --unit=ci.target' > "$W/manager.log" 2>&1 &
main_pid=$!
export XDG_RUNTIME_DIR=$W/xdg
S() { timeout 15 systemctl --user "$@"; }
P() { timeout 10 systemctl --user show -P "$2" "$1"; }
wait_until 10 manager_up
S start sup.service
check active "$(P sup.service ActiveState)" active
main=$(P sup.service MainPID)
check mainpid-is-supervisor "$(cat "/proc/$main/comm" 2> /dev/null)" supervisor
wait_until 5 app_started
app=$(grep '^start ' "$W/run/sup.events" | head -1 | cut -d' ' -f2)
check status-text "$(P sup.service StatusText)" "running pid $app"
S kill --kill-whom=main -s HUP sup.service
wait_until 5 hup_seen
check hup-forwarded "$(grep -c "^HUP $app\$" "$W/run/sup.events")" 1
sleep 2.5 # 2.5 periods of WatchdogSec=1
check watchdog-answered "$(P sup.service ActiveState)/$(P sup.service NRestarts)/$(P sup.service MainPID)" "active/0/$main"
S stop sup.service
check stop "$(P sup.service Result)/$(grep -c "^TERM $app\$" "$W/run/sup.events")" success/1
# systemd-run --user (needs the user bus): the app's exit status comes out of the supervisor.
S start dbus.socket
DBUS_SESSION_BUS_ADDRESS=unix:path=$W/xdg/bus timeout 20 systemd-run --user --wait -q \
  -p Type=notify "$sup" -- /bin/sh -c 'exit 4' > /dev/null 2>&1
check systemd-run-exit-status $? 4
S exit 0
timeout 10 tail --pid="$main_pid" -f /dev/null
main_pid=""
if [ $fail -ne 0 ]; then
  echo "--- systemd --user log"
  tail -n 60 "$W/manager.log"
fi
exit $fail
