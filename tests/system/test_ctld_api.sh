#!/usr/bin/env bash
# gantryd + two gantry-agents on loopback, through the HTTP API: jobs run as real
# processes with the rank environment, logs come back, cancel kills, auth is enforced,
# bad input gets a 4xx with a reason and changes nothing.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init api
write_config 2
start_ctld || exit 1
start_agent n1
start_agent n2
check nodes-up wait_until 10 node_state_is n2 up

# A 2-node training gang: 8 ranks, each sees its rank and one GPU.
out=$T/out
shared_dir "$out"
cmd='echo "$RANK/$WORLD_SIZE local=$LOCAL_RANK node=$NODE_RANK gpu=$CUDA_VISIBLE_DEVICES master=$MASTER_ADDR:$MASTER_PORT" > '$out'/r$RANK; pwd >> '$out'/r$RANK; cat "$GANTRY_HOSTFILE" >> '$out'/r$RANK || true'
body=$(python3 -c 'import json,sys; print(json.dumps({"name":"gang","tenant":"a","gpus":8,"gpus_per_node":4,"cpus":2,"command":["sh","-c",sys.argv[1]],"workdir":sys.argv[2]}))' "$cmd" "$T")
check submit-gang "api POST /v1/jobs '$body' | grep -q '^201 '"
check gang-completes wait_until 20 job_state_is 0 completed
check gang-ranks "ls $out | wc -l | grep -qx 8"
check gang-started-reported "api GET /v1/jobs/0 | grep -q '\"ranks\":8,\"ranks_started\":8,\"ranks_exited\":8'"
check gang-env grep -q "^5/8 local=1 node=1 gpu=1 master=127.0.0.1:" "$out/r5"
check gang-workdir grep -qx "$T" "$out/r5"
# The MPI hostfile, readable by the ranks (run as nobody when the agent is root).
check gang-hostfile "test \"\$(tail -2 $out/r5)\" = \"\$(printf '127.0.0.1 slots=4\n127.0.0.1 slots=4')\""
check gang-two-nodes "api GET /v1/jobs/0 | grep -q '\"node\":\"n1\"' && api GET /v1/jobs/0 | grep -q '\"node\":\"n2\"'"

# Logs of a rank, stdout and stderr.
check submit-logs "api POST /v1/jobs '{\"gpus\":1,\"command\":[\"sh\",\"-c\",\"echo to-out; echo to-err >&2\"]}' | grep -q '^201 '"
check logs-job-done wait_until 20 job_state_is 1 completed
check logs-stdout "curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs/1/logs' | grep -qx to-out"
check logs-stderr "curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs/1/logs?stream=stderr' | grep -qx to-err"
check logs-done-header "curl -s -D - -o /dev/null -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs/1/logs' | grep -qi '^X-Gantry-Done: 1'"

# A failing job fails and records its exit code; a missing command says why.
api POST /v1/jobs '{"gpus":0,"cpus":1,"command":["sh","-c","exit 7"]}' >/dev/null
check failed-job wait_until 20 job_state_is 2 failed
check failed-exit-code "api GET /v1/jobs/2 | grep -q '\"exit_code\":7'"
api POST /v1/jobs '{"gpus":0,"cpus":1,"command":["/no/such/program"]}' >/dev/null
check missing-command wait_until 20 job_state_is 3 failed
check missing-command-reason "api GET /v1/jobs/3 | grep -q 'no/such/program'"

# Cancel kills the whole process tree.
api POST /v1/jobs '{"gpus":1,"command":["sh","-c","sleep 300 & sleep 300; wait"]}' >/dev/null
check cancel-running wait_until 20 job_state_is 4 running
pidf=$(ls "$T"/agent-*/runs/4-0-*-*/rank0/pid 2>/dev/null | head -1)
check cancel-pidfile test -n "$pidf"
pgid=$(head -n1 "$pidf" 2>/dev/null || echo 999999)
check cancel "api POST /v1/jobs/4/cancel | grep -q '\"state\":\"cancelled\"'"
check cancel-kills-tree wait_until 15 bash -c "! kill -0 -- -$pgid"
check cancel-twice "api POST /v1/jobs/4/cancel | grep -q '^409 .*\"code\":\"state\"'"

# Hold and release.
api POST /v1/jobs '{"gpus":64,"gpus_per_node":4,"command":["true"]}' >/dev/null
check impossible-job "api POST /v1/jobs '{\"gpus\":64,\"gpus_per_node\":4,\"command\":[\"true\"]}' | grep -q '^422 '"

# Auth: no token, unknown token, wrong role, other tenant.
check no-token "curl -s -w '%{http_code}' $URL/v1/jobs | grep -q '\"code\":\"unauthorized\".*401$'"
check bad-token "api GET /v1/jobs '' nope-nope-nope-nope | grep -q '^401 '"
check user-cannot-drain "api POST /v1/nodes/n1/drain '' $TOK_A | grep -q '^403 .*forbidden'"
check node-token-no-jobs "api GET /v1/jobs '' $TOK_NODE | grep -q '^403 '"
check user-other-tenant "api POST /v1/jobs '{\"tenant\":\"b\",\"gpus\":1,\"command\":[\"true\"]}' $TOK_A | grep -q '^403 '"
check user-sees-own "api GET /v1/jobs/0 '' $TOK_A | grep -q '^200 '"
check user-not-others "api GET /v1/jobs/0 '' $TOK_B | grep -q '^404 '"
check user-list-own "api GET '/v1/jobs?limit=1000' '' $TOK_B | grep -q '^200 {\"jobs\":\[\],\"next\":null}'"

# Bad input: a 4xx naming the problem, nothing created.
n_before=$(api GET /healthz | cut -d' ' -f2- | jq_py "d['jobs']")
check truncated-json "api POST /v1/jobs '{\"gpus\": 1, \"comm' | grep -q '^400 .*\"code\":\"parse\"'"
check wrong-type "api POST /v1/jobs '{\"gpus\":\"many\",\"command\":[\"true\"]}' | grep -q '^400 .*gpus'"
check unknown-field "api POST /v1/jobs '{\"gpus\":1,\"colour\":\"red\",\"command\":[\"true\"]}' | grep -q '^400 .*unknown_field.*colour'"
check huge-value "api POST /v1/jobs '{\"gpus\":99999999999,\"command\":[\"true\"]}' | grep -q '^400 .*gpus'"
check no-command "api POST /v1/jobs '{\"gpus\":1}' | grep -q '^400 .*command'"
check not-object "api POST /v1/jobs '[1,2]' | grep -q '^400 '"
check bad-limit "api GET '/v1/jobs?limit=0' | grep -q '^400 .*limit'"
check bad-param "api GET '/v1/jobs?colour=red' | grep -q '^400 .*colour'"
check bad-state "api GET '/v1/jobs?state=sleeping' | grep -q '^400 .*state'"
check bad-id "api GET /v1/jobs/12abc | grep -q '^400 '"
check no-such-job "api GET /v1/jobs/999999 | grep -q '^404 '"
check no-such-route "api GET /v1/nothing | grep -q '^404 '"
check wrong-method "api DELETE /v1/jobs | grep -q '^405 '"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$T/big"
check body-too-large "curl -s -w '%{http_code}' -H 'Authorization: Bearer $TOK_ADMIN' --data-binary @$T/big $URL/v1/jobs | grep -q '413$'"
n_after=$(api GET /healthz | cut -d' ' -f2- | jq_py "d['jobs']")
check bad-input-created-nothing test "$n_before" = "$n_after"

# Pagination, filters, nodes, tenants, cluster, metrics, drain/resume.
check list-page "api GET '/v1/jobs?limit=2' | cut -d' ' -f2- | jq_py \"(len(d['jobs']), d['next'])\" | grep -qx '(2, 1)'"
check list-after "api GET '/v1/jobs?after=1&limit=1' | cut -d' ' -f2- | jq_py \"d['jobs'][0]['id']\" | grep -qx 2"
newest=$(api GET /healthz | cut -d' ' -f2- | jq_py "d['jobs'] - 1")
check list-desc "api GET '/v1/jobs?order=desc&limit=2' | cut -d' ' -f2- | jq_py \"([j['id'] for j in d['jobs']], d['next'])\" | grep -qx '(\[$newest, $((newest - 1))\], $((newest - 1)))'"
check list-desc-next "api GET '/v1/jobs?order=desc&limit=1&after=$((newest - 1))' | cut -d' ' -f2- | jq_py \"d['jobs'][0]['id']\" | grep -qx $((newest - 2))"
check list-bad-order "api GET '/v1/jobs?order=up' | grep -q '^400 .*order'"
check list-filter "api GET '/v1/jobs?state=failed' | cut -d' ' -f2- | jq_py \"sorted(j['id'] for j in d['jobs'])\" | grep -qx '\[2, 3\]'"
check tenants "api GET /v1/tenants | grep -q '\"name\":\"a\"'"
check cluster "api GET /v1/cluster | grep -q '\"level\":\"node\",\"subtrees\":2,\"gpus\":8'"
check drain "api POST /v1/nodes/n1/drain | grep -q '\"state\":\"draining\"'"
id=$(api POST /v1/jobs '{"gpus":4,"cpus":1,"command":["sleep","2"]}' | cut -d' ' -f2- | jq_py "d['id']")
check drained-job-runs wait_until 10 job_state_is "$id" running
check drained-no-new-work "api GET /v1/jobs/$id | grep -q '\"node\":\"n2\"'"
check resume "api POST /v1/nodes/n1/resume | grep -q '\"state\":\"up\"'"
check healthz "curl -s $URL/healthz | grep -q '\"ok\":true'"
check one-ctld-per-data-dir "timeout 10 $GT_BIN/gantryd --config $T/cluster.yaml --listen 127.0.0.1:0 2>&1 | grep -q 'another gantryd is using this data folder'"
check metrics "curl -s $URL/metrics | grep gantry_jobs && curl -s $URL/metrics | grep -q '^gantry_jobs{state=\"failed\",kind=\"train\"} 2$'"
check metrics-hist "curl -s $URL/metrics | grep -q '^gantry_api_seconds_count{route=\"submit\"}'"
check metrics-agents "curl -s $URL/metrics | grep agents_alive && curl -s $URL/metrics | grep -qx 'gantry_agents_alive 2'"
# A job with restarts left: its failed unit runs again (GANTRY_RESTART_COUNT 1, then 2).
rs=$(api POST /v1/jobs '{"gpus":0,"cpus":1,"max_restarts":3,"command":["sh","-c","test $GANTRY_RESTART_COUNT -ge 2"]}' | cut -d' ' -f2- | jq_py "d['id']")
check restarted-job-completes wait_until 20 job_state_is "$rs" completed
check restarted-twice "api GET /v1/jobs/$rs | grep -q '\"restarts\":2'"
# GANTRY_RESTART_COUNT is each unit's own: in an array where only task 1 fails (once),
# tasks 0 and 2 see 0 and task 1 sees 0, then 1. Each task takes a whole node (2 cores), so
# task 2 starts only after task 1 failed (when the job as a whole had restarted once).
shared_dir "$T/rc"
rc=$(api POST /v1/jobs '{"kind":"tasks","tasks":3,"gpus":0,"cpus":2,"max_restarts":2,"command":["sh","-c","echo $GANTRY_TASK_ID:$GANTRY_RESTART_COUNT >> '"$T/rc"'/log; [ $GANTRY_TASK_ID != 0 ] || sleep 1; [ $GANTRY_TASK_ID != 1 ] || [ $GANTRY_RESTART_COUNT -ge 1 ]"]}' | cut -d' ' -f2- | jq_py "d['id']")
check per-unit-restarts-job-completes wait_until 30 job_state_is "$rc" completed
# Every failed task of an array can be found: 20 tasks, 4 of them fail.
fa=$(api POST /v1/jobs '{"kind":"tasks","tasks":20,"gpus":0,"cpus":1,"command":["sh","-c","case $GANTRY_TASK_ID in 3|7|11|15) echo no >&2; exit 4;; esac"]}' | cut -d' ' -f2- | jq_py "d['id']")
check failing-array-ends wait_until 60 job_state_is "$fa" failed
check units-failed-listed "api GET '/v1/jobs/$fa/units?state=failed' | cut -d' ' -f2- | jq_py \"[u['unit'] for u in d['units']] == [3, 7, 11, 15] and d['total'] == 20 and d['next'] is None and all(u['failure']['exit_code'] == 4 for u in d['units'])\" | grep -qx True"
check units-paged "api GET '/v1/jobs/$fa/units?state=failed&limit=3' | cut -d' ' -f2- | jq_py \"([u['unit'] for u in d['units']], d['next'])\" | grep -qx '(\[3, 7, 11\], 14)'"
check units-next-page "api GET '/v1/jobs/$fa/units?state=failed&limit=3&after=14' | cut -d' ' -f2- | jq_py \"([u['unit'] for u in d['units']], d['next'])\" | grep -qx '(\[15\], None)'"
check units-all-states "api GET '/v1/jobs/$fa/units?limit=1000' | cut -d' ' -f2- | jq_py \"sorted(set(u['state'] for u in d['units'])) == ['done', 'failed'] and len(d['units']) == 20\" | grep -qx True"
check units-bad-state "api GET '/v1/jobs/$fa/units?state=broken' | grep -q '^400 .*\"where\":\"state\"'"
check units-bad-param "api GET '/v1/jobs/$fa/units?colour=red' | grep -q '^400 .*colour'"
check units-other-tenant "api GET /v1/jobs/$fa/units '' $TOK_B | grep -q '^404 '"
check drain-bad-reason "api POST /v1/nodes/n1/drain '{\"reason\":5}' | grep -q '^400 .*\"where\":\"reason\"'"
check drain-unknown-field "api POST /v1/nodes/n1/drain '{\"why\":\"x\"}' | grep -q '^400 .*\"where\":\"why\"'"
check drain-long-reason "api POST /v1/nodes/n1/drain '{\"reason\":\"$(printf 'x%.0s' $(seq 300))\"}' | grep -q '^400 '"
check per-unit-restart-count "[ \"\$(sort '$T/rc/log' | tr '\n' ' ')\" = '0:0 1:0 1:1 2:0 ' ]"

finish
