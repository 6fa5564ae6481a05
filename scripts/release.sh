#!/usr/bin/env bash
# A release: the static binary, built Release in build-release, packed as
#   supervisor-VERSION-Linux-x86_64.tar.gz   bin/supervisor, share/man/man8, share/doc
#   supervisor-pid1_VERSION_amd64.deb         the same files under /usr
# each with its SHA256 checksum beside it (FILE.sha256), and all of them in SHA256SUMS
# (check with: sha256sum -c SHA256SUMS). Usage: scripts/release.sh [OUTPUT_DIR, default dist]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-dist}")
build="build-release"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSUPERVISOR_TESTS=OFF -DSUPERVISOR_STATIC=ON \
  >/dev/null
cmake --build "$build" -j "$(nproc)"
file "$build/supervisor" | grep -q 'statically linked' ||
  { echo "release.sh: $build/supervisor is not static" >&2; exit 1; }
mkdir -p "$out"
(cd "$build" && cpack -G "TGZ;DEB" -B "$out" >/dev/null)
rm -rf "$out/_CPack_Packages"
cd "$out"
sha256sum -- *.tar.gz *.deb >SHA256SUMS
sha256sum -c SHA256SUMS
ls -l "$out"
