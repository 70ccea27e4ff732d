#!/usr/bin/env bash
# Rolling updates under steady load through a real HAProxy (kept in step with the
# endpoints by examples/serve/haproxy_sync.py): two replicas of
# examples/serve/model_server.py on one node of 3 CPUs (cpus 1 each, and room for the
# max_surge 1 replica: on 2 CPUs the new version's replica would wait for room, and with
# max_unavailable 0 the rollout could never start).
#   a. gantry update --env MODEL_VERSION=2 while 4 clients send requests: 0 failed requests,
#      the rollout ends (service.rollout.state done), every ready replica answers version 2,
#      and HAProxy had nothing to retry (no replica was stopped while it had traffic);
#   b. an update whose replicas never get ready (STARTUP_S 1000, update_deadline_s 3) under
#      the same load: rolled back, 0 failed requests, the serving replicas untouched (same
#      ports and generations), every answer from version 2, none from version 3;
#   c. requests of about 1.2 s, longer than the rollout's 1 s drain, under an update: the
#      replaced replicas finish theirs after SIGTERM, and HAProxy has nothing to retry.
# Skipped (77) without Debian's haproxy package ($HAPROXY, if set, names the binary).
# About 35 s.
. "$(dirname "$0")/lib/cluster.sh"
. "$(dirname "$0")/lib/haproxy.sh"
haproxy_require
cluster_init rollout-haproxy
NODE_CPUS=3
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"
rollout() { job "$1" 'd["service"]["rollout"]["state"]'; }
versions() { # ID: the versions the ready replicas answer with, sorted, on one line
  for p in $(eps "$1" '" ".join(str(e["port"]) for e in d["endpoints"])'); do
    curl -s "http://127.0.0.1:$p/generate" | awk '{print $NF}'
  done | sort | xargs
}
answered() { # FILE: the versions that answered the load, sorted, on one line
  jq_py "' '.join(sorted({k.split()[-1] for k in d['replicas']}))" <"$1"
}

haproxy_config
start_haproxy
check haproxy-up wait_until 10 hap_up
j=$(api POST /v1/jobs "$(python3 - "$GT_SRC/examples/serve/model_server.py" "$W" <<'EOF'
import json, sys
print(json.dumps({"name": "web", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 2, "max": 2}, "max_surge": 1, "ports": ["http"],
                  "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "COST_S": "0.01", "MODEL_VERSION": "1"},
                  "restart_backoff_s": 0.2, "grace_s": 1, "update_deadline_s": 30,
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2}}))
EOF
)" | cut -d' ' -f2- | jq_py "d['id']")
start_sync "$j" --drain-s 5 --watch-s 2
check two-endpoints wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"
check haproxy-has-both wait_until 5 "[ \"\$(hap_ports ready | wc -w)\" = 2 ]"
check version-1 "[ \"\$(versions $j)\" = '1 1' ]"

# Requests for up to 40 s, until the file $T/stop.PHASE exists.
load_until() { # PHASE
  LOAD_STOP=$T/stop.$1 load 40s >"$T/$1.json" &
  loader=$!
}
end_load() { # PHASE: a second more, then the load ends (it must still be running)
  sleep 1
  check "$1-under-load" "kill -0 $loader"
  touch "$T/stop.$1"
  wait "$loader"
}

# a. The update under load: the update 1 s in, the load until a second after the rollout.
read -r r0 d0 < <(hap_retries)
load_until a
sleep 1
t0=$(date +%s.%N)
check a-update "G update $j --env MODEL_VERSION=2 | grep -q 'job $j: rolling out version 2'"
check a-rollout-done wait_until 30 "[ \"\$(rollout $j)\" = done ]"
t1=$(date +%s.%N)
end_load a
read -r r1 d1 < <(hap_retries)
check a-no-failures no_failures "$T/a.json"
say a-rollout "$T/a.json"
echo "a-rollout: done in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s; HAProxy retried $((r1 - r0)) and redispatched $((d1 - d0)) requests meanwhile"
check a-no-retries "[ $((r1 - r0)) = 0 ]"
check a-both-versions-served "[ \"\$(answered $T/a.json)\" = '1 2' ]"
check a-two-ready wait_until 10 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"
check a-all-version-2 "[ \"\$(versions $j)\" = '2 2' ]"
check a-haproxy-two wait_until 10 "[ \"\$(hap_ports ready | wc -w)\" = 2 ]"
load 40 >"$T/a2.json"
check a-after-only-2 "no_failures $T/a2.json && [ \"\$(answered $T/a2.json)\" = 2 ]"

# b. A version that never gets ready, under load: rolled back at its 3 s deadline; the
# replicas that serve keep their ports and generations, and version 3 gets no request.
before=$(eps "$j" '[(e["replica"], e["port"], e["gen"]) for e in d["endpoints"]]')
printf 'update_deadline_s: 3\n' >"$T/bad.yaml"
read -r r0 d0 < <(hap_retries)
load_until b
sleep 1
check b-update "G update $j -f $T/bad.yaml --env MODEL_VERSION=3 --env STARTUP_S=1000 | grep -q 'rolling out version 3'"
check b-rolling wait_until 5 "[ \"\$(rollout $j)\" = rolling ]"
check b-rolled-back wait_until 30 "[ \"\$(rollout $j)\" = 'rolled back' ]"
end_load b
read -r r1 d1 < <(hap_retries)
check b-no-failures no_failures "$T/b.json"
say b-rollback "$T/b.json"
echo "b-rollback: HAProxy retried $((r1 - r0)) and redispatched $((d1 - d0)) requests meanwhile"
check b-only-version-2 "[ \"\$(answered $T/b.json)\" = 2 ]"
check b-version-back "[ \"\$(job $j 'd[\"version\"]')\" = 2 ]"
check b-untouched "[ \"\$(eps $j '[(e[\"replica\"], e[\"port\"], e[\"gen\"]) for e in d[\"endpoints\"]]')\" = \"$before\" ]"
check b-still-version-2 "[ \"\$(versions $j)\" = '2 2' ]"
check b-logged "grep -q 'job $j: version 3 did not become ready within its deadline: rolling back to version 2' '$T/ctld.log'"
G cancel "$j" >/dev/null
check cancelled wait_until 10 job_state_is "$j" cancelled
check sync-stops wait_until 15 "! kill -0 $SYNC_PID"

# c. Requests longer than the rollout's drain (1 s out of the endpoints before SIGTERM):
# each replaced replica finishes the requests it has after SIGTERM (model_server.py stops
# listening and exits once they are answered, within grace_s), so HAProxy retries nothing.
k=$(api POST /v1/jobs "$(python3 - "$GT_SRC/examples/serve/model_server.py" "$W" <<'EOF'
import json, sys
print(json.dumps({"name": "slow", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 2, "max": 2}, "max_surge": 1, "ports": ["http"],
                  "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "COST_S": "1.2", "MODEL_VERSION": "1"},
                  "grace_s": 10, "update_deadline_s": 30,
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2}}))
EOF
)" | cut -d' ' -f2- | jq_py "d['id']")
start_sync "$k" --drain-s 5 --watch-s 2
check c-two-endpoints wait_until 15 "[ \"\$(eps $k 'd[\"ready\"]')\" = 2 ]"
check c-haproxy-has-both wait_until 5 "[ \"\$(hap_ports ready | wc -w)\" = 2 ]"
read -r r0 d0 < <(hap_retries)
LOAD_STOP=$T/stop.c load 40s 2 >"$T/c.json" &
loader=$!
sleep 1.5
check c-update "G update $k --env MODEL_VERSION=2 | grep -q 'job $k: rolling out version 2'"
check c-rollout-done wait_until 30 "[ \"\$(rollout $k)\" = done ]"
end_load c
read -r r1 d1 < <(hap_retries)
check c-no-failures no_failures "$T/c.json"
say c-slow-requests "$T/c.json"
echo "c-slow-requests: HAProxy retried $((r1 - r0)) and redispatched $((d1 - d0)) requests meanwhile"
check c-no-retries "[ $((r1 - r0)) = 0 ]"
check c-all-version-2 "[ \"\$(versions $k)\" = '2 2' ]"
G cancel "$k" >/dev/null
finish
