#!/bin/bash
# ExecStopPost= of the test units: runs once the supervisor has exited and before systemd's own
# clean-up of the unit's cgroup (systemd runs it in <unit>/.control when Delegate=yes), and
# records in /run/ci/UNIT.leftovers what the supervisor left behind in the unit's cgroup:
# "process PID COMM" (other than this script) and "cgroup PATH" (other than .control), after
# "ran-in PATH", its own cgroup.
# Only shell builtins read the cgroup files, so no helper process of ours is counted.
out=/run/ci/$1.leftovers
: > "$out"
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then v2=/sys/fs/cgroup; else v2=/sys/fs/cgroup/unified; fi
[ -d $v2 ] || v2=/nonexistent # the legacy layout: no cgroup2 at all ("0::/" in /proc/*/cgroup)
while IFS=: read -r _ ctrl path; do
  case $ctrl in
    "") [ -d $v2 ] || continue; mnt=$v2 ;;
    name=systemd) [ -d /sys/fs/cgroup/systemd ] || continue; mnt=/sys/fs/cgroup/systemd ;;
    *) continue ;;
  esac
  echo "ran-in $mnt$path" >> "$out"
  unit=$mnt${path%/.control}
  dirs=$(find "$unit" -type d)
  for d in $dirs; do
    [ "$d" = "$unit/.control" ] && continue
    [ "$d" != "$unit" ] && echo "cgroup $d" >> "$out"
    while read -r pid; do
      [ "$pid" = $$ ] && continue
      comm='?'
      read -r comm < "/proc/$pid/comm"
      echo "process $pid $comm in $d" >> "$out"
    done < "$d/cgroup.procs"
  done
done < /proc/self/cgroup
echo "done" >> "$out"
