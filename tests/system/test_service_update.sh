#!/usr/bin/env bash
# Rolling updates of a service: gantry update starts the new version's replica beside the
# old ones, drains and stops an old one only once a new one is ready, and ends with every
# replica on the new version while the ready count never fell below the service's size
# (max_unavailable 0). An update whose replicas never get ready is rolled back at its
# deadline, the replicas that kept serving untouched. With max_surge 2 over 3 replicas, the
# replicas left beyond the count at the end drain out of the endpoints before they stop, as
# the replaced ones do. With max_unavailable 1 of 1, a version that never gets ready is not
# "done" once its old replica is replaced: it is rolled back. Updates that make no sense
# are refused with the reason; one that changes resources rolls out the new ones.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init update
NODE_CPUS=5 # 3 replicas + max_surge 2 below
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"
answers() { # ID: what each ready replica says, sorted
  for p in $(eps "$1" '" ".join(str(e["port"]) for e in d["endpoints"])'); do
    curl -s "http://127.0.0.1:$p/generate" | sed 's/ restart [0-9]*//'
  done | sort
}

j=$(submit "$(python3 - "$GT_SRC/examples/serve/model_server.py" "$W" <<'PY'
import json, sys
print(json.dumps({"name": "web", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 1, "max": 1}, "max_surge": 1,
                  "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "MODEL_VERSION": "1"},
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2},
                  "grace_s": 2}))
PY
)")
check ready wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 1 ]"
check version-1 "answers $j | grep -qx 'job $j replica 0 version 1'"

# Watch the ready count through the rollout.
python3 - "$URL" "$TOK_ADMIN" "$j" "$W/watch.stop" >"$W/min-ready" <<'PY' &
import json, os, sys, time, urllib.request
url, tok, j, stop = sys.argv[1:5]
low = 99
while not os.path.exists(stop):
    req = urllib.request.Request("%s/v1/jobs/%s/endpoints" % (url, j),
                                 headers={"Authorization": "Bearer " + tok})
    low = min(low, json.load(urllib.request.urlopen(req))["ready"])
    time.sleep(0.02)
print(low)
PY
watcher=$!
check update-cli "G update $j --env MODEL_VERSION=2 | grep -q 'job $j: rolling out version 2'"
check rolling-state "[ \"\$(job $j 'd[\"service\"][\"rollout\"][\"state\"]')\" = rolling ]"
check update-while-rolling "api PATCH /v1/jobs/$j '{\"env\":{\"MODEL_VERSION\":\"3\"}}' | grep -q '^409 .*rolling out'"
check rollout-done wait_until 30 "[ \"\$(job $j 'd[\"service\"][\"rollout\"][\"state\"]')\" = done ]"
check all-new wait_until 10 "answers $j | grep -q 'version 2' && ! answers $j | grep -q 'version 1'"
touch "$W/watch.stop"
wait "$watcher"
check never-below-one "[ \"\$(cat $W/min-ready)\" -ge 1 ]"
check version-field "[ \"\$(job $j 'd[\"version\"]')\" = 2 ]"
check one-replica-after wait_until 10 "[ \"\$(job $j 'd[\"units\"][\"running\"]')\" = 1 ]"
check show-rollout "G show $j | grep -q 'version 2'"

# A version that never gets ready: rolled back at its deadline, the old replica untouched.
before=$(eps "$j" '[(e["replica"], e["port"], e["gen"]) for e in d["endpoints"]]')
printf 'update_deadline_s: 3\nenv: {STATE_DIR: %s, MODEL_VERSION: "3", STARTUP_S: "1000"}\n' "$W" >"$T/bad.yaml"
check bad-update "G update $j -f $T/bad.yaml | grep -q 'rolling out version 3'"
check rolled-back wait_until 30 "[ \"\$(job $j 'd[\"service\"][\"rollout\"][\"state\"]')\" = 'rolled back' ]"
check version-back "[ \"\$(job $j 'd[\"version\"]')\" = 2 ]"
check old-untouched "[ \"\$(eps $j '[(e[\"replica\"], e[\"port\"], e[\"gen\"]) for e in d[\"endpoints\"]]')\" = \"$before\" ]"
answers "$j" >"$W/answers"
check still-version-2 "grep -q 'version 2' '$W/answers' && ! grep -q 'version 3' '$W/answers'"
check logged "grep -q 'job $j: version 3 did not become ready within its deadline: rolling back to version 2' '$T/ctld.log'"

# Resources: an update to 2 cores rolls out like any other; the new replica has them.
check resources-update "api PATCH /v1/jobs/$j '{\"cpus\":2}' | grep -q '^200 '"
check resources-rolled wait_until 30 "[ \"\$(job $j 'd[\"service\"][\"rollout\"][\"state\"]')\" = done ]"
check resources-new-cpus wait_until 10 "[ \"\$(job $j '[n[\"cpus\"] for u in d[\"placement\"] if u[\"state\"] == \"running\" for n in u[\"nodes\"]]')\" = '[2]' ]"
check resources-impossible "api PATCH /v1/jobs/$j '{\"cpus\":99}' | grep -qE '^4[0-9][0-9] .*can ever hold it'"
check resources-kept "[ \"\$(job $j 'd[\"spec\"][\"cpus\"], d[\"service\"][\"rollout\"][\"state\"]')\" = '2 done' ]"

# Refused: a field an update cannot change, a job that is not a service, nothing new.
check no-replicas "api PATCH /v1/jobs/$j '{\"replicas\":{\"max\":2}}' | grep -q '^400 .*cannot change in an update.*\"where\": *\"replicas'"
t=$(submit '{"gpus":1,"cpus":1,"command":["sleep","30"]}')
check not-service "api PATCH /v1/jobs/$t '{\"env\":{}}' | grep -q '^400 .*not a service'"
spec_env=$(job "$j" 'json.dumps(d["spec"]["env"])' 2>/dev/null || job "$j" '__import__("json").dumps(d["spec"]["env"])')
check nothing-new "api PATCH /v1/jobs/$j '{\"env\":$spec_env}' | grep -q '^409 .*nothing changes'"
check bad-probe "api PATCH /v1/jobs/$j '{\"readiness\":{\"http\":{\"path\":\"/r\",\"port\":\"nope\"}}}' | grep -q '^400 .*readiness.http.port'"
G cancel "$j" "$t" >/dev/null

# The replicas beyond the count at the end (max_surge 2 over 3 replicas leaves one too
# many) leave the endpoints and drain before they are stopped, like the replaced ones:
# every replica that left the endpoints was out of them for at least 0.5 s before its
# process ended (a watcher reads the endpoints and the replicas' pid files every 20 ms).
shared_dir "$W/s"
s=$(submit "$(python3 - "$GT_SRC/examples/serve/model_server.py" "$W/s" <<'PY'
import json, sys
print(json.dumps({"name": "surge2", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 3, "max": 3}, "max_surge": 2,
                  "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "MODEL_VERSION": "1"},
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2},
                  "grace_s": 2}))
PY
)")
check surge2-ready wait_until 15 "[ \"\$(eps $s 'd[\"ready\"]')\" = 3 ]"
python3 - "$URL" "$TOK_ADMIN" "$s" "$W/s" "$W/s.stop" >"$W/s.gaps" <<'PY' &
import glob, json, os, sys, time, urllib.request
url, tok, j, state, stop = sys.argv[1:6]
seen, died, port = {}, {}, {}  # pid -> last time listed, when first seen gone, its port
def alive(pid):
    try:
        return open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
while not os.path.exists(stop):
    req = urllib.request.Request("%s/v1/jobs/%s/endpoints" % (url, j),
                                 headers={"Authorization": "Bearer " + tok})
    ports = {e["port"] for e in json.load(urllib.request.urlopen(req))["endpoints"]}
    now = time.monotonic()
    for f in glob.glob(os.path.join(state, "pid-*")):
        try:
            pid = int(open(f).read())
        except (OSError, ValueError):
            continue
        if int(f.rsplit("-", 1)[1]) in ports and alive(pid):
            seen[pid], port[pid] = now, int(f.rsplit("-", 1)[1])
    for pid in seen:
        if pid not in died and not alive(pid):
            died[pid] = now
    time.sleep(0.02)
gaps = sorted(round(died[p] - seen[p], 2) for p in died)
print(min(gaps) if gaps else "none", len(gaps), gaps,
      "alive:", sorted(port[p] for p in seen if p not in died),
      "ended:", sorted((port[p], round(died[p] - seen[p], 2)) for p in died))
PY
gapper=$!
check surge2-update "G update $s --env MODEL_VERSION=2 | grep -q 'rolling out version 2'"
check surge2-done wait_until 30 "[ \"\$(job $s 'd[\"service\"][\"rollout\"][\"state\"]')\" = done ]"
check surge2-three-left wait_until 10 "[ \"\$(job $s 'd[\"units\"][\"running\"]')\" = 3 ]"
sleep 1
touch "$W/s.stop"
wait "$gapper"
echo "surge2: replicas that left the endpoints, seconds before their process ended: $(cat "$W/s.gaps")"
check surge2-drained-before-stop "awk '{ exit !(\$1 != \"none\" && \$1 >= 0.5 && \$2 >= 3) }' '$W/s.gaps'"
check surge2-all-new "[ \"\$(answers $s | sed 's/.*version //' | xargs)\" = '2 2 2' ]"
G cancel "$s" >/dev/null

# max_unavailable 1 of 1 replica and a version that never gets ready: its only old replica
# may be replaced before a new one is ready, but the rollout is not done while no replica
# of the new version is ready: it is rolled back at its deadline and the old version serves
# again.
m=$(submit "$(python3 - "$GT_SRC/examples/serve/model_server.py" "$W" <<'PY'
import json, sys
print(json.dumps({"name": "unavail", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 1, "max": 1}, "max_unavailable": 1,
                  "update_deadline_s": 3, "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "MODEL_VERSION": "1"},
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2},
                  "grace_s": 1}))
PY
)")
check unavail-ready wait_until 15 "[ \"\$(eps $m 'd[\"ready\"]')\" = 1 ]"
check unavail-update "G update $m --env MODEL_VERSION=2 --env STARTUP_S=1000 | grep -q 'rolling out version 2'"
sleep 2
check unavail-not-done "[ \"\$(job $m 'd[\"service\"][\"rollout\"][\"state\"]')\" = rolling ]"
check unavail-rolled-back wait_until 20 "[ \"\$(job $m 'd[\"service\"][\"rollout\"][\"state\"]')\" = 'rolled back' ]"
check unavail-serves-v1 wait_until 10 "[ \"\$(eps $m 'd[\"ready\"]')\" = 1 ] && answers $m | grep -q 'version 1'"
check unavail-one-left wait_until 10 "[ \"\$(job $m 'd[\"units\"][\"running\"]')\" = 1 ]"
G cancel "$m" >/dev/null
finish
