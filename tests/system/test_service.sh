#!/usr/bin/env bash
# Services on real processes: replicas of examples/serve/model_server.py get ports from
# their agent, answer on them, and are listed as endpoints only while their readiness probe
# passes; a replica that is killed, or fails its liveness probe, is started again (after
# its back-off, with GANTRY_RESTART_COUNT one higher) and comes back as an endpoint; a
# watcher sees each change; a service whose replicas keep dying is degraded with the
# reason; a restarted gantryd keeps the replicas' ports; bad probes are refused at submit.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init service
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"

spec=$(python3 - "$GT_SRC/examples/serve/model_server.py" "$W" <<'EOF'
import json, sys
print(json.dumps({"name": "web", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 2, "max": 2}, "ports": ["http", "admin"],
                  "command": ["python3", sys.argv[1]], "env": {"STATE_DIR": sys.argv[2]},
                  "restart_backoff_s": 0.2, "grace_s": 1,
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2},
                  "liveness": {"http": {"path": "/healthz", "port": "http"}, "period_s": 0.2,
                               "failure_threshold": 2, "initial_delay_s": 2}}))
EOF
)
j=$(submit "$spec")
check two-endpoints wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"
p0=$(eps "$j" '[e["port"] for e in d["endpoints"] if e["replica"] == 0][0]')
p1=$(eps "$j" '[e["port"] for e in d["endpoints"] if e["replica"] == 1][0]')
check distinct-ports test "$p0" != "$p1"
check named-ports "eps $j 'all(set(e[\"ports\"]) == {\"http\", \"admin\"} and e[\"ports\"][\"http\"] == e[\"port\"] for e in d[\"endpoints\"])' | grep -qx True"
check replica-answers "curl -sf http://127.0.0.1:$p0/generate | grep -q 'replica 0 restart 0'"
check cli-endpoints "G endpoints $j | grep -q '^- *1 *n1 *127.0.0.1 *$p1 '"
check metric-ready "curl -s $URL/metrics | grep -qx 'gantry_service_replicas_ready{job=\"$j\"} 2'"

# Readiness gates traffic: a replica that says it is not ready leaves the endpoints, and a
# watcher hears of it.
v=$(eps "$j" 'd["version"]')
api GET "/v1/jobs/$j/endpoints?watch=$v&timeout_s=20" >/dev/null &
# (the curl above runs in the background: its answer only ends it)
G endpoints "$j" --watch --json >"$T/watch.out" 2>&1 &
watcher=$!
PIDS+=("$watcher")
sleep 0.5
touch "$W/unready-$p0"
check unready-leaves wait_until 10 "[ \"\$(eps $j 'd[\"ready\"]')\" = 1 ]"
check watcher-saw-it wait_until 5 "grep -q '\"ready\":1' '$T/watch.out'"
rm -f "$W/unready-$p0"
check ready-again wait_until 10 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"
check bad-watch "api GET '/v1/jobs/$j/endpoints?watch=x' | grep -q '^400 .*watch'"
check bad-param "api GET '/v1/jobs/$j/endpoints?wait=1' | grep -q '^400 .*unknown parameter'"

# A killed replica starts again, one restart higher, and is an endpoint again.
kill -9 "$(cat "$W/pid-$p1")"
check restarted wait_until 15 "curl -sf http://127.0.0.1:\$(eps $j '[e[\"port\"] for e in d[\"endpoints\"] if e[\"replica\"] == 1][0]')/generate | grep -q 'replica 1 restart 1'"
check still-running job_state_is "$j" running
check restart-counted "[ \"\$(api GET /v1/jobs/$j | cut -d' ' -f2- | jq_py 'd[\"service\"][\"restarts\"]')\" = 1 ]"

# A failing liveness probe restarts the replica, and its exit says why.
p0=$(eps "$j" '[e["port"] for e in d["endpoints"] if e["replica"] == 0][0]')
touch "$W/sick-$p0"
check liveness-restart wait_until 20 "api GET /v1/jobs/$j/units | grep -q 'LIVENESS: its liveness probe failed 2 time'"
rm -f "$W/sick-$p0"
check back-after-liveness wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"

# gantryd killed and restarted: the replicas run on and keep their ports.
before=$(eps "$j" 'sorted((e["replica"], e["port"]) for e in d["endpoints"])')
# The agent is frozen first (SIGSTOP: its replicas run on, it sends nothing), so what the
# new gantryd lists can only come from its journal.
kill -STOP "${AGENT_PID[n1]}"
kill -9 "$CTLD_PID"
start_ctld || exit 1
# Readiness is journaled: the endpoints are there at once, before the agent registers again.
check endpoints-at-once "[ \"\$(eps $j 'sorted((e[\"replica\"], e[\"port\"]) for e in d[\"endpoints\"])')\" = \"$before\" ]"
check agent-not-back "! grep -q 'agent .* registered' '$T/ctld.log'"
kill -CONT "${AGENT_PID[n1]}"
check ports-survive-restart wait_until 20 "[ \"\$(eps $j 'sorted((e[\"replica\"], e[\"port\"]) for e in d[\"endpoints\"])')\" = \"$before\" ]"

# Bad probes are refused with the field named; nothing else is touched.
check probe-port-unknown "api POST /v1/jobs '{\"kind\":\"serve\",\"gpus\":0,\"cpus\":1,\"readiness\":{\"http\":{\"path\":\"/r\",\"port\":\"admin\"}}}' | grep -q '^400 .*readiness.http.port: .admin. is not one of the job.s ports'"
check probe-on-train "api POST /v1/jobs '{\"gpus\":1,\"liveness\":{\"command\":[\"true\"]}}' | grep -q '^400 .*liveness: only for kind serve'"
check endpoints-of-nothing "api GET /v1/jobs/9999/endpoints | grep -q '^404'"
check service-unharmed job_state_is "$j" running
G cancel "$j" >/dev/null
check web-cancelled wait_until 10 job_state_is "$j" cancelled

# A service whose replica dies at once, over and over: degraded, with the reason.
bad=$(submit '{"name":"crashy","kind":"serve","gpus":0,"cpus":1,"max_restarts":2,"restart_backoff_s":0.1,"command":["sh","-c","exit 3"]}')
check degraded wait_until 20 "api GET /v1/jobs/$bad | grep -q '\"degraded\": *true'"
check degraded-reason "api GET /v1/jobs/$bad | grep -q 'replica 0 ended [0-9]* times within 600 s of each other (max_restarts 2); last: exit code 3'"
check jobs-says-degraded "G jobs | grep -q '^ *$bad .*(.*degraded)'"
check show-says-degraded "G show $bad | grep -q '^degraded: *replica 0 ended'"
check metric-degraded "curl -s $URL/metrics | grep -qx 'gantry_service_degraded{job=\"$bad\"} 1'"
check metric-restarts "curl -s $URL/metrics | grep -q '^gantry_service_replica_restarts_total{job=\"$bad\"} [1-9]'"
G cancel "$bad" >/dev/null
check cancelled-stays wait_until 10 job_state_is "$bad" cancelled

finish
