#!/usr/bin/env bash
# The README's first command (./run.sh) needs nothing that only the test command installs.
# CI runs on machines where scripts/test.sh has installed its packages, so a build that
# silently needs one of them (cmocka did) stays green there and fails on a fresh machine.
# This test makes that failure visible here:
#  1. every pkg-config module CMake requires for the programs (everything before the
#     BUILD_TESTING gate) comes from a package that `scripts/deps.sh build` installs;
#  2. with the pkg-config files of every package outside that set hidden, run.sh's own
#     configure line (read from run.sh) succeeds and the programs it builds link;
#  3. run.sh builds with BUILD_TESTING=OFF, and test-only modules sit behind the gate.
set -euo pipefail
src=${GT_SRC:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
cd "$src"

command -v dpkg-query >/dev/null || { echo "SKIP: not a Debian system"; exit 77; }
# It builds its own tree: once per suite is enough (the sanitizer variant skips it).
if grep -qs '^GT_SANITIZE:BOOL=ON' "${GT_BIN:-/nonexistent}/CMakeCache.txt"; then
  echo "SKIP: checked in the release variant"
  exit 77
fi
mapfile -t build_pkgs < <(scripts/deps.sh --list build)
# (here-strings, not pipes: under pipefail, `printf | grep -q` fails when grep exits
# before printf has written everything)
in_build() { grep -qxF "$1" <<<"$(printf '%s\n' "${build_pkgs[@]}")"; }

# 1. Modules required before the gate, and the packages their .pc files come from.
gate=$(grep -n '^if(NOT BUILD_TESTING)' CMakeLists.txt | cut -d: -f1 || true)
[ -n "$gate" ] && ok || bad "CMakeLists.txt has no 'if(NOT BUILD_TESTING)' gate"
mapfile -t mods < <(head -n "${gate:-999999}" CMakeLists.txt |
  sed -n 's/^ *pkg_check_modules([A-Z_]* REQUIRED IMPORTED_TARGET \([^ )]*\)).*/\1/p')
[ ${#mods[@]} -ge 5 ] && ok || bad "found only ${#mods[@]} required modules before the gate"
for m in "${mods[@]}"; do
  dir=$(pkg-config --variable=pcfiledir "$m" 2>/dev/null) || { bad "module $m: no .pc file"; continue; }
  pkg=$(dpkg-query -S "$dir/$m.pc" 2>/dev/null | head -1 | cut -d: -f1)
  if [ -z "$pkg" ]; then
    bad "module $m: $dir/$m.pc belongs to no package"
  elif in_build "$pkg"; then
    ok
  else
    bad "module $m comes from $pkg, which 'scripts/deps.sh build' does not install"
  fi
done
# Test-only modules must come after the gate.
if grep -q 'pkg_check_modules(.*cmocka' <<<"$(head -n "${gate:-999999}" CMakeLists.txt)"; then
  bad "cmocka is required before the BUILD_TESTING gate"
else
  ok
fi

# 3. run.sh's configure line turns the tests off.
line=$(grep -m1 '^cmake -S \. -B build ' run.sh || true)
case "$line" in
  *-DBUILD_TESTING=OFF*) ok ;;
  *) bad "run.sh's cmake line does not pass -DBUILD_TESTING=OFF: $line" ;;
esac
targets=$(sed -n 's/^ninja -C build \([^>]*\)>.*/\1/p' run.sh)
[ -n "$targets" ] && ok || bad "run.sh has no 'ninja -C build TARGETS' line"

# 2. Configure and build as run.sh does, seeing only the build set's pkg-config files.
# Hidden: the .pc files of every package that the test, fuzz or multihost sets install
# beyond the build set (what CI's machines have and a fresh one does not).
mapfile -t extra < <(for s in test fuzz multihost; do scripts/deps.sh --list "$s"; done |
  sort -u | grep -vxF -f <(printf '%s\n' "${build_pkgs[@]}"))
hidden=()
for p in "${extra[@]}"; do
  mapfile -t -O "${#hidden[@]}" hidden < <(dpkg-query -L "$p" 2>/dev/null | grep '\.pc$')
done
mkdir -p "$tmp/pc"
for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
  for f in "$d"/*.pc; do
    [ -e "$f" ] || continue
    grep -qxF "$f" <<<"$(printf '%s\n' "${hidden[@]}")" && continue
    ln -sf "$f" "$tmp/pc/"
  done
done
[ ! -e "$tmp/pc/cmocka.pc" ] && ok || bad "cmocka.pc still visible"
flags=$(sed 's/^cmake -S \. -B build //; s/ *>.*//' <<<"$line")
# shellcheck disable=SC2086
if PKG_CONFIG_LIBDIR="$tmp/pc" cmake -S . -B "$tmp/build" $flags >"$tmp/cmake.log" 2>&1; then
  ok
else
  bad "run.sh's configure fails without the test-only packages:"
  tail -15 "$tmp/cmake.log"
fi
# shellcheck disable=SC2086
if [ -f "$tmp/build/build.ninja" ] && ninja -C "$tmp/build" $targets >"$tmp/ninja.log" 2>&1; then
  for t in $targets; do [ -x "$tmp/build/$t" ] && ok || bad "run.sh's target $t was not built"; done
else
  bad "run.sh's build fails without the test-only packages:"
  tail -15 "$tmp/ninja.log" 2>/dev/null
fi

echo "test_quickstart_deps: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
