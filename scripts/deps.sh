#!/usr/bin/env bash
# Install the Debian packages gantry needs, or print the exact apt-get line when not root.
# Usage: scripts/deps.sh [--list] [build|test|fuzz|multihost]   (each includes build;
# multihost includes test: the heavy tests of several hosts with real PyTorch and MPI jobs).
# --list prints the packages of that set, one a line, and installs nothing.
set -euo pipefail
list=0
[ "${1:-}" = --list ] && { list=1; shift; }
what=${1:-build}
pkgs=(gcc libc6-dev make cmake ninja-build pkg-config libyaml-dev libjansson-dev libmicrohttpd-dev
  libcurl4-openssl-dev libsqlite3-dev libhwloc-dev libsystemd-dev)
case "$what" in
  # dpkg-dev ... fakeroot: tests/system/test_package.sh builds the Debian package (debian/);
  # haproxy: tests/system/test_service_haproxy.sh and test_service_rollout_haproxy.sh put it
  # in front of a service; groff-base, mandoc, man-db, zsh: tests/system/test_man.sh renders
  # the manual pages and runs the completion scripts; prometheus: its promtool checks
  # gantryd's /metrics page (tests/system/test_metrics.sh).
  test) pkgs+=(libcmocka-dev clang-format python3 curl sqlite3 dpkg-dev debhelper lintian fakeroot
    haproxy groff-base mandoc man-db zsh prometheus) ;;
  fuzz) pkgs+=(libcmocka-dev clang libclang-rt-dev) ;;
  multihost)
    pkgs+=(libcmocka-dev clang-format python3 curl sqlite3 dpkg-dev debhelper lintian fakeroot
      haproxy groff-base mandoc man-db zsh prometheus iproute2 util-linux python3-torch openmpi-bin
      libopenmpi-dev)
    ;;
  build) ;;
  *) echo "deps: unknown set '$what' (build, test, fuzz, multihost)" >&2; exit 2 ;;
esac
[ "$list" = 1 ] && { printf '%s\n' "${pkgs[@]}"; exit 0; }
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "deps: missing packages; run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
