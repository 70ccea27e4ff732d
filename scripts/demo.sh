#!/usr/bin/env bash
# The live demo: gantryd and gantry-agent on loopback with their embedded defaults (this
# machine as one node with 4 fake GPUs, named after the host or GANTRY_NODE), a mixed
# workload through the gantry CLI -- a 4-rank training job, a service and a task array --
# live progress, a final summary and a clean shutdown. Everything it writes is under out/demo/.
# Usage: scripts/demo.sh [BUILD_DIR]   (run.sh builds first and calls it)
# Environment (for tests): GANTRY_DEMO_OUT, the folder instead of out/demo;
# GANTRY_DEMO_STEP, seconds per training step and progress line (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(cd "${1:-build}" && pwd)
demo=${GANTRY_DEMO_OUT:-$PWD/out/demo}
pace=${GANTRY_DEMO_STEP:-1}
task_s=$(awk "BEGIN { print 0.3 * $pace }")
show=${demo#"$PWD"/}
rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# wait_for WHAT PID SECONDS CMD...: run CMD every 0.05 s until it succeeds; fail with WHAT's
# log if PID exits first or SECONDS pass.
wait_for() {
  local what=$1 pid=$2 end=$((SECONDS + $3))
  shift 3
  until "$@" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$end" ]; then
      echo "demo: $what did not become ready; its log ($show/$what.log):"
      cat "$what.log"
      exit 1
    fi
    sleep 0.05
  done
}

# 1. The controller: embedded config, journal in ./gantry-data, a free port on loopback.
#    It writes the port to gantryd.port (the file appears whole) once its API answers.
"$bin/gantryd" --listen 127.0.0.1:0 --port-file gantryd.port >gantryd.log 2>&1 &
ctld=$!
pids+=("$ctld")
wait_for gantryd "$ctld" 30 test -s gantryd.port
port=$(cat gantryd.port)
export GANTRY_SERVER=http://127.0.0.1:$port
echo "== gantryd on $GANTRY_SERVER (journal: $show/gantry-data/journal.db)"

# 2. The node agent: discovers this machine, registers as its node (named as gantryd's is).
"$bin/gantry-agent" --server "$GANTRY_SERVER" >agent.log 2>&1 &
agent=$!
pids+=("$agent")
g() { "$bin/gantry" "$@"; }
# Run as root, the agent runs jobs as `nobody`, who may not enter this checkout's folders
# (under /root, say): the jobs work in /tmp.
wd=/tmp
node_up() { g nodes | grep -q ' up '; }
wait_for agent "$agent" 30 node_up
g nodes
sed -n 's/^gantry-agent: \(isolation: .*\|ranks run as .*\)/   agent: \1/p' agent.log
echo

# 3. The workload.
train=$(g submit --name train --kind train --gpus 4 --cpus 1 --workdir "$wd" -- sh -c '
  for step in 1 2 3 4 5 6; do
    echo "rank $RANK/$WORLD_SIZE on GPU $CUDA_VISIBLE_DEVICES: step $step loss 0.$((90 - step * 12 + RANK))"
    sleep '"$pace"'
  done')
serve=$(g submit --name serve --replicas 1 --gpus 0 --cpus 1 --workdir "$wd" -- sh -c '
  echo "serving on $GANTRY_NODE"; while :; do sleep 1; done')
tasks=$(g submit --name tasks --tasks 12 --gpus 0 --cpus 1 --workdir "$wd" -- sh -c '
  echo "task $GANTRY_TASK_ID of job $GANTRY_JOB_ID"; sleep '"$task_s")
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
  sleep "$pace"
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
echo "== stopped gantryd and gantry-agent; logs and journal in $show/"
