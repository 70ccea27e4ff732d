#!/usr/bin/env bash
# The main job: build gantry and run the demo on this machine with embedded defaults.
#  1. The real system (scripts/demo.sh): gantryd and gantry-agent on loopback, a 4-rank
#     training job, a service and a task array submitted with the gantry CLI, live
#     progress, a summary, a clean shutdown.
#  2. The same scheduling core at scale in gantry-sim: a real GPU-cluster trace (Microsoft
#     ITP, cluster04, 15,802 jobs) and a synthetic mixed train/serve/tasks workload,
#     comparing FIFO, FIFO+backfill and gantry's policy side by side.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build gantryd gantry-agent gantry gantry-sim >/dev/null
mkdir -p out
scripts/demo.sh build
echo
trace=../shared/traces/cluster04.csv
[ -f "$trace" ] || trace=tests/data/sample.csv
echo "== replay of $trace on examples/fleet-8gpu.yaml (512 H100s)"
./build/gantry-sim --cluster examples/fleet-8gpu.yaml --trace "$trace" \
  --policy fifo,fifo-bf,gantry,gantry-firstfit --svg out/itp
echo
echo "== synthetic mixed workload (train, serve, tasks) on examples/fleet-nvl72.yaml"
./build/gantry-sim --cluster examples/fleet-nvl72.yaml --synth 20000 --load 0.9 \
  --policy fifo-bf,gantry,gantry-firstfit --svg out/synth
echo
echo "charts: out/itp/*.svg out/synth/*.svg"
