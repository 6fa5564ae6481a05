#!/usr/bin/env bash
# The supervisor as a Type=notify service of a real systemd (252, Debian 12): PID 1 of a
# `systemd-nspawn -D / --volatile=yes -b` container booting this machine's own /usr (no rootfs to
# download), once per cgroup layout nspawn offers: the default hybrid one and pure cgroup2
# (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1). One container per layout; checks.sh runs every check in
# it (ci.service) and powers it off with its status. Then a few checks under `systemd --user`
# on the host (user.sh). SYSTEMD_LAYOUTS picks among hybrid, unified, user and legacy (pure v1,
# not run by default).
# Pitfalls handled here: nspawn needs --register=no --keep-unit without a host systemd, and then
# leaves payload/ and supervisor/ cgroups behind; the volatile /etc is empty (first boot: pass
# systemd.firstboot=off; presets enable everything: boot basic.target only).
#
# Usage: tests/integration/systemd/run.sh path/to/supervisor   (root; needs systemd-nspawn,
# python3, nginx-light and dbus-user-session in /usr: scripts/install-deps.sh). Prints
# "ok NAME" or "FAIL NAME: got X want Y" per check, the units' journal on failure only, the
# wall time per layout; exits 1 on any failure.
# Leaves nothing behind: its temp dir, the container, the cgroups nspawn made (all below a
# cgroup of its own, so that two runs at once do not meet).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
sup=$(realpath "${1:?usage: run.sh path/to/supervisor}")
for tool in /usr/bin/systemd-nspawn /usr/bin/python3 /usr/sbin/nginx /usr/lib/systemd/user/dbus.socket; do
  if [ ! -e "$tool" ]; then
    echo "FAIL setup: $tool not installed (scripts/install-deps.sh installs it)"
    exit 1
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "FAIL setup: needs root"
  exit 1
fi

W=$(mktemp -d /tmp/sd-integration.XXXXXX)
# nspawn --keep-unit on a host without systemd makes payload/ and supervisor/ cgroups inside its
# own cgroup and leaves them: start it in a cgroup of ours and remove that afterwards.
cg_name=sd-integration-$$
main_pid="" # the running nspawn
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cg_dirs=$(cgroup_dirs $cg_name)

mkdir -p "$W/ci/units" "$W/ci/examples" "$W/ci/nginx"
cp "$sup" "$W/ci/supervisor"
cp "$here"/checks.sh "$here"/stoppost.sh "$here"/*.py "$here"/app.sh "$here"/ci.service "$W/ci/"
cp "$here"/units/* "$W/ci/units/"
cp "$here"/nginx.conf "$W/ci/nginx/nginx.conf"
cp "$repo"/examples/systemd/nginx-supervisor.service "$W/ci/examples/"

status=0
for layout in ${SYSTEMD_LAYOUTS:-hybrid unified user}; do
  if [ "$layout" = user ]; then
    # systemd --user on the host itself (user.sh): no container.
    start=$(date +%s%N)
    echo "== systemd --user"
    "$here/user.sh" "$sup" || status=1
    ms=$((($(date +%s%N) - start) / 1000000))
    echo "== systemd --user: $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
    continue
  fi
  out=$W/out/$layout
  mkdir -p "$out"
  # Unset, nspawn gives the container the host's hybrid layout; 1 is pure cgroup2, 0 pure v1
  # (SYSTEMD_LAYOUTS="hybrid unified user legacy": legacy is not run by default).
  nspawn_env=(env -u SYSTEMD_NSPAWN_UNIFIED_HIERARCHY)
  [ "$layout" = unified ] && nspawn_env=(env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1)
  [ "$layout" = legacy ] && nspawn_env=(env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0)
  start=$(date +%s%N)
  # systemd.firstboot=off: the volatile /etc is empty, i.e. a first boot that would ask on the
  # console; basic.target: not every service installed on the host; --private-network: the
  # test ports are the container's own.
  # shellcheck disable=SC2016 # $0, $1, $$ and $CG_DIRS are the inner shell's
  "${nspawn_env[@]}" CG_DIRS="$cg_dirs" timeout -k 10 180 sh -c '
      for d in $CG_DIRS; do mkdir -p "$d" && echo $$ > "$d/cgroup.procs" || exit 1; done
      exec systemd-nspawn -q -D / --volatile=yes --private-network --register=no --keep-unit \
        -M "sdtest-$$" --bind-ro="$0/ci:/ci" --bind="$1:/ci-out" \
        --bind-ro="$0/ci/nginx:/etc/nginx" --bind-ro="$0/ci/ci.service:/etc/systemd/system/ci.service" \
        -b systemd.firstboot=off systemd.unit=basic.target systemd.wants=ci.service' "$W" "$out" \
    > "$out/console.log" 2>&1 &
  main_pid=$!
  wait $main_pid
  rc=$?
  main_pid=""
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "== systemd ($layout cgroups)"
  if [ -f "$out/tests.log" ]; then cat "$out/tests.log"; fi
  if [ $rc -ne 0 ] || ! grep -q '^# checks done' "$out/tests.log" 2> /dev/null || grep -q '^FAIL' "$out/tests.log"; then
    echo "FAIL systemd-$layout: container exit status $rc"
    [ -f "$out/tests.log" ] || tail -n 40 "$out/console.log"
    status=1
  fi
  echo "== systemd ($layout cgroups): $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
done
exit $status
