#!/usr/bin/env bash
# Where the bytes go: the size of each binary given (size(1): text, data, bss) and its
# resident memory while idle, by mapping, from /proc/PID/smaps (and the total from
# /proc/PID/smaps_rollup), each started the same way, `BINARY -- sleep 100`, side by side in
# one run. Peers' binaries may be given as NAME=PATH, e.g.
#   scripts/idle-memory.sh build/supervisor catatonit=/usr/bin/catatonit tini-static=/usr/bin/tini-static
set -euo pipefail
[ $# -gt 0 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
pids=()
names=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
for arg in "$@"; do
  name=${arg%%=*}; path=${arg#*=}
  [ "$name" = "$arg" ] && name=$(basename "$path")
  "$path" -- sleep 100 >/dev/null 2>&1 &
  pids+=($!)
  names+=("$name")
done
# Idle: each has started its sleep (a child running /usr/bin/sleep) and settled.
for p in "${pids[@]}"; do
  for _ in $(seq 100); do
    pgrep -P "$p" -x sleep >/dev/null && break
    sleep 0.05
  done
done
sleep 0.5

printf '%-16s %9s %7s %7s %12s\n' binary text data bss "file bytes"
for i in "${!pids[@]}"; do
  exe=$(readlink -f "/proc/${pids[$i]}/exe")
  read -r text data bss _ < <(size "$exe" | tail -1)
  printf '%-16s %9s %7s %7s %12s\n' "${names[$i]}" "$text" "$data" "$bss" "$(stat -c %s "$exe")"
done
echo
echo "resident KiB by mapping (idle, $(uname -r)):"
for i in "${!pids[@]}"; do
  p=${pids[$i]}
  exe=$(readlink -f "/proc/$p/exe")
  echo "== ${names[$i]} (pid $p, $(file -bL "$exe" | grep -o 'statically linked\|dynamically linked'))"
  # smaps: a header line per mapping (address perms offset dev inode [path]), then fields.
  awk -v exe="$exe" '
    /^[0-9a-f]+-[0-9a-f]+ / {
      perms = $2; path = $6
      if (path == exe) { n = split(exe, parts, "/"); path = parts[n] }
      else if (path == "") path = "[anon]"
      else { n = split(path, parts, "/"); path = parts[n] }
      kind = perms ~ /x/ ? "code" : perms ~ /w/ ? "data" : "ro"
      key = path " " kind
      next
    }
    /^Rss:/ { rss[key] += $2 }
    /^Pss:/ { pss[key] += $2 }
    END { for (k in rss) if (rss[k] > 0) printf "   %-34s Rss %5d  Pss %5d\n", k, rss[k], pss[k] }
  ' "/proc/$p/smaps" | sort -k3 -nr
  grep -E '^(Rss|Pss|Pss_Anon|Pss_File|Anonymous):' "/proc/$p/smaps_rollup" | awk '{printf "   total %-10s %6d kB\n", $1, $2}'
  grep -E '^VmRSS' "/proc/$p/status" | awk '{printf "   VmRSS %d kB\n", $2}'
done
