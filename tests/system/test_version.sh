#!/usr/bin/env bash
# Every program prints the same version with --version: CMakeLists.txt's project VERSION
# (its one definition) and, in a git checkout, a commit of that checkout; `gantry version`
# says the same as `gantry --version`, and --version wins over everything else.
#
# Environment (set by ctest): GT_SRC = source tree, GT_BIN = build tree.
set -uo pipefail
src=${GT_SRC:?} bin=${GT_BIN:?}
fails=0 passes=0
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }

want=$(sed -n 's/^project(gantry VERSION \([0-9][0-9.]*\) .*/\1/p' "$src/CMakeLists.txt")
[ -n "$want" ] || { echo "FAIL: no project(gantry VERSION X.Y.Z ...) in CMakeLists.txt"; exit 1; }
first=""
for p in gantry gantryd gantry-agent gantry-sim; do
  out=$("$bin/$p" --version 2>&1) || { fail "$p --version exited $?: $out"; continue; }
  if grep -Eqx "$p $want( \(commit [0-9a-f]{12}(-dirty)?\))?" <<<"$out"; then pass; else
    fail "$p --version: '$out', want '$p $want [(commit HEX)]'"
  fi
  rest=${out#"$p "}
  first=${first:-$rest}
  if [ "$rest" = "$first" ]; then pass; else fail "$p says '$rest', gantry '$first'"; fi
done
[ "$("$bin/gantry" version)" = "$("$bin/gantry" --version)" ] && pass || fail "gantry version differs"
[ "$("$bin/gantry" --server http://127.0.0.1:1 --version jobs)" = "gantry $first" ] && pass ||
  fail "gantry --version jobs does not just print the version"
"$bin/gantry" version extra >/dev/null 2>&1
[ $? -eq 2 ] && pass || fail "gantry version extra: want exit 2"
# Built from a checkout: the commit is one of its commits.
if git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
  commit=$(sed -n 's/.*(commit \([0-9a-f]*\).*/\1/p' <<<"$first")
  if [ -n "$commit" ] && git -C "$src" cat-file -e "$commit^{commit}" 2>/dev/null; then pass; else
    fail "the build's commit '$commit' is not a commit of $src"
  fi
fi
echo "test_version: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
