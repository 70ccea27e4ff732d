#!/usr/bin/env bash
# The whole test suite: format check, unit + system tests in a normal build, then again
# under AddressSanitizer + UndefinedBehaviorSanitizer, then the multihost tests when their
# packages install. This is the README's test command.
#
# `scripts/test.sh multihost` runs the heavy tests instead (ctest label multihost: three
# hosts in network namespaces, real PyTorch DDP and Open MPI jobs, a host cut off
# mid-training), in a release build, after installing what they need (root only).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
if [ "${1:-}" = multihost ]; then
  scripts/deps.sh multihost
  echo "== build (multihost)"
  cmake -S . -B build-test-release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build-test-release >/dev/null
  echo "== tests (multihost)"
  cd build-test-release && exec ctest --output-on-failure -L multihost
fi
scripts/deps.sh test

echo "== clang-format"
bad=$(git ls-files '*.c' '*.h' 2>/dev/null | xargs -r clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
if [ "${bad:-0}" -gt 0 ]; then
  echo "clang-format would change $bad places; run: clang-format -i \$(git ls-files '*.c' '*.h')"
  exit 1
fi

for variant in release asan; do
  dir=build-test-$variant
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  [ "$variant" = asan ] && flags=(-DCMAKE_BUILD_TYPE=Debug -DGT_SANITIZE=ON)
  echo "== build ($variant)"
  cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
  ninja -C "$dir" >/dev/null
  echo "== tests ($variant)"
  (cd "$dir" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$jobs" -LE 'multihost|fresh')
done

# The README's first command on a fresh Debian 12 root (label fresh: debootstrap, then
# ./run.sh inside it as root; about 2 minutes, 1.3 with its cached root). It proves that
# run.sh installs everything it needs: CI's machine already has the packages.
echo "== tests (fresh Debian 12)"
(cd build-test-release && ctest --output-on-failure -L fresh)

# The heavy tests (label multihost: hosts in network namespaces, PyTorch DDP, Open MPI), in
# the release build, wherever their Debian packages are there or can be installed (root).
if scripts/deps.sh multihost; then
  echo "== tests (multihost)"
  (cd build-test-release && ctest --output-on-failure -L multihost)
else
  echo "== tests (multihost): skipped, their packages are missing (see the line above)"
fi
