#!/usr/bin/env bash
# The demo of the README's first command (scripts/demo.sh: gantryd, gantry-agent and the
# CLI on loopback) run GT_DEMO_RUNS times in a row (default 20), each in its own folder at
# a fast pace. Every run must finish with every job done and both daemons stopped by
# SIGTERM: a start-up race (reading a file before it exists, using the API before the
# node is up) fails some of the runs.
set -euo pipefail
src=${GT_SRC:?} bin=$(cd "${GT_BIN:?}" && pwd)
runs=${GT_DEMO_RUNS:-20}
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
want=(
  "== gantryd on http://127.0.0.1:"
  "local  up "
  "train: completed"
  "tasks: completed (12 done, 0 running of 12)"
  "rank 3/4 on GPU 3: step 6"
  "jobs: pending 0, running 0, completed 2, failed 0, cancelled 1"
  "== stopped gantryd and gantry-agent"
)
for i in $(seq "$runs"); do
  out=$tmp/run$i
  rc=0
  GANTRY_NODE=local GANTRY_DEMO_OUT=$out GANTRY_DEMO_STEP=0.1 bash "$src/scripts/demo.sh" "$bin" \
    >"$tmp/run$i.txt" 2>&1 || rc=$?
  bad=""
  [ "$rc" -eq 0 ] || bad="exit $rc"
  for w in "${want[@]}"; do
    grep -qF -- "$w" "$tmp/run$i.txt" || bad="$bad; no line '$w'"
  done
  grep -q 'gantryd: stopped' "$out/gantryd.log" 2>/dev/null || bad="$bad; gantryd did not stop cleanly"
  if [ -n "$bad" ]; then
    fails=$((fails + 1))
    echo "FAIL run $i: ${bad#; }"
    tail -20 "$tmp/run$i.txt"
  else
    passes=$((passes + 1))
  fi
  rm -rf "$out"
done
echo "test_live_demo: $passes of $runs runs passed"
[ "$fails" -eq 0 ]
