#!/usr/bin/env bash
# The main job: build gantry and run the demo on this machine with embedded defaults.
#  1. The real system (scripts/demo.sh): gantryd and gantry-agent on loopback, a 4-rank
#     training job, a service and a task array submitted with the gantry CLI, live
#     progress, a summary, a clean shutdown.
#  2. The same scheduling core in gantry-sim: a sample of a real GPU-cluster trace shipped
#     in the repo (Microsoft ITP, cluster04, its first 1,500 jobs) and a synthetic mixed
#     train/serve/tasks workload, comparing FIFO, FIFO+backfill and gantry's policy side
#     by side, with one line on why they differ.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
ninja -C build gantryd gantry-agent gantry gantry-sim >/dev/null
mkdir -p out/itp out/synth
scripts/demo.sh build
echo

# Replays print their table on stdout and a summary of rejected jobs on stderr; one line
# after each says why the policies differ, from the table's own figures.
row() { # FILE LABEL: the figures of the table row that starts with LABEL
  awk -v l="$2" 'index($0, l) == 1 { print substr($0, length(l) + 1) }' "$1"
}
trace=examples/traces/itp-cluster04-1500.csv
echo "== replay of $trace (the first 1,500 jobs of Microsoft's ITP"
echo "   cluster04, 2021) on examples/fleet-8gpu.yaml (512 H100s in 64 servers, 4 blocks)"
./build/gantry-sim --cluster examples/fleet-8gpu.yaml --trace "$trace" \
  --policy fifo,fifo-bf,gantry,gantry-firstfit --svg out/itp | tee out/itp/report.txt
read -r w_fifo w_bf w_gantry _ < <(row out/itp/report.txt "wait mean (h)")
printf 'why: FIFO lets a big gang at the head block everyone (mean wait %.1f h), backfill fills the holes (%.1f h), gantry also best-fits each gang into the smallest subtree (%.1f h)\n' \
  "$w_fifo" "$w_bf" "$w_gantry"
echo
echo "== synthetic mixed workload (20,000 train, serve and tasks jobs of 4 tenants, 90% load)"
echo "   on examples/fleet-nvl72.yaml (2,304 GPUs in NVL72 domains, plus CPU nodes)"
./build/gantry-sim --cluster examples/fleet-nvl72.yaml --synth 20000 --load 0.9 \
  --policy fifo-bf,gantry,gantry-firstfit --svg out/synth | tee out/synth/report.txt
read -r h_bf h_gantry _ < <(row out/synth/report.txt "wait mean, high (h)")
read -r a_bf a_gantry _ < <(row out/synth/report.txt "wait mean (h)")
printf 'why: gantry starts high-priority jobs first, preempting low-priority ones (their mean wait %.2f h under fifo-bf, %.2f h under gantry; all jobs %.2f h -> %.2f h)\n' \
  "$h_bf" "$h_gantry" "$a_bf" "$a_gantry"
echo
echo "charts (one line per policy):"
echo "  out/itp/utilisation.svg, out/synth/utilisation.svg  share of GPUs allocated over time"
echo "  out/itp/jct-cdf.svg, out/synth/jct-cdf.svg          how many jobs finished within a time"
echo "The full traces (69,351 ITP jobs, Alibaba 2023) are in ../shared/traces when present;"
echo "docs/simulator.md shows how to replay them."
