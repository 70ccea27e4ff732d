#!/usr/bin/env bash
# Preemption on real processes: a high-priority job that needs the GPUs of a running
# low-priority one. The victim's ranks get SIGTERM, have the grace period to checkpoint,
# and the preemptor's ranks start only once the victim's processes are gone. The victim is
# requeued, sees GANTRY_RESTART_COUNT=1 and resumes from its checkpoint when the GPUs are
# free again. A victim that ignores SIGTERM is killed when the grace ends.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init preempt
write_config 1
# Preempt at once (no exemption for young work), 2 s of grace unless the job sets its own.
echo "scheduler: {preempt_exempt_s: 0, preempt_grace_s: 2}" >>"$T/cluster.yaml"
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"

submit() { # JSON: prints the job id
  api POST /v1/jobs "$1" | cut -d' ' -f2- | jq_py "d['id']"
}
now='date +%s.%N'

# The victim: one task holding all 4 GPUs; on SIGTERM it writes a checkpoint (1 s of
# work), records when it exits, and exits. On a restart it reads its checkpoint.
victim='if [ "$GANTRY_RESTART_COUNT" -gt 0 ]; then cat '$W'/ckpt > '$W'/resumed; exit 0; fi
trap "sleep 1; echo step-42 > '$W'/ckpt; '$now' > '$W'/v.exit; exit 0" TERM
touch '$W'/v.ready; while :; do sleep 0.1; done'
v=$(submit "$(python3 -c 'import json,sys; print(json.dumps({"kind":"tasks","gpus":4,"cpus":1,"priority":"low","grace_s":5,"command":["sh","-c",sys.argv[1]]}))' "$victim")")
check victim-running wait_until 10 test -e "$W/v.ready"
p=$(submit '{"kind":"tasks","gpus":4,"cpus":1,"priority":"high","command":["sh","-c","'"$now"' > '"$W"'/p.start; sleep 1"]}')
check preemptor-completes wait_until 20 job_state_is "$p" completed
check victim-checkpointed grep -qx step-42 "$W/ckpt"
check preemptor-after-victim "python3 -c 'import sys; e=float(open(sys.argv[1]).read()); s=float(open(sys.argv[2]).read()); sys.exit(0 if e <= s else 1)' $W/v.exit $W/p.start"
check victim-preempted "api GET /v1/jobs/$v | grep -q '\"preemptions\":1'"
check victim-resumes wait_until 20 job_state_is "$v" completed
check victim-resumed-from-checkpoint grep -qx step-42 "$W/resumed"

# A victim that ignores SIGTERM: killed after the scheduler's grace (2 s), and only then
# does the preemptor start.
stubborn='trap "" TERM; touch '$W'/s.ready; while :; do sleep 0.1; done'
s=$(submit "$(python3 -c 'import json,sys; print(json.dumps({"kind":"tasks","gpus":4,"cpus":1,"priority":"low","command":["sh","-c",sys.argv[1]]}))' "$stubborn")")
check stubborn-running wait_until 10 test -e "$W/s.ready"
t0=$(date +%s.%N)
q=$(submit '{"kind":"tasks","gpus":4,"cpus":1,"priority":"high","command":["sh","-c","'"$now"' > '"$W"'/q.start"]}')
check second-preemptor-completes wait_until 20 job_state_is "$q" completed
check waited-for-the-grace "python3 -c 'import sys; s=float(open(sys.argv[1]).read()); sys.exit(0 if s - $t0 >= 1.8 else 1)' $W/q.start"
check stubborn-killed "api GET /v1/jobs/$s | grep -q '\"preemptions\":1'"
api POST "/v1/jobs/$s/cancel" >/dev/null

finish
