#!/usr/bin/env bash
# Time from submit to every rank of a 3-host gang running: three hosts in network
# namespaces (tests/system/lib/netns.sh: one gantry-agent in each, gantryd on the bridge),
# a train job of 3 nodes x 2 ranks (gpus 6, gpus_per_node 2) whose ranks each write the
# clock (date +%s.%N) the moment they start, then exit. Latency of one run = the last
# rank's timestamp - the clock just before `POST /v1/jobs` (one machine, one clock).
# RUNS runs (default 20) one after the other, each after the last one completed; prints
# every run, the median and p90. Root only (namespaces, cgroups); the ranks run as nobody.
# Usage: bench/gang_start.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
scripts/deps.sh build
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-bench gantryd gantry-agent >/dev/null
export GT_SRC=$PWD GT_BIN=$PWD/build-bench
set +e # the test helpers below check what they need themselves (and clean up on exit)
. tests/system/lib/cluster.sh
. tests/system/lib/netns.sh
netns_require
netns_init gangbench
W=$T/w
shared_dir "$W"
netns_up 3 || exit 1
netns_start_ctld || exit 1
for k in 1 2 3; do netns_start_agent "$k"; done
wait_until 15 "node_state_is n1 up && node_state_is n2 up && node_state_is n3 up" ||
  { echo "the nodes did not come up"; exit 1; }
# shellcheck disable=SC2016 # $GANTRY_JOB_ID and $RANK are the rank's, not ours
cmd='date +%s.%N > '"$W"'/start.$GANTRY_JOB_ID.$RANK'
spec=$(python3 -c 'import json,sys; print(json.dumps({"name":"gang-start","gpus":6,"gpus_per_node":2,"cpus":2,"command":["/bin/sh","-c",sys.argv[1]],"workdir":sys.argv[2]}))' "$cmd" "$W")
: >"$T/latencies"
for i in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  id=$(api POST /v1/jobs "$spec" | cut -d' ' -f2- | jq_py "d['id']")
  wait_until 60 job_state_is "$id" completed || { echo "job $id did not complete"; exit 1; }
  [ "$(ls "$W"/start."$id".* | wc -l)" -eq 6 ] || { echo "job $id: not 6 ranks"; exit 1; }
  hosts=$(api GET "/v1/jobs/$id" | cut -d' ' -f2- | jq_py "len({n['node'] for n in d['placement'][0]['nodes']})")
  [ "$hosts" -eq 3 ] || { echo "job $id ran on $hosts hosts, not 3"; exit 1; }
  last=$(sort -n "$W"/start."$id".* | tail -1)
  ms=$(python3 -c "print(round(($last - $t0) * 1000, 1))")
  echo "$ms" >>"$T/latencies"
  printf 'run %2d: job %s, all 6 ranks on 3 hosts running after %s ms\n' "$i" "$id" "$ms"
done
python3 - "$T/latencies" <<'EOF'
import math, statistics, sys
v = sorted(float(x) for x in open(sys.argv[1]))
p90 = v[math.ceil(0.9 * len(v)) - 1]  # nearest rank
print(f"submit -> all ranks of a 3-host gang running, {len(v)} runs: "
      f"median {statistics.median(v):.1f} ms, p90 {p90:.1f} ms, min {v[0]:.1f}, max {v[-1]:.1f}")
EOF
stop_all
