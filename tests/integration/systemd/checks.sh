#!/bin/bash
# Runs inside the test container, under systemd 252 as PID 1 (started by ci.service): every
# check of the real-systemd suite against one booted systemd. Prints "ok NAME" or
# "FAIL NAME: got X want Y", then the journal of the units of the failed checks; exits 1 on
# any failure. Waits are bounded polls (wait_until), not fixed sleeps, except where a check is
# about time passing (systemd's watchdog).
# shellcheck disable=SC2317 # functions called through wait_until
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
fail=0
bad_units=""
R=/run/ci # the apps' event files, ExecStopPost's leftover reports

check() { # NAME GOT WANT [UNIT...]
  local name=$1 got=$2 want=$3
  shift 3
  if [ "$got" = "$want" ]; then
    echo "ok $name"
  else
    echo "FAIL $name: got '$got' want '$want'"
    fail=1
    bad_units+=" $*"
  fi
}
sc() { timeout 15 systemctl "$@"; }
prop() { timeout 10 systemctl show -P "$2" "$1"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
wait_until() { # SECONDS COMMAND...: polls COMMAND every 50 ms; status 1 if still false at the end
  local end=$(($(now_ms) + $1 * 1000))
  shift
  until "$@"; do
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.05
  done
}
# (no awk: Debian's /usr/bin/awk is a link through /etc/alternatives, empty in the container)
nth_start() { grep '^start ' "$R/$1.events" 2>/dev/null | sed -n "$2p" | cut -d' ' -f2; }
has_start() { [ -n "$(nth_start "$1" "$2")" ]; }
lines() { # FILE REGEX: how many lines match ("missing" without the file)
  if [ -f "$1" ]; then grep -cE "$2" "$1"; else echo missing; fi
}
http_get() { # PORT: the body of GET / on 127.0.0.1:PORT, or the error
  timeout 10 python3 -c 'import sys, urllib.request as u
try: print(u.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=5).read().decode().strip())
except Exception as e: print("error: %s" % e)' "$1"
}
dead() { ! kill -0 "$1" 2>/dev/null; }
alive_text() { if kill -0 "$1" 2>/dev/null; then echo alive; else echo dead; fi; }
exists_text() { if [ -e "$1" ]; then echo exists; else echo gone; fi; }
logged() { # UNIT REGEX: yes if the unit's journal has a matching line
  if journalctl -o cat --no-pager -u "$1" | grep -qE "$2"; then echo yes; else echo no; fi
}
# The process's cgroup in the hierarchy the supervisor uses: cgroup2 (the only one in the unified
# layout; the "unified" one beside the v1 hierarchies in the hybrid layout), or name=systemd in
# the legacy (v1 only) layout.
cg2() { sed -n "s/^$CG_LINE//p" "/proc/$1/cgroup"; }
below() { # CHILD PARENT: CHILD is a strict descendant of PARENT
  case $1 in "$2"/?*) echo below ;; *) echo "$1" ;; esac
}
leftovers() { # UNIT CHECK-PREFIX: what the supervisor left in the unit's cgroup when it exited
  local f=$R/$1.leftovers
  check "$2/stop-post-ran" "$(lines "$f" '^done')" 1 "$1.service"
  echo "# $1: ExecStopPost $(grep '^ran-in' "$f" 2>/dev/null | tr '\n' ' ')"
  check "$2/no-process-left" "$(grep '^process' "$f" 2>/dev/null | tr '\n' ' ')" "" "$1.service"
  check "$2/no-cgroup-left" "$(grep '^cgroup' "$f" 2>/dev/null | tr '\n' ' ')" "" "$1.service"
}

t_checks=$(now_ms)
CG_LINE=0::
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  layout=unified V2=/sys/fs/cgroup
elif [ -d /sys/fs/cgroup/unified ]; then
  layout=hybrid V2=/sys/fs/cgroup/unified
else
  layout=legacy V2=/sys/fs/cgroup/systemd CG_LINE='[0-9]*:name=systemd:'
fi
echo "# layout $layout ($(stat -f -c %T /sys/fs/cgroup) at /sys/fs/cgroup), $(systemctl --version | head -1)"
mkdir -p $R /var/lib/nginx /var/log/nginx # what the nginx package would have created
cp /ci/units/* /run/systemd/system/
# The repository's example, as is, but for where the supervisor binary lives.
sed 's|/usr/local/bin/supervisor|/ci/supervisor|g' /ci/examples/nginx-supervisor.service \
  > /run/systemd/system/nginx-supervisor.service
# network-online.target (the example's After=/Wants=) would wait 2 minutes for a networkd that
# manages nothing here.
sc mask --runtime --quiet systemd-networkd-wait-online.service
sc daemon-reload

# --- 1. active, MainPID is the supervisor, StatusText ------------------------------------------
sc start sup.service
t_started=$(now_ms)
sup_main=$(prop sup.service MainPID)
check sup/active "$(prop sup.service ActiveState)" active sup.service
check sup/mainpid-is-supervisor "$(cat "/proc/$sup_main/comm" 2>/dev/null)" supervisor sup.service
wait_until 5 has_start sup 1
app=$(nth_start sup 1)
check sup/status-text "$(prop sup.service StatusText)" "running pid $app" sup.service

# --- 7. Delegate=yes: the app in a cgroup below the unit's ------------------------------------
unit_cg=$(prop sup.service ControlGroup)
app_cg=$(cg2 "$app")
check sup/app-cgroup-below-unit "$(below "$app_cg" "$unit_cg")" below sup.service
sup_cg=$(cg2 "$sup_main")
# The supervisor itself may be in the unit's cgroup or a leaf below it (cgroup2 allows no
# process beside child cgroups that have controllers).
sup_where=below
[ "$sup_cg" = "$unit_cg" ] || sup_where=$(below "$sup_cg" "$unit_cg")
check sup/supervisor-in-unit-cgroup "$sup_where" below sup.service
echo "# cgroups: unit $unit_cg, supervisor $sup_cg, app $app_cg"
if [ $layout = hybrid ]; then
  app_sd=$(sed -n 's/^[0-9]*:name=systemd://p' "/proc/$app/cgroup")
  echo "# hybrid: app in name=systemd:$app_sd, cgroup2:$app_cg (unit $unit_cg)"
fi

# --- 4. systemctl kill --kill-whom=main -s HUP reaches the app through the supervisor ----------
sc kill --kill-whom=main -s HUP sup.service
wait_until 5 grep -q "^HUP $app\$" $R/sup.events
check sup/hup-forwarded "$(lines $R/sup.events "^HUP $app\$")" 1 sup.service
check sup/hup-app-unchanged "$(nth_start sup 2)/$(alive_text "$app")" /alive sup.service

# --- 2. WatchdogSec=1 answered: still active after 2.5 periods, recent keep-alives ------------
left=$((t_started + 2500 - $(now_ms)))
[ $left -gt 0 ] && sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
check sup/watchdog-still-active "$(prop sup.service ActiveState)/$(prop sup.service NRestarts)/$(prop sup.service MainPID)" \
  "active/0/$sup_main" sup.service
check sup/watchdog-usec "$(prop sup.service WatchdogUSec)" 1s sup.service
# The last keep-alive systemd got is at least 1.5 s after the start (they come every 0.5 s).
wd_ts=$(prop sup.service WatchdogTimestampMonotonic)
start_ts=$(prop sup.service ExecMainStartTimestampMonotonic)
d=$(((wd_ts - start_ts) / 1000))
check sup/watchdog-keepalives-arrive "$([ $d -ge 1500 ] && echo yes || echo "last one $d ms after start")" \
  yes sup.service

# --- 5. systemctl stop: clean, the app got TERM, nothing left --------------------------------
sc stop sup.service
check sup/stop-result "$(prop sup.service Result)/$(prop sup.service ExecMainStatus)" \
  success/0 sup.service
check sup/stop-app-got-TERM "$(lines $R/sup.events "^TERM $app\$")" 1 sup.service
leftovers sup sup/stop
check sup/stop-no-SIGKILL-by-systemd "$(logged sup.service 'with signal SIGKILL')" no sup.service
check sup/stop-app-cgroup-gone "$(exists_text "$V2$app_cg")" gone sup.service

# An app killed by the forwarded SIGTERM: the supervisor exits 143 (128 + 15), a failure to
# systemd (Result=exit-code, the unit "failed") unless the unit says SuccessExitStatus=143, as
# README ("Under systemd") advises.
sc start term.service
sc stop term.service
check term/stop-143-success-with-SuccessExitStatus \
  "$(prop term.service Result)/$(logged term.service 'killed by SIGTERM')" success/yes term.service

# --- 3. the app's own --watchdog: a miss kills and restarts the app, systemd sees no failure ----
# The first incarnation sends 4 keep-alives 0.3 s apart, then none: its deadline is 1 s after the
# last, ~1.9 s after its start (1 s if the keep-alives were ignored). It survives the SIGABRT:
# the supervisor kills it --stop-timeout (2 s) later, and starts the next one.
sc start wd.service
wd_main=$(prop wd.service MainPID)
wait_until 5 has_start wd 1
p1=$(nth_start wd 1)
aborted() { grep -q "^ABRT $p1 " "$R/wd.events"; }
wait_until 10 aborted
# What systemd shows while the hung app is being stopped (SPEC 7: STATUS= on each transition).
status_hung=$(prop wd.service StatusText)
wait_until 10 has_start wd 2
read -r _ _ t1 usec1 wpid1 < <(grep "^start $p1 " $R/wd.events)
read -r _ _ t_abrt < <(grep "^ABRT $p1 " $R/wd.events)
p2=$(nth_start wd 2)
check wd/app-env "$usec1/$wpid1" "1000000/$p1" wd.service
d=$((${t_abrt:-0} - ${t1:-0}))
check wd/app-keepalives-honoured "$([ $d -ge 1600 ] && [ $d -lt 3000 ] && echo yes || echo "SIGABRT $d ms after start")" \
  yes wd.service
check wd/missed-deadline-logged "$(logged wd.service "pid $p1 missed its watchdog deadline")" yes wd.service
check wd/status-text-while-hung "$(case $status_hung in *watchdog*) echo mentions-watchdog ;; *) echo "$status_hung" ;; esac)" \
  mentions-watchdog wd.service
check wd/hung-app-killed-and-restarted "$(alive_text "$p1")/${p2:+new}" dead/new wd.service
check wd/unit-unaffected "$(prop wd.service ActiveState)/$(prop wd.service NRestarts)/$(prop wd.service MainPID)" \
  "active/0/$wd_main" wd.service
check wd/status-text "$(prop wd.service StatusText)" "running pid $p2" wd.service
sc stop wd.service

# The same hang with WatchdogSec=1 on the unit: systemd sees it (SPEC 7) and ends the unit.
sc start wd-systemd.service
wdsd_failed() { [ "$(prop wd-systemd.service ActiveState)" = failed ]; }
wait_until 10 wdsd_failed
check wd-systemd/systemd-watchdog-sees-the-hang "$(prop wd-systemd.service Result)/$(logged wd-systemd.service 'missed its watchdog deadline')" \
  watchdog/yes wd-systemd.service
sc reset-failed wd-systemd.service

# --- 6. the supervisor gives up, Restart=on-failure restarts the unit -------------------------
sc start giveup.service
auto_restart() { [ "$(prop giveup.service SubState)" = auto-restart ]; }
wait_until 10 auto_restart
check giveup/unit-awaits-restart "$(prop giveup.service SubState)/$(prop giveup.service Result)" \
  auto-restart/exit-code giveup.service
check giveup/exec-main-status "$(prop giveup.service ExecMainCode)/$(prop giveup.service ExecMainStatus)" \
  1/3 giveup.service
check giveup/app-runs-before-giving-up "$(lines $R/giveup.events '^start$')" 3 giveup.service
restarted() { [ "$(prop giveup.service NRestarts)" -ge 1 ]; }
wait_until 10 restarted
check giveup/unit-restarted "$(prop giveup.service NRestarts)" 1 giveup.service
sc stop giveup.service

# --- 8. socket activation with systemd's default limits; the socket held across a crash -------
check sock/default-nofile-soft-limit "$(prop sock.service LimitNOFILESoft)" 1024 sock.service
sc start sock.socket
answer=$(timeout 15 /ci/client.py 18090)
s1=$(nth_start sock 1)
check sock/first-client-served "$answer" "hello from $s1" sock.service
check sock/app-got-socket "$(grep '^start' $R/sock.events | sed -n 1p | cut -d' ' -f3-)" "fds=1 pid-ok=True" sock.service
sock_main=$(prop sock.service MainPID)
kill -KILL "$s1"
wait_until 5 dead "$s1"
# The next incarnation sleeps 0.5 s before its first accept: this client waits in the backlog.
answer=$(timeout 15 /ci/client.py 18090)
s2=$(nth_start sock 2)
check sock/client-during-restart-served-by-next "$answer" "hello from ${s2:-NEXT}" sock.service
check sock/next-got-socket "$(grep '^start' $R/sock.events | sed -n 2p | cut -d' ' -f3-)" "fds=1 pid-ok=True" sock.service
check sock/unit-unaffected "$(prop sock.service ActiveState)/$(prop sock.service MainPID)" "active/$sock_main" sock.service
sc stop sock.socket sock.service

# --- 10. systemctl reload = hot restart: new generation, old one stopped, nothing refused -------
sc start hot.service
hot_main=$(prop hot.service MainPID)
h1=$(nth_start hot 1)
h1_cg=$(cg2 "$h1")
check hot/serving "$(timeout 15 /ci/client.py 18091)" "hello from $h1" hot.service
rm -f $R/hot.stop
/ci/client.py 18091 $R/hot.stop > $R/hot.client &
client=$!
sleep 0.2 # some answers from the old generation first
sc reload hot.service
reload_rc=$?
check hot/reload-command "$reload_rc" 0 hot.service
wait_until 10 has_start hot 2
h2=$(nth_start hot 2)
wait_until 10 dead "$h1"
sleep 0.2 # some answers from the new generation
touch $R/hot.stop
wait_until 10 dead "$client"
read -r served failed pids errors < $R/hot.client
check hot/old-generation-stopped "$(alive_text "$h1")/$(lines $R/hot.events "^TERM $h1\$")" dead/1 hot.service
check hot/no-client-failed "$failed" "failed=0" hot.service
check hot/served-by-both "$pids" "pids=$h1,${h2:-NEW}" hot.service
check hot/unit-unaffected "$(prop hot.service ActiveState)/$(prop hot.service MainPID)/$(prop hot.service NRestarts)" \
  "active/$hot_main/0" hot.service
check hot/status-text "$(prop hot.service StatusText)" "running pid $h2" hot.service
check hot/new-generation-new-cgroup "$(below "$(cg2 "$h2")" "$(prop hot.service ControlGroup)")/$([ "$(cg2 "$h2")" != "$h1_cg" ] && echo new)" \
  below/new hot.service
check hot/old-generation-cgroup-removed "$(exists_text "$V2$h1_cg")" gone hot.service
echo "# hot restart clients: $served $failed $pids $errors"
sc stop hot.service

# --- 9. examples/systemd/nginx-supervisor.service: serve, hot binary upgrade, stop ------------
sc start nginx-supervisor.service
check nginx/active "$(prop nginx-supervisor.service ActiveState)" active nginx-supervisor.service
ng_main=$(prop nginx-supervisor.service MainPID)
check nginx/mainpid-is-supervisor "$(cat "/proc/$ng_main/comm" 2>/dev/null)" supervisor nginx-supervisor.service
wait_until 5 test -s /run/nginx.pid
master1=$(cat /run/nginx.pid)
check nginx/serves "$(http_get 18092)" "nginx ok" nginx-supervisor.service
following() { [ "$(prop nginx-supervisor.service StatusText)" = "running pid $1" ]; }
wait_until 5 following "$master1"
check nginx/status-text "$(prop nginx-supervisor.service StatusText)" "running pid $master1" nginx-supervisor.service
# The hot binary upgrade, as the example's comments and examples/README.md have it.
sc kill -s USR2 --kill-whom=main nginx-supervisor.service
new_master() { [ -s /run/nginx.pid.oldbin ] && [ -s /run/nginx.pid ] && [ "$(cat /run/nginx.pid)" != "$master1" ]; }
wait_until 10 new_master
master2=$(cat /run/nginx.pid)
check nginx/usr2-new-master "$(cat /run/nginx.pid.oldbin 2>/dev/null)/$(alive_text "$master2")" "$master1/alive" \
  nginx-supervisor.service
sc kill -s WINCH --kill-whom=main nginx-supervisor.service
sc kill -s QUIT --kill-whom=main nginx-supervisor.service
wait_until 10 dead "$master1"
check nginx/old-master-gone "$(alive_text "$master1")/$(alive_text "$master2")" dead/alive nginx-supervisor.service
wait_until 5 following "$master2"
check nginx/supervisor-follows-new-master "$(prop nginx-supervisor.service StatusText)" "running pid $master2" \
  nginx-supervisor.service
check nginx/unit-unaffected "$(prop nginx-supervisor.service ActiveState)/$(prop nginx-supervisor.service MainPID)/$(prop nginx-supervisor.service NRestarts)" \
  "active/$ng_main/0" nginx-supervisor.service
check nginx/serves-after-upgrade "$(http_get 18092)" "nginx ok" nginx-supervisor.service
# systemctl reload (ExecReload= HUP through the supervisor): nginx starts new workers.
workers() { pgrep -P "$master2" | sort | tr '\n' ' '; }
workers1=$(workers)
sc reload nginx-supervisor.service
new_workers() { [ -n "$(workers)" ] && [ -z "$(comm -12 <(echo "$workers1" | tr ' ' '\n' | sed '/^$/d') <(workers | tr ' ' '\n' | sed '/^$/d'))" ]; }
wait_until 10 new_workers
check nginx/reload-new-workers "$(new_workers && echo new)/$(alive_text "$master2")" new/alive nginx-supervisor.service
check nginx/serves-after-reload "$(http_get 18092)" "nginx ok" nginx-supervisor.service
sc stop nginx-supervisor.service
check nginx/stop-result "$(prop nginx-supervisor.service Result)/$(prop nginx-supervisor.service ExecMainStatus)" \
  success/0 nginx-supervisor.service
check nginx/no-nginx-left "$(pgrep -x nginx | tr '\n' ' ')" "" nginx-supervisor.service
check nginx/stop-no-SIGKILL-by-systemd "$(logged nginx-supervisor.service 'with signal SIGKILL')" no \
  nginx-supervisor.service

if [ $fail -ne 0 ]; then
  for u in $(echo "$bad_units" | tr ' ' '\n' | sort -u); do
    echo "--- journal of $u"
    journalctl -o short-monotonic --no-pager -u "$u" | tail -n 80
  done
fi
echo "# checks done in $((($(now_ms) - t_checks) / 1000)) s"
exit $fail
