#!/usr/bin/env bash
# Services that follow their load: replicas of examples/serve/model_server.py report the
# requests they are serving (model_requests_in_flight); with a target of 1 per replica,
# load on the one replica a service starts with brings a second within the up window, and
# once the load is gone the service goes back to one after the down window, stopping the
# idle replica. gantry scale sets a service's count by hand; scaling on a metric no replica
# reports keeps the count and says why; a job that is not a service cannot be scaled.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init scale
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"
svc() { api GET "/v1/jobs/$1" | cut -d' ' -f2- | jq_py "d['service']$2"; }

spec() { # METRIC: a service of 1..2 replicas scaling on METRIC, target 1
  python3 - "$GT_SRC/examples/serve/model_server.py" "$W" "$1" <<'PY'
import json, sys
print(json.dumps({"name": "scaled", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 1, "max": 2},
                  "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "COST_S": "0.4"},
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2},
                  "scale": {"metric": sys.argv[3], "target": 1, "period_s": 0.2,
                            "up_window_s": 0.5, "down_window_s": 2}}))
PY
}
j=$(submit "$(spec model_requests_in_flight)")
check one-replica wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 1 ]"
check starts-at-min "[ \"\$(svc $j '[\"desired\"]')\" = 1 ]"
port=$(eps "$j" 'd["endpoints"][0]["port"]')

# Load: 3 clients keep 3 requests in flight on the one replica for up to 20 s.
python3 - "$port" "$W/load.stop" <<'PY' &
import os, sys, threading, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
def client():
    end = time.time() + 20
    while time.time() < end and not os.path.exists(stop):
        try:
            urllib.request.urlopen("http://127.0.0.1:%s/generate" % port, timeout=5).read()
        except Exception:
            time.sleep(0.05)
ts = [threading.Thread(target=client) for _ in range(3)]
for t in ts: t.start()
for t in ts: t.join()
PY
load=$!
check scales-up wait_until 15 "[ \"\$(svc $j '[\"desired\"]')\" = 2 ]"
check second-replica-ready wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"
check load-seen "[ \"\$(svc $j '[\"autoscale\"][\"reporting\"]')\" -ge 1 ]"
check logged "grep -q 'job $j: 1 -> 2 replicas (model_requests_in_flight' '$T/ctld.log'"
touch "$W/load.stop"
wait "$load"
check scales-down wait_until 20 "[ \"\$(svc $j '[\"desired\"]')\" = 1 ]"
check one-left wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 1 ]"
check busy-one-kept "[ \"\$(eps $j 'd[\"endpoints\"][0][\"port\"]')\" = $port ]"
check scaled-stop-no-restart "[ \"\$(svc $j '[\"restarts\"]')\" = 0 ]"
G cancel "$j" >/dev/null
check cancelled wait_until 10 job_state_is "$j" cancelled

# A metric no replica serves: the count stays, and the service says why.
m=$(submit "$(spec no_such_metric)")
check nometric-ready wait_until 15 "[ \"\$(eps $m 'd[\"ready\"]')\" = 1 ]"
check nometric-status wait_until 10 "svc $m '[\"autoscale\"][\"status\"]' | grep -q 'no ready replica reports no_such_metric (GET /metrics: no metric named no_such_metric)'"
check nometric-keeps-size "[ \"\$(svc $m '[\"desired\"]')\" = 1 ]"
G cancel "$m" >/dev/null

# By hand: a service without a metric goes from 1 to 2 and back; a training job cannot.
h=$(submit "{\"kind\":\"serve\",\"gpus\":0,\"cpus\":1,\"replicas\":{\"min\":1,\"max\":2},\"command\":[\"python3\",\"$GT_SRC/examples/serve/model_server.py\"],\"env\":{\"STATE_DIR\":\"$W\"}}")
check manual-two-at-first wait_until 15 "[ \"\$(eps $h 'd[\"ready\"]')\" = 2 ]"
check cli-scale "G scale $h 1 | grep -q 'job $h: 1 replica(s) wanted'"
check manual-one wait_until 15 "[ \"\$(eps $h 'd[\"ready\"]')\" = 1 ]"
check cli-scale-bad "G scale $h x 2>&1 | grep -q 'REPLICAS: expected a count'"
t=$(submit '{"gpus":1,"cpus":1,"command":["sleep","30"]}')
check train-not-scaled "api POST /v1/jobs/$t/scale '{\"replicas\":2}' | grep -q '^400 .*not a service'"
check scale-bad-body "api POST /v1/jobs/$h/scale '{\"replica\":2}' | grep -q '^400 .*unknown field'"
G cancel "$h" "$t" >/dev/null

# Scale to zero: replicas.min 0 starts with no replica (pending, reason idle, no endpoint);
# a wake brings one; with no load it goes back to none after the down window.
z=$(submit "$(spec model_requests_in_flight | python3 -c 'import json,sys; d=json.load(sys.stdin); d["replicas"]["min"]=0; print(json.dumps(d))')")
check zero-idle wait_until 10 "[ \"\$(job $z 'd[\"state\"], d[\"reason\"], d[\"units\"][\"running\"]')\" = 'pending idle 0' ]"
check zero-no-endpoint "[ \"\$(eps $z 'd[\"ready\"]')\" = 0 ]"
check wake-not-service "api POST /v1/jobs/$t/wake | grep -q '^400 .*not a service'"
check wake "api POST /v1/jobs/$z/wake | grep -q '^200 '"
check woken-ready wait_until 15 "[ \"\$(eps $z 'd[\"ready\"]')\" = 1 ]"
check woken-logged "grep -q 'job $z: woken from zero replicas' '$T/ctld.log'"
check wake-again-no-op "api POST /v1/jobs/$z/wake | grep -q '^200 ' && [ \"\$(svc $z '[\"desired\"]')\" = 1 ]"
check back-to-zero wait_until 20 "[ \"\$(svc $z '[\"desired\"]')\" = 0 ] && [ \"\$(eps $z 'd[\"ready\"]')\" = 0 ]"
check idle-again wait_until 10 "[ \"\$(job $z 'd[\"reason\"]')\" = idle ]"
G cancel "$z" >/dev/null
finish
