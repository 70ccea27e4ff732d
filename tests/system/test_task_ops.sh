#!/usr/bin/env bash
# A task array's tasks one by one, with real processes: each task's own retry budget
# (max_restarts) and back-off (restart_backoff_s, doubling), cancelling some tasks of a
# running array (gantry cancel ID --task RANGES, scancel's ID_[RANGES]), and aftercorr
# (task i of B after task i of A succeeded; B's task dropped when A's failed). A kill -9 of
# gantryd in the middle changes nothing. Bad ranges and mismatched arrays are refused.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init taskops
NODE_CPUS=4
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"

# Own budgets: tasks 0 and 1 each fail twice, then succeed; with a job-wide budget of 2
# one of them would have failed. Each attempt records its time: the back-off (1 s, then
# 2 s) separates them.
py="import os, sys, time; i = os.environ['GANTRY_TASK_ID']; n = int(os.environ['GANTRY_RESTART_COUNT']); open('$W/r.%s.%d' % (i, n), 'w').write(repr(time.time())); sys.exit(1 if n < 2 and i in '01' else 0)"
r=$(submit "{\"name\":\"retry\",\"kind\":\"tasks\",\"tasks\":3,\"gpus\":0,\"cpus\":1,\"max_restarts\":2,\"restart_backoff_s\":1,\"command\":[\"python3\",\"-c\",\"$py\"]}")
check retry-backoff-shown wait_until 10 "api GET /v1/jobs/$r | grep -q '\"backoff\": *1\\|\"reason\": *\"backoff\"'"
check retry-completes wait_until 30 job_state_is "$r" completed
check retry-counts "[ \"\$(job $r 'd[\"units\"][\"done\"], d[\"units\"][\"failed\"], d[\"restarts\"]')\" = '3 0 4' ]"
check retry-backoff-doubles "python3 - $W <<'PY'
import sys
w = sys.argv[1]
for i in '01':
    t = [float(open('%s/r.%s.%d' % (w, i, n)).read()) for n in range(3)]
    print('task', i, 'gaps', round(t[1] - t[0], 2), round(t[2] - t[1], 2))
    if not (t[1] - t[0] >= 0.9 and t[2] - t[1] >= 1.9):
        sys.exit(1)
PY"

# Cancel a range of a running array: 12 tasks, 2 at a time, each 1.5 s. Tasks 3-8 go
# (those running stop); the rest runs.
a=$(G submit -J part -n 12 --max-running 2 -G 0 -c 1 -- sh -c "touch $W/c.\$GANTRY_TASK_ID; sleep 1.5" 2>/dev/null | grep -o '[0-9]*' | head -1)
check part-running wait_until 10 "[ -e $W/c.1 ]"
check cancel-range "G cancel $a --task 3-8 | grep -q 'tasks 3-8 cancelled (6 of 12 tasks cancelled in all'"
kill -9 "$CTLD_PID"
start_ctld || exit 1
check cancel-kept "[ \"\$(job $a 'd[\"units\"][\"cancelled\"]')\" = 6 ]"
check cancel-slurm-form "G cancel "${a}_[10]" | grep -q '7 of 12 tasks cancelled'"
check part-completes wait_until 40 job_state_is "$a" completed
check part-which-ran "[ \"\$(cd $W && ls c.* | sed 's/c.//' | sort -n | tr '\n' ' ')\" = '0 1 2 9 11 ' ]"
check part-units-stopped "[ \"\$(api GET '/v1/jobs/$a/units?state=stopped' | grep -o '\"state\":\"stopped\"' | wc -l)\" = 7 ]"
check part-units-done "[ \"\$(api GET '/v1/jobs/$a/units?state=done' | grep -o '\"state\":\"done\"' | wc -l)\" = 5 ]"
check part-show "G show $a | grep -q '12: 0 pending, 0 running, 5 done, 0 failed, 7 cancelled'"
check cancel-ended "api POST /v1/jobs/$a/cancel '{\"tasks\":\"0\"}' | grep -q '^409 .*already ended'"

# aftercorr: B's task i runs after A's task i succeeded; A's task 2 fails, so B's 2 is dropped.
ap="import os, sys, time; i = int(os.environ['GANTRY_TASK_ID']); time.sleep(0.3 * i); open('$W/a.%d' % i, 'w').write(repr(time.time())); sys.exit(1 if i == 2 else 0)"
bp="import os, time; i = int(os.environ['GANTRY_TASK_ID']); open('$W/b.%d' % i, 'w').write(repr(time.time()))"
ja=$(submit "{\"name\":\"A\",\"kind\":\"tasks\",\"tasks\":4,\"gpus\":0,\"cpus\":1,\"command\":[\"python3\",\"-c\",\"$ap\"]}")
jb=$(G submit -J B -n 4 -G 0 -c 1 -d "aftercorr:$ja" -- python3 -c "$bp" 2>/dev/null | grep -o '[0-9]*' | head -1)
check corr-a-fails wait_until 20 job_state_is "$ja" failed
check corr-b-ends wait_until 20 job_state_is "$jb" completed
check corr-b-counts "[ \"\$(job $jb 'd[\"units\"][\"done\"], d[\"units\"][\"cancelled\"]')\" = '3 1' ]"
check corr-b-why "job $jb 'd[\"failure\"]' | grep -q 'did not succeed will not run (aftercorr:$ja'"
check corr-order "python3 - $W <<'PY'
import os, sys
w = sys.argv[1]
if os.path.exists(w + '/b.2'):
    sys.exit(1)
for i in (0, 1, 3):
    a, b = (float(open('%s/%s.%d' % (w, x, i)).read()) for x in 'ab')
    if b < a:
        sys.exit(1)
PY"

# In a workflow, a step may follow an earlier step's array task by task.
wf='{"steps":{"a":{"kind":"tasks","tasks":3,"gpus":0,"cpus":1,"command":["true"]},"b":{"kind":"tasks","tasks":3,"gpus":0,"cpus":1,"command":["true"],"depends_on":"aftercorr:a"}}}'
api POST /v1/workflows "$wf" >"$T/wf.out"
check wf-corr-accepted "grep -q '^20[01] ' $T/wf.out"
wb=$(sed -n 's/.*"b": *\([0-9]*\).*/\1/p' "$T/wf.out")
check wf-corr-runs wait_until 20 job_state_is "${wb:-none}" completed
bad_wf='{"steps":{"a":{"kind":"tasks","tasks":3,"gpus":0,"cpus":1,"command":["true"]},"b":{"kind":"tasks","tasks":2,"gpus":0,"cpus":1,"command":["true"],"depends_on":"aftercorr:a"}}}'
check wf-corr-size "api POST /v1/workflows '$bad_wf' | grep -q '^400 .*same size.*steps.b'"

# Refused, with the field named.
t=$(submit '{"name":"one","gpus":0,"cpus":1,"command":["sleep","30"]}')
check not-array "api POST /v1/jobs/$t/cancel '{\"tasks\":\"0\"}' | grep -q '^400 .*not a task array'"
check bad-range "api POST /v1/jobs/$t/cancel '{\"tasks\":\"9-3\"}' | grep -q '^400 .*tasks: a range goes up'"
check bad-field "api POST /v1/jobs/$t/cancel '{\"task\":\"1\"}' | grep -q '^400 .*expected tasks.*\"task\"'"
check cli-bad-range "G cancel $t --task x 2>&1 | grep -q 'task numbers N, N-M'"
check corr-size "api POST /v1/jobs '{\"kind\":\"tasks\",\"tasks\":3,\"gpus\":0,\"cpus\":1,\"command\":[\"true\"],\"depends_on\":\"aftercorr:$ja\"}' | grep -q '^400 .*same size.*4'"
check corr-not-array "api POST /v1/jobs '{\"gpus\":0,\"cpus\":1,\"command\":[\"true\"],\"depends_on\":\"aftercorr:$ja\"}' | grep -q '^400 .*only for kind tasks'"
big=$(submit '{"name":"big","kind":"tasks","tasks":5,"gpus":0,"cpus":1,"command":["sleep","30"]}')
check range-past-end "api POST /v1/jobs/$big/cancel '{\"tasks\":\"2-9\"}' | grep -q '^4.. .*tasks 2-9: job $big has tasks 0-4'"
check whole-cancel "G cancel $t $big | grep -c 'cancel requested' | grep -q 2"
stop_all
finish
