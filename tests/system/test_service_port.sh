#!/usr/bin/env bash
# A replica that listens on the wrong port: a service without a readiness probe lists a
# replica as an endpoint as soon as it has its ports, so its agent looks whether something
# listens on the replica's first port. One that listens elsewhere (here on a random port)
# makes the service degraded, with the reason, in the job document, gantry show and the
# metrics, --port-grace seconds after it started; a replica that listens where it should
# does not, and one that comes to listen late clears it.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init port
NODE_CPUS=4
write_config 1
start_ctld || exit 1
AGENT_EXTRA=(--port-grace 2)
start_agent n1
check node-up wait_until 10 node_state_is n1 up
svc() { api GET "/v1/jobs/$1" | cut -d' ' -f2- | jq_py "d['service']$2"; }

wrong=$(submit '{"name":"wrong","kind":"serve","gpus":0,"cpus":1,"command":["python3","-m","http.server","0","--bind","127.0.0.1"]}')
right=$(submit '{"name":"right","kind":"serve","gpus":0,"cpus":1,"command":["sh","-c","exec python3 -m http.server $PORT --bind 127.0.0.1"]}')
late=$(submit '{"name":"late","kind":"serve","gpus":0,"cpus":1,"command":["sh","-c","sleep 4; exec python3 -m http.server $PORT --bind 127.0.0.1"]}')
check all-running wait_until 10 "job_state_is $wrong running && job_state_is $right running && job_state_is $late running"
check wrong-degraded wait_until 10 "[ \"\$(svc $wrong '[\"degraded\"]')\" = True ]"
port=$(eps "$wrong" 'd["endpoints"][0]["port"]')
check wrong-reason "svc $wrong '[\"degraded_reason\"]' | grep -qF 'replica 0: nothing listens on its port http ($port) 2 s after it started (it should listen on \$PORT)'"
check wrong-show "G show $wrong | grep -qF 'nothing listens on its port http'"
check wrong-metric "curl -s $URL/metrics | grep -qx 'gantry_service_degraded{job=\"$wrong\"} 1'"
check wrong-jobs "G jobs | grep -E '^ *$wrong ' | grep -q degraded"
check late-degraded wait_until 10 "[ \"\$(svc $late '[\"degraded\"]')\" = True ]"
check late-cleared wait_until 15 "[ \"\$(svc $late '[\"degraded\"]')\" = False ]"
check right-fine "[ \"\$(svc $right '[\"degraded\"]')\" = False ] && curl -s $URL/metrics | grep -qx 'gantry_service_degraded{job=\"$right\"} 0'"
# A restarted gantryd hears it again from the agent.
kill -9 "$CTLD_PID"
start_ctld || exit 1
check wrong-after-restart wait_until 15 "[ \"\$(svc $wrong '[\"degraded\"]')\" = True ]"
G cancel "$wrong" "$right" "$late" >/dev/null
stop_all
finish
