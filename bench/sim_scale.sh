#!/usr/bin/env bash
# Simulator scale benchmark: replay a synthetic mixed trace of JOBS jobs (default 1,000,000)
# at offered load 1.0 on the large benchmark fleet (504,000 GPUs + 100,000 CPU nodes) and
# on 1/8 and 1/64 of it, one core, and print wall time, decisions per second, pass latency
# and per-decision latency percentiles (us) and peak RSS. Usage: bench/sim_scale.sh [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-1000000}
scripts/deps.sh build
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-bench gantry-sim >/dev/null
printf '%-18s %8s %10s %8s %9s %12s %9s %9s %9s %9s %8s %9s\n' fleet GPUs cores jobs wall_s \
  decisions/s pass_p50 pass_p99 dec_p50 dec_p99 rss_MiB gpu_util%
for f in bench/fleets/fleet-large-64th.yaml bench/fleets/fleet-large-8th.yaml examples/fleet-large.yaml; do
  out=$(./build-bench/gantry-sim --cluster "$f" --synth "$jobs" --load 1.0 --timing --quiet --json)
  python3 - "$f" "$jobs" <<PY "$out"
import json, sys
r = json.loads(sys.argv[3])[0]; t = r["timing"]
print("%-18s %8s %10s %8s %9.2f %12.0f %9.1f %9.1f %9.2f %9.2f %8.0f %9.1f" % (
    sys.argv[1].split("/")[-1].replace(".yaml", ""), r["fleet"]["gpus"], r["fleet"]["cores"],
    sys.argv[2], t["wall_s"],
    t["decisions_per_s"], t["pass_p50_us"], t["pass_p99_us"], t["decision_p50_us"],
    t["decision_p99_us"], t["peak_rss_kb"] / 1024,
    r["gpu_util_arrivals_pct"]))
PY
done
