#!/usr/bin/env bash
# The live demo: gantryd and gantry-agent on loopback with their embedded defaults (this
# machine as node "local" with 4 fake GPUs), a mixed workload through the gantry CLI -- a
# 4-rank training job, a service and a task array -- live progress, a final summary and a
# clean shutdown. Everything it writes is under out/demo/.
# Usage: scripts/demo.sh [BUILD_DIR]   (run.sh builds first and calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(cd "${1:-build}" && pwd)
demo=$PWD/out/demo
rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# 1. The controller: embedded config, journal in ./gantry-data, a free port on loopback.
"$bin/gantryd" --listen 127.0.0.1:0 >gantryd.log 2>&1 &
ctld=$!
pids+=("$ctld")
for _ in $(seq 100); do
  port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' gantryd.log)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "${port:-}" ] || { echo "gantryd did not start:"; cat gantryd.log; exit 1; }
export GANTRY_SERVER=http://127.0.0.1:$port
echo "== gantryd on $GANTRY_SERVER (journal: out/demo/gantry-data/journal.db)"

# 2. The node agent: discovers this machine, registers as node "local".
"$bin/gantry-agent" --server "$GANTRY_SERVER" >agent.log 2>&1 &
agent=$!
pids+=("$agent")
g() { "$bin/gantry" "$@"; }
# Run as root, the agent runs jobs as `nobody`, who may not enter this checkout's folders
# (under /root, say): the jobs work in /tmp.
wd=/tmp
for _ in $(seq 100); do
  g nodes 2>/dev/null | grep -q ' up ' && break
  sleep 0.1
done
g nodes
sed -n 's/^gantry-agent: \(isolation: .*\|ranks run as .*\)/   agent: \1/p' agent.log
echo

# 3. The workload.
train=$(g submit --name train --kind train --gpus 4 --cpus 1 --workdir "$wd" -- sh -c '
  for step in 1 2 3 4 5 6; do
    echo "rank $RANK/$WORLD_SIZE on GPU $CUDA_VISIBLE_DEVICES: step $step loss 0.$((90 - step * 12 + RANK))"
    sleep 1
  done')
serve=$(g submit --name serve --replicas 1 --gpus 0 --cpus 1 --workdir "$wd" -- sh -c '
  echo "serving on $GANTRY_NODE"; while :; do sleep 1; done')
tasks=$(g submit --name tasks --tasks 12 --gpus 0 --cpus 1 --workdir "$wd" -- sh -c '
  echo "task $GANTRY_TASK_ID of job $GANTRY_JOB_ID"; sleep 0.3')
echo "== submitted: train (job $train, 4 ranks), serve (job $serve), tasks (job $tasks, 12 tasks)"
echo "   the node has $(nproc) core(s): the tasks wait for the training job's core"
echo

# 4. Live progress until the training job and the task array are done.
start=$SECONDS
while :; do
  # The job's own "state" is the first one in its JSON (runs have theirs later).
  t=$(g --json show "$train" | tr -d ' \n' | tr ',' '\n' | sed -n 's/^"state":"\([a-z]*\)"/\1/p' | head -1)
  k=$(g --json show "$tasks" | tr -d ' \n')
  kd=$(printf '%s' "$k" | sed -n 's/.*"units":{"total":[0-9]*,"pending":[0-9]*,"running":\([0-9]*\),"done":\([0-9]*\).*/\2 done, \1 running/p')
  ks=$(printf '%s' "$k" | tr ',' '\n' | sed -n 's/^"state":"\([a-z]*\)"/\1/p' | head -1)
  printf '  %3ds  train: %-9s  tasks: %-9s (%s of 12)\n' $((SECONDS - start)) "$t" "$ks" "$kd"
  [ "$t" != pending ] && [ "$t" != running ] && [ "$ks" != pending ] && [ "$ks" != running ] && break
  [ $((SECONDS - start)) -gt 120 ] && { echo "demo: timed out"; exit 1; }
  sleep 1
done
echo
g cancel "$serve" >/dev/null
g wait "$train" "$tasks" >/dev/null

# 5. Summary.
echo "== jobs"
g jobs --all
echo
echo "== gantry show $train"
g show "$train" | head -20
echo
echo "== gantry logs $train --rank 3 (tail)"
g logs "$train" --rank 3 | tail -3
echo
echo "== gantry cluster"
g cluster

# 6. Clean shutdown: SIGTERM, both exit by themselves.
kill -TERM "$agent" "$ctld"
wait "$agent" "$ctld" 2>/dev/null || true
pids=()
echo
echo "== stopped gantryd and gantry-agent; logs and journal in out/demo/"
