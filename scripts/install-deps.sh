#!/usr/bin/env bash
# Installs what building and testing supervisor needs on Debian 12, from Debian's archive: the
# toolchain (with clang and libFuzzer for the fuzz targets, lld for the static link), GoogleTest,
# the real daemons the end-to-end suite runs (nginx, redis, haproxy, gunicorn), and the real
# clients of the integration suites (systemd-nspawn, podman with runc). Packages already present are left alone.
set -euo pipefail

packages=(build-essential cmake libgtest-dev libgmock-dev nginx-light redis-server haproxy
          gunicorn systemd util-linux procps podman runc conmon busybox-static python3
          dbus-user-session clang libclang-rt-14-dev lld)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
# systemd-nspawn must match the installed systemd exactly (both are built from one source);
# without systemd yet, apt installs the two together at one version.
if ! installed systemd-container; then
  if installed systemd; then
    missing+=("systemd-container=$(dpkg-query -W -f='${Version}' systemd)")
  else
    missing+=(systemd-container)
  fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
# The packaged services must not start: the tests run their own instances on 127.0.0.1.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
