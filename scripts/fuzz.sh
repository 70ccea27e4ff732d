#!/usr/bin/env bash
# Build the libFuzzer harnesses (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan, and run
# each for SECONDS (default 60) on a copy of its seed corpus (tests/fuzz/corpus/NAME).
# Exits non-zero if any harness finds a crash, leak, UB, timeout or out-of-memory; the
# reproducer is left in build-fuzz/artifacts-NAME/. Found inputs go to build-fuzz/corpus-NAME.
# Usage: scripts/fuzz.sh [SECONDS]
# Reproduce one input: build-fuzz/fuzz_NAME FILE
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
scripts/deps.sh fuzz
dir=build-fuzz
names=(config jobspec trace tokens api launch proto jread)

echo "== configure ($dir, clang, GT_FUZZ=ON)"
CC=clang cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DGT_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "== build"
ninja -C "$dir" "${names[@]/#/fuzz_}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
summary=()
for n in "${names[@]}"; do
  corpus=$dir/corpus-$n
  art=$dir/artifacts-$n
  log=$dir/fuzz-$n.log
  mkdir -p "$corpus" "$art"
  cp -f tests/fuzz/corpus/"$n"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz_$n for ${secs}s (corpus $corpus, log $log)"
  rc=0
  "$dir/fuzz_$n" "$corpus" -max_total_time="$secs" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  [ -n "$execs" ] || execs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#' || true)
  units=$(find "$corpus" -type f | wc -l)
  if [ "$rc" -ne 0 ]; then
    failed+=("$n")
    summary+=("fuzz_$n: FAILED (exit $rc) after ${execs:-?} executions; corpus $units files")
    echo "fuzz_$n: FAILED (exit $rc); the end of $log:"
    tail -n 40 "$log"
    ls -1 "$art"
  else
    summary+=("fuzz_$n: ok, ${execs:-?} executions in ${secs}s; corpus $units files")
  fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]} (reproducers in $dir/artifacts-NAME/)" >&2
  exit 1
fi
