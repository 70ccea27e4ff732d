#!/usr/bin/env bash
# Shares of a GPU through the real daemons: tasks asking for a quarter of a GPU and 2 GiB of
# its memory run four to a GPU at once; their ranks see the same CUDA_VISIBLE_DEVICES and the
# CUDA MPS limits, and the MPS daemon's folders when the agent runs one (a stand-in for
# nvidia-cuda-mps-control records what the agent asks of it: -d at start, quit at exit).
# The node document shows what shares hold of each GPU; whole GPUs go around them; a
# gantryd killed and restarted keeps them. Without MPS the share is accounted, not
# enforced, and the job and node documents say so. Bad shares get a clear error.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init share
NODE_CPUS=8
write_config 1
sed -i 's/gpus: 4, gpu_model: fake,/gpus: 4, gpu_model: fake, gpu_memory_gb: 16,/' "$T/cluster.yaml"
start_ctld || exit 1

# The stand-in MPS control program: it runs with the agent's MPS folders in its environment.
mkdir -p "$T/bin" "$T/out"
chmod 755 "$T" && chmod 777 "$T/out" # jobs run as nobody when the agent is root
cat >"$T/bin/nvidia-cuda-mps-control" <<'EOF'
#!/bin/sh
if [ "$1" = "-d" ]; then
  echo "start $CUDA_MPS_PIPE_DIRECTORY" >>"$CUDA_MPS_LOG_DIRECTORY/control.log"
else
  read -r cmd
  echo "$cmd $CUDA_MPS_PIPE_DIRECTORY" >>"$CUDA_MPS_LOG_DIRECTORY/control.log"
fi
EOF
chmod +x "$T/bin/nvidia-cuda-mps-control"
AGENT_EXTRA=(--mps-control "$T/bin/nvidia-cuda-mps-control")
start_agent n1
check node-up wait_until 10 node_state_is n1 up
MPS="$T/agent-n1/mps"
check mps-started "grep -qx 'start $MPS/pipe' '$MPS/log/control.log'"
node_field() { api GET /v1/nodes/n1 | cut -d' ' -f2- | jq_py "$1"; }
check node-mps "[ \"\$(node_field 'd[\"gpu_sharing\"], d[\"gpu_memory_mb\"]')\" = 'mps 16384' ]"

# Four quarter-GPU tasks: one GPU, all at once (each waits for the others to have started).
cmd='env | grep -E "^(CUDA_|GANTRY_GPU)" | sort >'"$T"'/out/t$GANTRY_TASK_ID; touch '"$T"'/out/up$GANTRY_TASK_ID; while [ $(ls '"$T"'/out/up* | wc -l) -lt 4 ]; do sleep 0.1; done; sleep 300'
cmd_json=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$cmd")
q=$(submit "{\"kind\":\"tasks\",\"tasks\":4,\"gpus\":0.25,\"gpu_memory_mb\":2048,\"cpus\":1,\"command\":[\"sh\",\"-c\",$cmd_json]}")
check four-running wait_until 15 "[ \"\$(job $q 'd[\"units\"][\"running\"]')\" = 4 ] && [ -f '$T/out/t3' ]"
check one-gpu "[ \"\$(cat '$T'/out/t* | grep '^CUDA_VISIBLE_DEVICES=' | sort -u | wc -l)\" = 1 ]"
check mps-limits "grep -qx 'CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25' '$T/out/t0' && grep -qx 'CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=2048M' '$T/out/t0'"
check mps-pipe "grep -qx 'CUDA_MPS_PIPE_DIRECTORY=$MPS/pipe' '$T/out/t1' && grep -qx 'GANTRY_GPU_SHARING=mps' '$T/out/t1'"
check share-env "grep -qx 'GANTRY_GPU_MILLI=250' '$T/out/t2' && grep -qx 'GANTRY_GPU_MEMORY_MB=2048' '$T/out/t2'"
check job-share "[ \"\$(job $q 'd[\"gpu_share\"]')\" = \"{'milli': 250, 'memory_mb': 2048, 'enforced': True}\" ]"
check node-shares "[ \"\$(node_field '[(s[\"milli_used\"], s[\"memory_used_mb\"]) for s in d[\"gpu_shares\"]], d[\"gpus_free\"]')\" = '[(1000, 8192)] 3' ]"
check cli-show "G show $q | grep -q 'GPU share: 250/1000 of one GPU and 2048 MiB of its memory, enforced by CUDA MPS' || G show $q"

# Whole GPUs go around the shared one: 3 fit, 4 wait.
three=$(submit '{"gpus":3,"cpus":1,"command":["sleep","300"]}')
four=$(submit '{"gpus":4,"cpus":1,"command":["sleep","300"]}')
check whole-around wait_until 10 "job_state_is $three running && [ \"\$(job $four 'd[\"state\"], d[\"reason\"]')\" = 'pending resources' ]"
G cancel "$three" >/dev/null

# A restarted gantryd keeps the shares where they are (journal replay) and the agent's
# ranks keep running.
kill -9 "$CTLD_PID"
start_ctld || exit 1
check shares-after-restart wait_until 10 "[ \"\$(node_field '[s[\"milli_used\"] for s in d[\"gpu_shares\"]]')\" = '[1000]' ]"
check still-running wait_until 10 "[ \"\$(job $q 'd[\"units\"][\"running\"]')\" = 4 ]"
G cancel "$q" "$four" >/dev/null
check shares-freed wait_until 15 "[ \"\$(node_field 'd[\"gpu_shares\"], d[\"gpus_free\"]')\" = '[] 4' ]"

# The agent stops: it stops the MPS daemon. Without MPS a share is accounted only.
kill "${AGENT_PID[n1]}"
check mps-quit wait_until 10 "grep -qx 'quit $MPS/pipe' '$MPS/log/control.log'"
wait_until 10 "! kill -0 ${AGENT_PID[n1]}"
AGENT_EXTRA=(--mps-control none)
start_agent n1
check node-accounted wait_until 10 "[ \"\$(node_field 'd[\"gpu_sharing\"]')\" = accounted ]"
rm -f "$T"/out/*
h=$(submit '{"kind":"serve","gpus":1,"gpu_milli":500,"cpus":1,"command":["sh","-c","env | grep -E \"^(CUDA_|GANTRY_GPU)\" >'"$T"'/out/s; exec sleep 300"]}')
check accounted-env wait_until 15 "grep -qx 'GANTRY_GPU_SHARING=accounted' '$T/out/s' && ! grep -q CUDA_MPS '$T/out/s'"
check job-accounted "[ \"\$(job $h 'd[\"gpu_share\"][\"enforced\"]')\" = False ]"
check cli-accounted "G show $h | grep -q 'GPU share: 500/1000 of one GPU, accounted but not enforced (no CUDA MPS on its node)' || G show $h"
G cancel "$h" >/dev/null

# Bad shares: refused with the field, nothing submitted.
bad() { # STATUS BODY NEEDLE
  local r
  r=$(api POST /v1/jobs "$2")
  [ "${r%% *}" = "$1" ] && printf '%s' "$r" | grep -q "$3" || { echo "$r"; false; }
}
check bad-train "bad 400 '{\"gpus\":0.5,\"command\":[\"true\"]}' 'gpu_milli: a share of one GPU is for serve replicas and tasks'"
check bad-range "bad 400 '{\"kind\":\"tasks\",\"gpu_milli\":1000,\"command\":[\"true\"]}' 'gpu_milli: must be between 0 and 999'"
check bad-multi "bad 400 '{\"kind\":\"tasks\",\"gpus\":2,\"gpu_milli\":300,\"command\":[\"true\"]}' 'gpus must be 1, got 2'"
check bad-memory "bad 422 '{\"kind\":\"tasks\",\"gpus\":1,\"gpu_memory_mb\":20000,\"command\":[\"true\"]}' '20000 MiB: no GPU of this fleet has that much memory'"
check bad-model-set "bad 422 '{\"kind\":\"tasks\",\"gpus\":1,\"gpu_milli\":100,\"gpu_model\":\"X|Y\",\"command\":[\"true\"]}' \"no node has any GPU model of 'X|Y'\""
check model-set-ok "[ \"\$(api POST /v1/jobs '{\"kind\":\"tasks\",\"gpus\":1,\"gpu_milli\":100,\"gpu_model\":\"X|fake\",\"command\":[\"true\"]}' | cut -d' ' -f1)\" = 201 ]"
stop_all
finish
