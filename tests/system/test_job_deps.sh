#!/usr/bin/env bash
# Dependencies between jobs, as sbatch's --dependency: a job waits (pending, reason
# dependency) until each job it names has completed (afterok), failed or been cancelled
# (afternotok), ended (afterany) or started (after); one whose dependency can never be met
# is cancelled saying why. A restarted gantryd keeps a waiting job waiting. A user may only
# depend on jobs of their tenant; bad dependencies are refused with the field named. A task
# array with max_running runs no more than that many tasks at once.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init deps
NODE_CPUS=4
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"
stamp() { echo "[\"sh\",\"-c\",\"python3 -c 'import time; print(repr(time.time()))' >$W/$1.start; $2\"]"; }

a=$(submit "{\"name\":\"a\",\"gpus\":1,\"cpus\":1,\"command\":$(stamp a 'sleep 3')}")
b=$(submit "{\"name\":\"b\",\"gpus\":1,\"cpus\":1,\"depends_on\":\"afterok:$a\",\"command\":$(stamp b true)}")
check b-waits wait_until 5 "[ \"\$(job $b 'd[\"state\"], d[\"reason\"]')\" = 'pending dependency' ]"
check cli-reason "G jobs | grep -E '^ *$b ' | grep -q dependency"

# A restart keeps it waiting.
kill -9 "$CTLD_PID"
start_ctld || exit 1
check still-waits "[ \"\$(job $b 'd[\"state\"], d[\"reason\"]')\" = 'pending dependency' ]"
check a-completes wait_until 15 job_state_is "$a" completed
check b-completes wait_until 15 job_state_is "$b" completed
check b-after-a "python3 -c 'import sys; sys.exit(0 if float(open(\"$W/b.start\").read()) > float(open(\"$W/a.start\").read()) + 2.5 else 1)'"

c=$(submit '{"name":"c","gpus":1,"cpus":1,"command":["false"]}')
d=$(G submit -J d -G 1 -c 1 -d "afterok:$c" -- true 2>/dev/null | grep -o '[0-9]*' | head -1)
e=$(submit "{\"name\":\"e\",\"gpus\":1,\"cpus\":1,\"depends_on\":\"afternotok:$c\",\"command\":[\"true\"]}")
f=$(submit "{\"name\":\"f\",\"gpus\":1,\"cpus\":1,\"depends_on\":\"afterany:$c,after:$a\",\"command\":[\"true\"]}")
check d-cancelled wait_until 15 job_state_is "$d" cancelled
check d-says-why "[ \"\$(job $d 'd[\"failure\"]')\" = 'its dependency afterok:$c can never be met: job $c failed' ]"
check d-event "api GET '/v1/events?job=$d' | grep -q 'can never be met'"
check e-runs wait_until 15 job_state_is "$e" completed
check f-runs wait_until 15 job_state_is "$f" completed

# A throttled array: 6 tasks, at most 2 at once (each records when it ran).
arr=$(G submit -J thr -n 6 --max-running 2 -G 0 -c 1 -- python3 -c "import os, time; t = time.time(); time.sleep(0.6); open('$W/task.' + os.environ['GANTRY_TASK_ID'], 'w').write('%r %r' % (t, time.time()))" 2>/dev/null | grep -o '[0-9]*' | head -1)
check throttled-done wait_until 30 job_state_is "$arr" completed
check at-most-two "python3 - $W <<'PY'
import glob, sys
iv = [tuple(map(float, open(f).read().split())) for f in glob.glob(sys.argv[1] + '/task.*')]
most = max(sum(1 for a, b in iv if a <= t < b) for t, _ in iv)
print('tasks', len(iv), 'most at once', most)
sys.exit(0 if len(iv) == 6 and most == 2 else 1)
PY"

check other-tenant "api POST /v1/jobs '{\"command\":[\"true\"],\"depends_on\":\"afterok:$a\"}' '$TOK_A' | grep -q '^404 .*depends_on'"
check no-such-job "api POST /v1/jobs '{\"command\":[\"true\"],\"depends_on\":\"afterok:999\"}' | grep -q '^404 .*no job 999 to depend on'"
check bad-syntax "api POST /v1/jobs '{\"command\":[\"true\"],\"depends_on\":\"after_ok:1\"}' | grep -q '^400 .*depends_on: expected TYPE:JOB'"
check cli-bad "G submit -d 'afterok' -- true 2>&1 | grep -q 'depends_on: expected TYPE:JOB'"
stop_all
finish
