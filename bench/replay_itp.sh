#!/usr/bin/env bash
# Replay the real Microsoft ITP traces (../shared/traces, not in the repo) on fleets of
# the sizes their publishers simulated, under FIFO+backfill and gantry's policy, plus the
# stressed case cluster04 on 512 GPUs. Prints one line per run.
# Usage: bench/replay_itp.sh [TRACES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/traces}
scripts/deps.sh build
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-bench gantry-sim >/dev/null
size() { case $1 in cluster04|cluster07|cluster08|cluster09) echo 1024 ;; cluster10) echo 256 ;; *) echo 512 ;; esac; }
printf '%-10s %5s %6s %-15s %9s %9s %9s %9s %7s %7s\n' trace GPUs jobs policy JCT_mean_h \
  JCT_p50_h wait_mean_h wait_p99_h util% in_dom%
run() { # trace gpus [extra gantry-sim options]
  local t=$1 g=$2
  shift 2
  ./build-bench/gantry-sim --cluster "bench/fleets/itp-$g.yaml" --trace "$dir/$t.csv" \
    --policy fifo,fifo-bf,gantry,gantry-firstfit --json --quiet "$@" | python3 -c '
import json, sys
name, gpus = sys.argv[1], sys.argv[2]
for r in json.load(sys.stdin):
    g = r["gangs"] or 1
    dom = (r["gang_span"]["node"] + r["gang_span"]["domain"]) / g * 100
    print("%-10s %5s %6d %-15s %9.2f %9.2f %9.2f %9.2f %7.1f %7.1f" % (name, gpus, r["jobs"],
          r["policy"], r["jct_mean_h"], r["jct_p50_h"], r["wait_mean_h"], r["wait_p99_h"],
          r["gpu_util_arrivals_pct"], dom))' "$t" "$g"
}
for f in "$dir"/cluster*.csv; do
  t=$(basename "$f" .csv)
  run "$t" "$(size "$t")"
done
echo "# stressed: cluster04 on 512 GPUs; then the same with estimates = actual durations"
run cluster04 512
run cluster04 512 --estimate-factor 1
