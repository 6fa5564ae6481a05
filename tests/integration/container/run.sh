#!/usr/bin/env bash
# The supervisor as PID 1 of real containers: rootful podman 4.3 + runc + conmon (cgroupfs,
# overlay, an image made by `podman import` from a local tarball: no registry), and plain runc
# with `runc spec`'s OCI bundle. Recipes and pitfalls: /work/shared/real-clients.md, sections 4-5.
#
# Usage: tests/integration/container/run.sh path/to/supervisor   (root; podman, runc, conmon,
# busybox-static, python3, gcc with a static libc: scripts/install-deps.sh)
#
# Every check prints "ok NAME" or "FAIL NAME: got X want Y"; the exit status is 1 if any failed.
# Every wait is bounded. All podman state (storage, runtime dir, events, networks) lives in a
# temp dir that is removed on exit, with the containers, images, mounts, processes and cgroups
# the run made, whatever happened.

# Helpers run through wait_for/trap look unreachable to shellcheck; $VARs in single quotes are
# meant for the container's shell.
# shellcheck disable=SC2317,SC2016
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
SUP=$(realpath "${1:?usage: run.sh path/to/supervisor}")
t_start=$(date +%s%N)

fail=0
check() {  # check NAME GOT WANT
  if [ "$2" = "$3" ]; then echo "ok $1"; else echo "FAIL $1: got '$2' want '$3'"; fail=1; return 1; fi
}
check_re() {  # check_re NAME GOT REGEX: GOT matches the extended REGEX as a whole
  if [[ $2 =~ ^($3)$ ]]; then echo "ok $1"; else echo "FAIL $1: got '$2' want /$3/"; fail=1; return 1; fi
}
missing=""
for tool in podman runc conmon busybox python3 gcc timeout script; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -f /bin/busybox ] && file_ok=yes || file_ok=no
if [ "$(id -u)" != 0 ] || [ -n "$missing" ] || [ "$file_ok" = no ]; then
  check prerequisites "uid $(id -u), missing:${missing:- none}, /bin/busybox $file_ok" \
    "uid 0, missing: none, /bin/busybox yes"
  exit 1
fi

W=$(mktemp -d /tmp/sup-container.XXXXXX)
receivers=()      # python notify receivers we started
runc_ids=()       # runc containers we started
# cgroups podman makes (libpod_parent/ in every hierarchy) outlive it; remove the ones this run
# made (those that did not exist before it), once empty. Our runc containers go under our own.
cg_runc=sup-container-$$
cg_new=()
for h in /sys/fs/cgroup/*/; do [ -d "${h}libpod_parent" ] || cg_new+=("${h}libpod_parent"); done

export CONTAINERS_CONF=$W/containers.conf CONTAINERS_STORAGE_CONF=$W/storage.conf
pm() { timeout 30 podman "$@"; }
rc_() { timeout 30 runc --root "$W/runc-state" "$@"; }

cleanup() {
  set +e
  for id in "${runc_ids[@]}"; do rc_ kill "$id" KILL >/dev/null 2>&1; rc_ delete -f "$id" >/dev/null 2>&1; done
  pm pod rm -af -t 0 >/dev/null 2>&1
  pm rm -af -t 0 >/dev/null 2>&1
  pm rmi -af >/dev/null 2>&1
  for pid in "${receivers[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  awk -v w="$W" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$W"
  for d in "${cg_new[@]}" /sys/fs/cgroup/*/"$cg_runc"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (0) or SECONDS pass (1).
wait_for() {
  local deadline=$(( $(now_ms) + $1 * 1000 )); shift
  until "$@"; do
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}
# grep reads its whole input in pipelines: with -q it could exit first, and under pipefail the
# writer's SIGPIPE would make a match a failure.
logs_have() { pm logs "$1" 2>&1 | grep -- "$2" >/dev/null; }   # logs_have CONTAINER PATTERN
# podman says "stopped" between the container's end and its clean-up (conmon's exit command),
# "exited" after: both mean the process is gone, and which one a check sees is a race.
state() { pm inspect -f '{{.State.Status}}/{{.State.ExitCode}}' "$1" 2>/dev/null | sed 's|^stopped/|exited/|'; }
exited() { case $(state "$1") in exited/*|"") return 0;; *) return 1;; esac; }
app_pid() { pm exec "$1" cat /proc/1/task/1/children 2>/dev/null | awk '{print $1}'; }  # PID 1's child
show_logs() { pm logs "$1" 2>&1 | tail -n 15 | sed "s/^/  $1: /"; }
probe() {  # probe CONTAINER ready|alive [STATUS-FILE]: the probe's exit status
  pm exec "$1" /bin/supervisor --probe="$2" --status-file="${3:-/run/sup.json}" >/dev/null 2>&1; echo $?
}
health() {  # health CONTAINER: "EXIT-STATUS/STATUS" of `podman healthcheck run`
  pm healthcheck run "$1" >/dev/null 2>&1; echo "$?/$(pm inspect -f '{{.State.Healthcheck.Status}}' "$1")"
}
# receiver NAME: a python sd_notify receiver at $W/NAME.sock logging to $W/NAME.log
receiver() {
  : > "$W/$1.log"
  python3 "$here/notify_receiver.py" "$W/$1.sock" "$W/$1.log" 60 &
  receivers+=($!)
  wait_for 5 test -S "$W/$1.sock" || echo "  (receiver $1 did not bind $W/$1.sock)"
}
got_ready() { grep -q '^READY=1' "$W/$1.log"; }
ready_or_exited() { got_ready "$1" || exited "$2"; }

# --- podman configuration, all under $W (nothing in /etc/containers, /var/lib/containers, /run/libpod)
cat > "$W/containers.conf" <<EOF
[containers]
netns = "none"
# CAP_SYS_RESOURCE may be missing from the bounding set (VMs, nested containers): podman's
# default rlimits (nofile=1048576) then make runc fail; stay within the current hard limits.
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$W/events.log"
tmp_dir = "$W/tmp"
# crun 1.8 refuses hybrid cgroup layouts (v1 controllers + cgroup2 at /sys/fs/cgroup/unified)
runtime = "runc"
volume_path = "$W/volumes"
[network]
network_config_dir = "$W/net"
EOF
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/root"\nrunroot = "%s/run"\n' "$W" "$W" > "$W/storage.conf"

# --- the image: busybox, the supervisor and whatever it links, the test app, a notify sender
copy_with_libs() {  # copy_with_libs FILE ROOT [DEST]: FILE and every library ldd lists (none if static)
  local dest=${3:-$1} lib
  mkdir -p "$2$(dirname "$dest")" && cp -L "$1" "$2$dest"
  for lib in $(ldd "$1" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'); do
    [ -e "$2$lib" ] || cp -L --parents "$lib" "$2"
  done
}
R=$W/rootfs
mkdir -p "$R"/{bin,etc,proc,sys,dev,run,tmp,root} && chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/"
for a in sh ps sleep cat kill true touch grep wget id ls echo awk; do ln -s busybox "$R/bin/$a"; done
copy_with_libs "$SUP" "$R" /bin/supervisor
install -m 755 "$here/app.sh" "$R/bin/app"
if ! gcc -static -O2 -o "$R/bin/sdnotify" "$here/sdnotify.c"; then
  check build-sdnotify "gcc -static failed" "a static sdnotify"; exit 1
fi
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
printf 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n' > "$R/etc/group"
if ! { tar -C "$R" -cf "$W/img.tar" . &&
  pm import -q --change 'ENTRYPOINT ["/bin/supervisor","--"]' --change 'CMD ["/bin/app"]' \
    "$W/img.tar" localhost/sup:test >/dev/null; }; then
  check image "import failed" imported; exit 1
fi
IMG=localhost/sup:test

# ---------------------------------------------------------------- 1. exit status propagation
run_rc() { pm run --rm "$IMG" "$@" >/dev/null 2>&1; echo $?; }
check exit-code "$(run_rc sh -c 'exit 3')" 3
check killed-by-sigkill "$(run_rc sh -c 'kill -KILL $$')" 137
check killed-by-sigsegv "$(run_rc sh -c 'kill -SEGV $$')" 139
check killed-by-sigusr2 "$(run_rc sh -c 'kill -USR2 $$')" 140
out=$(pm run --rm "$IMG" /no/such/program 2>&1); rc=$?
check program-not-found "$rc/$(echo "$out" | grep -c '^supervisor.*/no/such/program')" 127/1

# ------------------------------------- 2-4. signals forwarded, zombies of podman exec reaped, stop
pm run -d --name sig -e APP_EXIT=42 "$IMG" >/dev/null
wait_for 10 logs_have sig 'app: started' || show_logs sig
check pid1-is-supervisor "$(pm exec sig cat /proc/1/comm)" supervisor
for s in HUP USR1; do
  pm kill -s "$s" sig >/dev/null
  wait_for 5 logs_have sig "app: got $s" && got=forwarded || got="not in the app's output"
  check "podman-kill-$s-forwarded" "$got" forwarded
done
check still-running-after-signals "$(state sig)" running/0
# orphans of a `podman exec` shell are reparented to PID 1, which must reap them
pm exec sig sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; exit 0'
check exec-orphans-reparented-to-pid1 \
  "$(pm exec sig ps -o ppid,args | awk '$2 == "sleep" && $3 == 1 {print $1}' | sort | uniq -c | awk '{print $1 "x" $2}')" 10x1
no_sleep_1() { ! pm exec sig ps -o args | grep '^sleep 1$' >/dev/null; }
wait_for 5 no_sleep_1
check exec-orphans-reaped "$(pm exec sig ps -o ppid,stat | awk '$1 == 1 && $2 ~ /^Z/' | wc -l)" 0
# ... and an orphan of `podman exec` is no process of the app: when the app's main process exits
# 0, it must not be taken for its successor (same executable: everything here is busybox), and
# the container must end with the app. Without a cgroup it can write (podman's default), the
# supervisor as PID 1 adopts every orphan of the container: before the session rule of
# core::ElectionInput::adopts_strangers it followed `sleep 20` as "main pid 6 -> 13
# (successor)" and the container lived 20 s.
pm run -d --name succ "$IMG" sh -c 'echo app: started; sleep 1; exit 0' >/dev/null
wait_for 10 logs_have succ 'app: started' || show_logs succ
pm exec succ sh -c 'sleep 20 & exit 0'
wait_for 4 exited succ
check exec-orphan-not-taken-for-the-app \
  "$(state succ)/$(logs_have succ '(successor)' && echo successor-elected || echo no-successor)" exited/0/no-successor ||
  show_logs succ
pm rm -f -t 0 succ >/dev/null 2>&1

t0=$(now_ms); pm stop -t 5 sig >/dev/null; ms=$(( $(now_ms) - t0 ))
check podman-stop-term-forwarded "$(logs_have sig 'app: got TERM' && echo yes)/$(state sig)/$([ $ms -lt 4000 ] && echo fast || echo "${ms}ms")" \
  yes/exited/42/fast

# a TERM-ignoring app and a long --stop-timeout: podman's SIGKILL after -t 2 ends it all
pm run -d --name stubborn -e IGNORE_TERM=1 --entrypoint '["/bin/supervisor","--stop-timeout=30","--"]' "$IMG" /bin/app >/dev/null
wait_for 10 logs_have stubborn 'app: started' || show_logs stubborn
t0=$(now_ms); pm stop -t 2 stubborn >/dev/null 2>&1; ms=$(( $(now_ms) - t0 ))
window=$([ $ms -ge 2000 ] && [ $ms -lt 4500 ] && echo 2-4.5s || echo "${ms}ms")
check podman-stop-kill-after-timeout "$(logs_have stubborn 'app: ignoring TERM' && echo term-forwarded)/$(state stubborn)/$window" \
  term-forwarded/exited/137/2-4.5s

# a terminal: `podman run -it`, Ctrl-C typed on it (script(1) gives podman the terminal) reaches
# the app exactly once, and is a stop request
mkfifo "$W/tty.in"
timeout 30 script -qfec "podman run -it --name tty1 $IMG" /dev/null < "$W/tty.in" > "$W/tty.log" 2>&1 &
tty_pid=$!
exec 3> "$W/tty.in"
wait_for 10 grep -q 'app: started' "$W/tty.log"
printf '\003' >&3
wait_for 5 grep -q 'app: got INT' "$W/tty.log"
sleep 0.5   # a negative: no second INT may follow
got="$(grep -c 'app: got INT' "$W/tty.log") INT/$(grep -c 'stopping: SIGINT' "$W/tty.log") stop"
pm stop -t 3 tty1 >/dev/null 2>&1
exec 3>&-
wait "$tty_pid"
check tty-ctrl-c-reaches-app-once "$got/$(state tty1)" "1 INT/1 stop/exited/0" || sed 's/^/  tty1: /' "$W/tty.log"

# a crash loop restarted inside the container (-c, backoff 0, 1, 2 s): in the backoff wait the
# app is not ready, but the supervisor is alive (--probe, SPEC 11); podman stop then ends the
# wait at once, with the app's last status
pm run -d --name crashloop --entrypoint '["/bin/supervisor","-c","--status-file=/run/sup.json","--"]' "$IMG" \
  sh -c 'sleep 0.2; kill -SEGV $$' >/dev/null
wait_for 10 logs_have crashloop 'restarting in 2 s' || show_logs crashloop
check probe-during-restart-backoff "ready $(probe crashloop ready)/alive $(probe crashloop alive)" "ready 1/alive 0"
t0=$(now_ms); pm stop -t 5 crashloop >/dev/null 2>&1; ms=$(( $(now_ms) - t0 ))
check podman-stop-during-restart-backoff "$(state crashloop)/$([ $ms -lt 2000 ] && echo fast || echo "${ms}ms")" exited/139/fast ||
  show_logs crashloop

# with cgroups it may write (--privileged; on cgroup v1 podman shares the host's cgroup
# namespace, so the mounts' roots are the container's own cgroup, not /): the app is tracked in
# a cgroup of its own under the supervisor's, and it is gone when the supervisor exits (here the
# supervisor is not PID 1: a shell runs it and looks afterwards)
out=$(pm run --rm --privileged --entrypoint '["/bin/sh","-c"]' "$IMG" '/bin/supervisor --debug -- sh -c "exit 3"; echo "rc=$?";
  echo "left: $(ls -d /sys/fs/cgroup/*/supervisor.* /sys/fs/cgroup/*/*/supervisor.* 2>/dev/null | wc -l)"' 2>&1)
check_re privileged-cgroup-tracking \
  "$(echo "$out" | sed -n 's/.*tracking the app with cgroup backend \(v[12]\).*/\1/p')/$(echo "$out" | grep -E '^(rc|left)' | tr '\n' ' ')" \
  'v[12]/rc=3 left: 0 ' || printf '  privileged: %s\n' "$out"

# ------------------------------------------------- 5. --sdnotify=container: readiness relayed
receiver n-exec
NOTIFY_SOCKET=$W/n-exec.sock pm run -d --name nexec --sdnotify=container \
  --entrypoint '["/bin/supervisor","--ready=exec","--"]' "$IMG" /bin/app >/dev/null
wait_for 10 ready_or_exited n-exec nexec
check sdnotify-ready-exec "$(got_ready n-exec && echo READY=1)" READY=1

receiver n-notify
NOTIFY_SOCKET=$W/n-notify.sock pm run -d --name nnotify --sdnotify=container \
  --entrypoint '["/bin/supervisor","--ready=notify","--"]' "$IMG" \
  sh -c 'echo app: waiting; until [ -e /tmp/go ]; do sleep 0.1; done; sdnotify READY=1 "STATUS=app up" && echo app: notified; exec /bin/app' >/dev/null
wait_for 10 logs_have nnotify 'app: waiting' || show_logs nnotify
sleep 0.5   # a negative: nothing may arrive before the app says READY=1
check sdnotify-ready-notify-not-before-app "$(got_ready n-notify && echo READY=1 || echo nothing)" nothing
pm exec nnotify touch /tmp/go
wait_for 10 ready_or_exited n-notify nnotify
check sdnotify-ready-notify "$(got_ready n-notify && echo READY=1)/$(state nnotify)" READY=1/running/0

# ------------------------------------------- 6. read-only root file system, the notify socket
ro_app='echo "app: NOTIFY_SOCKET=$NOTIFY_SOCKET"; sdnotify READY=1 && echo app: notified; exec /bin/app'
readonly_case() {  # readonly_case NAME PODMAN-OPTIONS...
  local name=$1; shift
  receiver "n-$name"
  NOTIFY_SOCKET=$W/n-$name.sock pm run -d --name "$name" --sdnotify=container "$@" \
    --entrypoint '["/bin/supervisor","--ready=notify","--"]' "$IMG" sh -c "$ro_app" >/dev/null
  wait_for 10 ready_or_exited "n-$name" "$name"
  local ready; ready=$(got_ready "n-$name" && echo READY=1 || echo no-READY)
  pm stop -t 5 "$name" >/dev/null 2>&1
  check "$name-notify-socket" "$ready/$(state "$name")" READY=1/exited/0 || show_logs "$name"
}
readonly_case read-only --read-only
readonly_case read-only-no-tmpfs --read-only --read-only-tmpfs=false
check read-only-no-tmpfs-abstract-socket \
  "$(pm logs read-only-no-tmpfs 2>&1 | sed -n 's/^app: NOTIFY_SOCKET=\(@supervisor\/\).*/\1/p')" @supervisor/

# An abstract name is no secret: it is listed in /proc/net/unix of its network namespace, which
# a pod's containers share. Another container there (another PID namespace) can send to it;
# the supervisor must refuse that (the sender is no process of the app), and still hear the app.
receiver n-foreign
NOTIFY_SOCKET=$W/n-foreign.sock pm run -d --name foreign --read-only --read-only-tmpfs=false --sdnotify=container \
  --entrypoint '["/bin/supervisor","--ready=notify","--"]' "$IMG" \
  sh -c 'echo "app: NOTIFY_SOCKET=$NOTIFY_SOCKET"; until [ -e /dev/shm/go ]; do sleep 0.1; done; sdnotify READY=1; exec /bin/app' >/dev/null
wait_for 10 logs_have foreign 'app: NOTIFY_SOCKET=' || show_logs foreign
name=$(pm logs foreign 2>&1 | sed -n 's/^app: NOTIFY_SOCKET=//p')
out=$(pm run --rm --network container:foreign --entrypoint '["/bin/sh","-c"]' "$IMG" \
  "grep -c '$name' /proc/net/unix; NOTIFY_SOCKET='$name' sdnotify --no-block READY=1 && echo sent" 2>&1 | tr '\n' ' ')
sleep 0.5   # a negative: nothing may be relayed
check abstract-socket-refuses-other-container "$out/$(got_ready n-foreign && echo READY=1 || echo nothing)" "1 sent /nothing"
pm exec foreign touch /dev/shm/go
wait_for 10 ready_or_exited n-foreign foreign
check abstract-socket-hears-the-app "$(got_ready n-foreign && echo READY=1)/$(state foreign)" READY=1/running/0 || show_logs foreign
pm rm -f -t 0 foreign >/dev/null 2>&1
# the supervisor itself not root (podman --user): no /run/supervisor, no cgroups
readonly_case read-only-non-root --read-only --user 1000:1000

# plain runc, `runc spec`'s bundle as it is: read-only root, no tmpfs on /run or /tmp. An sd_notify
# receiver on the host is bind-mounted in; the supervisor relays the app's READY=1 to it.
receiver n-runc
B=$W/bundle; mkdir -p "$B" "$W/runc-notify"
(cd "$B" && runc spec) && python3 - "$B/config.json" "$R" "$W" "$cg_runc" <<'EOF'
import json, sys
path, rootfs, w, cg = sys.argv[1:]
c = json.load(open(path))
c['root'] = {'path': rootfs, 'readonly': True}   # as `runc spec` has it, with our rootfs
c['process']['terminal'] = False
c['process']['args'] = ['/bin/supervisor', '--ready=notify', '--', '/bin/sh', '-c',
                        'echo "app: NOTIFY_SOCKET=$NOTIFY_SOCKET"; sdnotify READY=1 && echo app: notified; '
                        'trap "exit 42" TERM; while :; do sleep 0.2; done']
c['process']['env'].append('NOTIFY_SOCKET=/notify/n-runc.sock')
c['mounts'].append({'destination': '/notify', 'type': 'bind', 'source': w, 'options': ['rbind', 'rw']})
c['linux']['cgroupsPath'] = '/%s/runc1' % cg
json.dump(c, open(path, 'w'))
EOF
runc_ids+=(runc1)
timeout 30 runc --root "$W/runc-state" run --bundle "$B" runc1 > "$W/runc1.log" 2>&1 &
runc_pid=$!
runc_gone() { ! kill -0 "$runc_pid" 2>/dev/null; }
wait_for 10 eval 'got_ready n-runc || runc_gone'
ready=$(got_ready n-runc && echo READY=1 || echo no-READY)
rc_ kill runc1 TERM >/dev/null 2>&1
wait_for 10 runc_gone; wait "$runc_pid"; rc=$?
check runc-readonly-notify-socket "$ready/$rc/$(sed -n 's/^app: NOTIFY_SOCKET=\(@supervisor\/\).*/\1/p' "$W/runc1.log")" \
  READY=1/42/@supervisor/ || sed 's/^/  runc1: /' "$W/runc1.log"
rc_ delete -f runc1 >/dev/null 2>&1

# ---------------------------------------------------- 7. -u/--user, -g/--group inside the container
ids_of_app() {  # ids_of_app CONTAINER: "uid/gid/groups" of PID 1's child
  local pid; pid=$(app_pid "$1")
  pm exec "$1" cat "/proc/$pid/status" 2>/dev/null |
    awk '/^Uid:/ {u = $2 "," $3 "," $4 "," $5} /^Gid:/ {g = $2 "," $3 "," $4 "," $5}
         /^Groups:/ {s = ""; for (i = 2; i <= NF; i++) s = s (i > 2 ? "," : "") $i}
         END {print u "/" g "/[" s "]"}'
}
user_case() {  # user_case NAME WANT-REGEX SUPERVISOR-OPTIONS...
  local name=$1 want=$2; shift 2
  local entry='["/bin/supervisor"'; for o in "$@"; do entry+=",\"$o\""; done; entry+=',"--"]'
  pm run -d --name "$name" --entrypoint "$entry" "$IMG" /bin/app >/dev/null
  wait_for 10 logs_have "$name" 'app: started' || show_logs "$name"
  check_re "$name" "$(ids_of_app "$name")" "$want"
  pm rm -f -t 0 "$name" >/dev/null 2>&1
}
# uid/gid are real,effective,saved,fs; supplementary groups: nobody's from /etc/group (initgroups
# adds the primary one); a uid that is not in /etc/passwd has none but, at most, its gid: never
# root's 0.
user_case user-nobody '65534,65534,65534,65534/65534,65534,65534,65534/\[65534\]' --user=nobody
user_case user-numeric-uid-gid '1000,1000,1000,1000/1000,1000,1000,1000/\[(1000)?\]' -u 1000 -g 1000
user_case user-name-and-group '65534,65534,65534,65534/33,33,33,33/\[(65534|33|33,65534|65534,33)\]' --user=nobody --group=www-data

# a supervisor that is not root cannot switch users: one line, status 125, nothing started
out=$(pm run --rm --user 1000:1000 --entrypoint '["/bin/supervisor","--user=nobody","--"]' "$IMG" sh -c 'echo app: started' 2>&1); rc=$?
check user-switch-refused-when-not-root "$rc/$(echo "$out" | grep -c .)/$(echo "$out" | grep -c '^supervisor: ')" 125/1/1 ||
  printf '  non-root: %s\n' "$out"

# ------------------------------------------------ 8. the status file and the probes (SPEC 11)
# `supervisor --probe` run by `podman exec` (as a Kubernetes exec probe is) and as podman's
# healthcheck. --health-interval=disable: podman 4.3 runs healthchecks from systemd timers,
# and there is no systemd here; `podman healthcheck run` runs one at once.
pm run -d --name probes --health-cmd '/bin/supervisor --probe=ready --status-file=/run/sup.json' \
  --health-interval=disable --health-retries=1 \
  --entrypoint '["/bin/supervisor","--status-file=/run/sup.json","--ready=notify","--"]' "$IMG" \
  sh -c 'echo app: waiting; until [ -e /tmp/go ]; do sleep 0.1; done; sdnotify READY=1 && echo app: notified; exec /bin/app' >/dev/null
wait_for 10 logs_have probes 'app: waiting' || show_logs probes
check probe-before-app-ready "ready $(probe probes ready)/alive $(probe probes alive)/health $(health probes)" \
  "ready 1/alive 0/health 1/unhealthy"
pm exec probes touch /tmp/go
ready_now() { [ "$(probe probes ready)" = 0 ]; }
wait_for 10 ready_now
check probe-after-app-ready "ready $(probe probes ready)/alive $(probe probes alive)/health $(health probes)" \
  "ready 0/alive 0/health 0/healthy"
check probe-missing-file-is-1 "$(probe probes ready /run/no-such.json)" 1
pm stop -t 5 probes >/dev/null 2>&1

# ------------------------------------------------------------------- 9. the examples, for real
# examples/docker/Dockerfile's image cannot be built here (FROM debian:12 needs a registry; a
# mmdebstrap base plus compiling the supervisor in the build stage takes minutes): the same
# ENTRYPOINT and CMD, read from the Dockerfile, run on an imported image with the host's nginx
# (Debian 12's nginx-light, as the Dockerfile installs) and the supervisor at the same path.
# ENV PATH is debian:12's: `podman kube play` (4.3) sets no PATH when the image has none, and
# the supervisor's default, /usr/local/bin:/usr/bin:/bin, has no /usr/sbin/nginx (exit 127).
X=$W/nginx-rootfs
cp -a "$R" "$X" && rm "$X/bin/supervisor"
copy_with_libs "$SUP" "$X" /usr/local/bin/supervisor
copy_with_libs "$(command -v nginx || echo /usr/sbin/nginx)" "$X" /usr/sbin/nginx
mkdir -p "$X/etc/nginx" "$X/var/log/nginx" "$X/var/lib/nginx" "$X/usr/share/nginx/html"
cp "$here/nginx.conf" "$X/etc/nginx/nginx.conf"
ln -sf /dev/stdout "$X/var/log/nginx/access.log"; ln -sf /dev/stderr "$X/var/log/nginx/error.log"
echo 'served under supervisor' > "$X/usr/share/nginx/html/index.html"
df=$repo/examples/docker/Dockerfile
entrypoint=$(grep '^ENTRYPOINT \[' "$df"); cmd=$(grep '^CMD \[' "$df")
# `podman import` takes no HEALTHCHECK: its command (the JSON form) goes to --health-cmd
healthcheck=$(sed -n '/^HEALTHCHECK/,/CMD/p' "$df" | sed -n 's/.*CMD \(\[.*\]\)$/\1/p')
tar -C "$X" -cf "$W/nginx.tar" . &&
  pm import -q --change "$entrypoint" --change "$cmd" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$W/nginx.tar" localhost/supervisor-nginx:latest >/dev/null
serves() { pm exec "$1" wget -qO- http://127.0.0.1/ 2>/dev/null | grep 'served under supervisor' >/dev/null; }
nginx_master() { pm exec "$1" cat /proc/1/task/1/children 2>/dev/null | awk '{print $1}'; }
# crash_restart CONTAINER: SIGSEGV to the nginx master; -c restarts it inside the container
crash_restart() {
  local old m; old=$(nginx_master "$1")
  pm exec "$1" kill -SEGV "$old"
  new_master() { m=$(nginx_master "$1"); [ -n "$m" ] && [ "$m" != "$old" ] && serves "$1"; }
  wait_for 10 new_master "$1" && echo restarted-and-serves || echo "not restarted: master $(nginx_master "$1")"
}

pm run -d --name ex --health-cmd "$healthcheck" --health-interval=disable --health-retries=1 \
  localhost/supervisor-nginx:latest >/dev/null
wait_for 10 serves ex && got=serves || got="no answer"
check dockerfile-nginx-serves "$got/$(pm exec ex cat /proc/1/comm 2>/dev/null)" serves/supervisor
check dockerfile-healthcheck "$(health ex)" 0/healthy
check dockerfile-nginx-crash-restarted-in-place "$(crash_restart ex)/$(state ex)" restarted-and-serves/running/0
t0=$(now_ms); pm stop ex >/dev/null 2>&1; ms=$(( $(now_ms) - t0 ))
check dockerfile-podman-stop-graceful-quit \
  "$(logs_have ex 'signal 3 (SIGQUIT) received' && echo QUIT)/$(state ex)/$([ $ms -lt 8000 ] && echo within-8s || echo "${ms}ms")" \
  QUIT/exited/0/within-8s || show_logs ex

# examples/kubernetes/pod.yaml with `podman kube play`. podman 4.3 publishes every containerPort on
# the host (0.0.0.0:80) and needs a bridge (CNI, iptables) or slirp4netns for it: the pod runs
# with --network none, so the `ports:` entries go (and an httpGet probe's named port becomes 80).
# The image is the one above, tagged supervisor-nginx:latest as the pod asks.
awk '/^ *ports:$/ {skip = 1; ind = index($0, "p"); next}
     skip && match($0, /[^ ]/) > ind {next}
     {skip = 0; sub(/port: http$/, "port: 80"); print}' "$repo/examples/kubernetes/pod.yaml" > "$W/pod.yaml"
pod_field() {  # pod_field command|args|livenessProbe: that JSON-style list of pod.yaml, words joined
  python3 - "$W/pod.yaml" "$1" <<'EOF'
import json, re, sys
text, field = open(sys.argv[1]).read(), sys.argv[2]
if field.endswith('Probe'):
    text = text[text.index(field + ':'):]
    field = 'command'
print(' '.join(json.loads(re.search(r'\b%s: (\[.*\])' % field, text).group(1))))
EOF
}
if pm kube play --network none "$W/pod.yaml" > "$W/kube.log" 2>&1; then
  C=nginx-supervised-nginx
  wait_for 10 serves "$C" && got=serves || got="no answer"
  check pod-nginx-serves "$got" serves
  check pod-command-overrides-entrypoint "$(pm exec "$C" cat /proc/1/cmdline | tr '\0' ' ')" "$(pod_field command) $(pod_field args) "
  check pod-memory-limit "$(pm inspect -f '{{.HostConfig.Memory}}' "$C")" 134217728
  # podman 4.3 makes the livenessProbe a healthcheck and ignores startupProbe and readinessProbe
  check pod-liveness-probe-as-healthcheck "$(pm inspect -f '{{join .Config.Healthcheck.Test " "}}' "$C")/$(health "$C")" \
    "CMD-SHELL $(pod_field livenessProbe) || exit 1/0/healthy"
  check pod-nginx-crash-restarted-in-place "$(crash_restart "$C")/$(state "$C")/restarts $(pm inspect -f '{{.RestartCount}}' "$C")" \
    "restarted-and-serves/running/0/restarts 0"
  # podman 4.3 ignores terminationGracePeriodSeconds: its stop timeout stays 10 s (examples/README.md)
  echo "  (pod: podman's stop timeout $(pm inspect -f '{{.Config.StopTimeout}}' "$C") s; the pod asks for 30)"
  t0=$(now_ms); pm pod stop nginx-supervised >/dev/null 2>&1; ms=$(( $(now_ms) - t0 ))
  check pod-stop-graceful-quit \
    "$(logs_have "$C" 'signal 3 (SIGQUIT) received' && echo QUIT)/$(state "$C")/$([ $ms -lt 8000 ] && echo within-8s || echo "${ms}ms")" \
    QUIT/exited/0/within-8s || show_logs "$C"
  pm kube down "$W/pod.yaml" >/dev/null 2>&1
else
  check pod-kube-play "$(tail -n 1 "$W/kube.log")" started
fi

echo "container suite: $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
exit $fail
