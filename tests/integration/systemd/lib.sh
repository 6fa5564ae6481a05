# shellcheck shell=bash
# Sourced by run.sh and user.sh: a cgroup of the test's own to start a manager in (nspawn or
# systemd --user), and the clean-up of it, of that manager and of the temp dir $W.
# Set W, cg_name and main_pid ("" or the manager's PID) before the trap fires.

# The cgroup directories named $1 in every hierarchy systemd uses on this host.
cgroup_dirs() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo "/sys/fs/cgroup/$1"
    return
  fi
  local h
  for h in systemd unified; do
    [ -d /sys/fs/cgroup/$h ] && echo "/sys/fs/cgroup/$h/$1"
  done
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ -n "${main_pid:-}" ] && kill -0 "$main_pid" 2> /dev/null; then
    kill -TERM "$main_pid" 2> /dev/null
    timeout 15 tail --pid="$main_pid" -f /dev/null
    kill -KILL "$main_pid" 2> /dev/null
  fi
  local d
  for d in $(cgroup_dirs "${cg_name:?}"); do
    # Anything still in there (it should be empty) is killed first.
    if [ -d "$d" ]; then
      find "$d" -name cgroup.procs -exec cat {} + 2> /dev/null | while read -r pid; do kill -KILL "$pid"; done
      timeout 10 sh -c "until find '$d' -depth -type d -exec rmdir {} + 2>/dev/null; [ ! -d '$d' ]; do sleep 0.1; done"
      [ -d "$d" ] && echo "FAIL cleanup: cgroup $d left behind"
    fi
  done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
