#!/usr/bin/env bash
# The Debian package, as a user gets it: built with cpack from the build directory that holds
# the supervisor binary given, installed with dpkg -i, used (man page, -v, a run, -u), removed
# with dpkg -r and --purge, and then nothing of it may remain. The machine is left as it was:
# the package is purged on every way out, and the test refuses to run (SKIP) where the package
# or an unpackaged /usr/bin/supervisor is already there.
# Usage: tests/integration/package/run.sh path/to/build/supervisor
set -euo pipefail
sup=$(realpath "${1:?usage: run.sh path/to/build/supervisor}")
build=$(dirname "$sup")
pkg=supervisor-pid1
bin=/usr/bin/supervisor
man_page=/usr/share/man/man8/supervisor.8.gz
fails=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

for tool in dpkg cpack man; do
  command -v $tool >/dev/null || { echo "SKIP package: no $tool"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP package: dpkg -i needs root"; exit 0; }
[ -f "$build/CPackConfig.cmake" ] || { echo "FAIL no $build/CPackConfig.cmake"; exit 1; }
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
  echo "SKIP package: $pkg is installed already; this test would remove it"
  exit 0
fi
if [ -e "$bin" ]; then
  echo "SKIP package: $bin exists and is not from $pkg; this test would replace it"
  exit 0
fi

work=$(mktemp -d /tmp/supervisor-package.XXXXXX)
cleanup() {
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
    dpkg --purge "$pkg" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# cpack first brings the build directory up to date (its "preinstall" step builds what is out
# of date there), then installs it into a staging directory and packs that.
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; echo "FAIL cpack -G DEB"; exit 1; }
deb=$(ls "$work"/${pkg}_*.deb)
ok "cpack -G DEB: $(basename "$deb")"
check "the package is named $pkg" test "$(dpkg-deb -f "$deb" Package)" = "$pkg"
# Every path the package holds, as dpkg will list it (./usr/bin/x -> /usr/bin/x).
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#; s#/$##' | grep -v '^$' >"$work/contents"
check "it holds $bin" grep -qx "$bin" "$work/contents"
check "it holds the man page" grep -qx "$man_page" "$work/contents"
check "it holds the README" grep -qx "/usr/share/doc/$pkg/README.md" "$work/contents"

dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; fail "dpkg -i"; exit 1; }
ok "dpkg -i"
check "dpkg says installed" sh -c "dpkg-query -W -f='\${Status}' $pkg | grep -q 'install ok installed'"
check "man -w 8 supervisor finds its page" test "$(man -w 8 supervisor)" = "$man_page"
check "the man page renders" sh -c "MANPAGER=cat MANWIDTH=80 man 8 supervisor 2>/dev/null |
  grep -q 'keep one PID through its restarts'"
version=$("$bin" -v)
check "supervisor -v: $version" test "$version" = "$("$sup" -v)"
if file "$sup" | grep -q 'statically linked'; then
  check "the installed binary is static" sh -c "file -L $bin | grep -q 'statically linked'"
fi
check "the installed binary is stripped" sh -c "file -L $bin | grep -q ', stripped'"
check "supervisor -q -- /bin/true exits 0" "$bin" -q -- /bin/true
status=0; "$bin" -q -- /bin/false || status=$?
check "supervisor -q -- /bin/false exits 1" test $status = 1
if id nobody >/dev/null 2>&1; then
  out=$("$bin" -q -u nobody -- /usr/bin/id -un 2>&1) || true
  check "supervisor -u nobody runs the app as nobody ($out)" test "$out" = nobody
fi

dpkg -r "$pkg" >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; fail "dpkg -r"; }
ok "dpkg -r"
left=()
while read -r path; do
  [ -d "$path" ] && continue  # shared directories (/usr/bin) stay, as they should
  [ -e "$path" ] || [ -L "$path" ] && left+=("$path")
done <"$work/contents"
check "nothing of the package remains after dpkg -r (${left[*]:-})" test ${#left[@]} = 0
check "no directory of its own remains" test ! -e "/usr/share/doc/$pkg"
dpkg --purge "$pkg" >"$work/dpkg-purge.log" 2>&1 || { cat "$work/dpkg-purge.log"; fail "dpkg --purge"; }
check "dpkg --purge forgets it" sh -c "! dpkg-query -W -f='\${Status}' $pkg 2>/dev/null | grep -q installed"
check "dpkg has no file list of it" test ! -e "/var/lib/dpkg/info/$pkg.list"
check "man -w 8 supervisor no longer finds ours" sh -c "[ \"\$(man -w 8 supervisor 2>/dev/null)\" != $man_page ]"

[ $fails = 0 ] || { echo "$fails check(s) failed"; exit 1; }
