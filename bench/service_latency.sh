#!/usr/bin/env bash
# How fast a service follows its changes (issue 12's figures). Three parts, each with its
# own gantryd and one gantry-agent on loopback (tests/system/lib/cluster.sh), replicas of
# examples/serve/model_server.py (cpus 1 each):
#
#   a. endpoint change -> visible to a watcher: a service of 1..2 replicas without probes;
#      a watcher holds a long poll (GET /v1/jobs/ID/endpoints?watch=V) on its own keep-alive
#      connection; POST /v1/jobs/ID/scale goes 2 -> 1 and 1 -> 2, RUNS times each. One
#      figure = the watcher's answer read (ready 1, resp. 2) - the clock just before the
#      POST. Down: the replica leaves the endpoints in the commit of the scale. Up: the
#      replica is an endpoint once its agent reports its port, so the figure includes the
#      start of its processes.
#   b. load step -> new replica ready: a service of 1..2 replicas scaling on
#      model_requests_in_flight (target 1, period_s 0.2, up_window_s 0, down_window_s 1;
#      readiness probe every 0.1 s; COST_S 0.5, so 2 clients keep 2 requests in flight on
#      the one replica). RUNS runs: at a random moment of the metric's reading period, 2
#      clients start sending requests to the replica (t0);
#      decision = when GET /v1/jobs/ID (read every 10 ms) first shows service.desired 2;
#      ready = when the endpoints' long poll shows 2 ready. Then the clients stop and the
#      service goes back to 1 replica before the next run.
#   c. rolling update of 8 replicas under load through HAProxy (tests/system/lib/haproxy.sh:
#      haproxy_sync.py keeps the backend in step; 4 clients, COST_S 0.01): a node of 9 CPUs
#      (8 replicas + max_surge 1), ROLLS updates of MODEL_VERSION one after the other. Each:
#      duration = gantry update -> service.rollout.state done (read every 50 ms); failed
#      requests; HAProxy's retries; the fewest ready replicas seen (every 20 ms). Skipped
#      without Debian's haproxy.
#
# Prints each part's figures with their units (median and p99 of the RUNS; with 20 runs
# the p99 is the largest), and the CPU that other processes (not this benchmark's) used on
# the machine meanwhile: timings here are wall-clock and move with the machine's load.
# No assertions. Builds Release into build-bench. Root (cgroups; the replicas run as
# nobody), curl, python3; about 3 minutes with the defaults.
# Usage: bench/service_latency.sh [RUNS [ROLLS]]   (defaults 20 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20} rolls=${2:-3}
echo "== building Release (build-bench)"
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-bench gantryd gantry-agent gantry gantry-shim >/dev/null
export GT_SRC=$PWD GT_BIN=$PWD/build-bench
set +e # the helpers check what they need themselves (and clean up on exit)
. tests/system/lib/cluster.sh
. tests/system/lib/haproxy.sh
BENCH_PID=$$
SERVER=$GT_SRC/examples/serve/model_server.py

# CPU seconds so far: "MACHINE OURS", OURS being this benchmark's processes (its process
# tree, with what they reaped) and the replicas (in the cgroups under $CG_PARENT).
cpu_sample() {
  python3 - "$BENCH_PID" "$CG_PARENT" <<'EOF'
import os, sys
root, cg = int(sys.argv[1]), sys.argv[2]
hz = os.sysconf("SC_CLK_TCK")
f = open("/proc/stat").readline().split()[1:]
busy = (sum(map(int, f[:8])) - int(f[3]) - int(f[4])) / hz
parent, times, cgs = {}, {}, set()
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        st = open("/proc/%s/stat" % p).read()
        fl = st[st.rindex(")") + 2:].split()
        parent[int(p)] = int(fl[1])
        times[int(p)] = sum(map(int, fl[11:15])) / hz
        if cg in open("/proc/%s/cgroup" % p).read():
            cgs.add(int(p))
    except (OSError, ValueError):
        pass
def ours(p):
    seen = 0
    while p > 1 and seen < 64:
        if p == root or p in cgs:
            return True
        p, seen = parent.get(p, 0), seen + 1
    return False
print("%.2f %.2f" % (busy, sum(t for p, t in times.items() if ours(p))))
EOF
}
others_say() { # PART "MACHINE OURS" at the start, SECONDS: what other processes used
  local now
  now=$(cpu_sample)
  python3 - "$1" "$2" "$now" "$3" "$(nproc)" <<'EOF'
import sys
part, (m0, o0), (m1, o1), secs, cores = sys.argv[1], map(float, sys.argv[2].split()), \
    map(float, sys.argv[3].split()), float(sys.argv[4]), int(sys.argv[5])
other = max(0.0, (m1 - m0) - (o1 - o0)) / secs
print("  machine (part %s): %.2f of %d cores busy, other processes %.2f cores, load average %s"
      % (part, (m1 - m0) / secs, cores, other, open("/proc/loadavg").read().split()[0]))
EOF
}
versions() { # ID: "COUNT VERSION ..." of what its ready replicas answer
  local p
  for p in $(eps "$1" '" ".join(str(e["port"]) for e in d["endpoints"])'); do
    curl -s "http://127.0.0.1:$p/generate" | awk '{print $NF}'
  done | sort | uniq -c | xargs
}
submit() { api POST /v1/jobs "$1" | cut -d' ' -f2- | jq_py "d['id']"; }
eps() { api GET "/v1/jobs/$1/endpoints" | cut -d' ' -f2- | jq_py "$2"; }
up_cluster() { # NAME: a fresh gantryd and agent n1 (NODE_CPUS CPUs) in a new $T
  cluster_init "$1"
  write_config 1
  start_ctld || exit 1
  start_agent n1
  wait_until 15 node_state_is n1 up || { echo "node n1 did not come up"; exit 1; }
  W=$T/w
  shared_dir "$W"
}

# Median and p99 (nearest rank) of the numbers on stdin, as "median X UNIT, p99 Y UNIT (N)".
stats_py='
import math, sys
def stats(xs, unit, scale=1, fmt="%.1f"):
    xs = sorted(x * scale for x in xs)
    if not xs:
        return "no samples"
    med = xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
    p99 = xs[max(0, math.ceil(0.99 * len(xs)) - 1)]
    return ("median " + fmt + " %s, p99 " + fmt + " %s, min " + fmt + ", max " + fmt +
            " (%d)") % (med, unit, p99, unit, xs[0], xs[-1], len(xs))
'

part_a() (
  NODE_CPUS=2
  up_cluster svc-watch
  local s0 j
  j=$(submit "{\"name\":\"watch\",\"kind\":\"serve\",\"gpus\":0,\"cpus\":1,\"replicas\":{\"min\":1,\"max\":2},\"command\":[\"python3\",\"$SERVER\"],\"env\":{\"STATE_DIR\":\"$W\"},\"grace_s\":1}")
  wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]" || { echo "part a: 2 replicas did not start"; exit 1; }
  s0=$(cpu_sample)
  SECONDS=0
  python3 - "$URL" "$TOK_ADMIN" "$j" "$runs" <<EOF
$stats_py
import http.client, json, threading, time, urllib.parse
url, tok, job, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
u = urllib.parse.urlsplit(url)
hdr = {"Authorization": "Bearer " + tok}
answers, cv = [], threading.Condition()

def watcher():
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    v = 0
    while True:
        c.request("GET", "/v1/jobs/%d/endpoints?watch=%d&timeout_s=30" % (job, v), headers=hdr)
        body = c.getresponse().read()
        t = time.monotonic()
        d = json.loads(body)
        v = d["version"]
        with cv:
            answers.append((t, d["ready"]))
            cv.notify_all()

threading.Thread(target=watcher, daemon=True).start()
post = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

def change(n):
    """Scale to n; seconds from just before the POST to the watcher's answer with n ready."""
    time.sleep(0.3)  # the watcher is parked again, the last change settled
    with cv:
        seen = len(answers)
    t0 = time.monotonic()
    post.request("POST", "/v1/jobs/%d/scale" % job, body=json.dumps({"replicas": n}),
                 headers=hdr)
    r = post.getresponse()
    r.read()
    assert r.status == 200, r.status
    with cv:
        while True:
            hit = [t for t, ready in answers[seen:] if ready == n]
            if hit:
                return hit[0] - t0
            if not cv.wait(15):
                raise SystemExit("part a: no watch answer with %d ready within 15 s" % n)

down, up = [], []
for _ in range(runs):
    down.append(change(1))
    up.append(change(2))
print("a. endpoint change -> watcher (long poll), %d changes each way:" % runs)
print("  scale 2 -> 1 (the change is the scale's commit): " + stats(down, "ms", 1000))
print("  scale 1 -> 2 (the new replica's start included):  " + stats(up, "ms", 1000))
EOF
  others_say a "$s0" "$SECONDS"
)

part_b() (
  NODE_CPUS=2
  up_cluster svc-scale
  local s0 j
  j=$(submit "$(python3 - "$SERVER" "$W" <<'EOF'
import json, sys
print(json.dumps({"name": "scaled", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 1, "max": 2}, "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "COST_S": "0.5"}, "grace_s": 1,
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.1},
                  "scale": {"metric": "model_requests_in_flight", "target": 1,
                            "period_s": 0.2, "up_window_s": 0, "down_window_s": 1}}))
EOF
)")
  wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 1 ]" || { echo "part b: the replica did not start"; exit 1; }
  s0=$(cpu_sample)
  SECONDS=0
  python3 - "$URL" "$TOK_ADMIN" "$j" "$runs" <<EOF
$stats_py
import http.client, json, random, threading, time, urllib.parse
url, tok, job, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
u = urllib.parse.urlsplit(url)
hdr = {"Authorization": "Bearer " + tok}

def get(c, path):
    c.request("GET", path, headers=hdr)
    return json.loads(c.getresponse().read())

def settled(c):
    """Until one replica is ready and wanted, and the autoscaler saw no load: its port."""
    end = time.monotonic() + 30
    while time.monotonic() < end:
        s = get(c, "/v1/jobs/%d" % job)["service"]
        e = get(c, "/v1/jobs/%d/endpoints" % job)
        a = s["autoscale"]
        if (s["desired"] == 1 and e["ready"] == 1 and len(e["endpoints"]) == 1 and
                a["reporting"] == 1 and a["sum"] == 0 and a["wanted"] == 1):
            return e["endpoints"][0]["port"], e["version"]
        time.sleep(0.1)
    raise SystemExit("part b: the service did not settle back to 1 idle replica in 30 s")

def one_run(c):
    port, v = settled(c)
    # settled() returns just after a metric reading: without a random pause the step would
    # always come early in the agent's reading period.
    time.sleep(random.uniform(0, 0.2))
    got, stop = {}, threading.Event()

    def decision():  # service.desired, read every 10 ms
        d = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        while "decision" not in got and not stop.is_set():
            if get(d, "/v1/jobs/%d" % job)["service"]["desired"] >= 2:
                got["decision"] = time.monotonic()
            time.sleep(0.01)

    def ready():  # the endpoints' long poll
        w = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        ver = v
        while "ready" not in got and not stop.is_set():
            e = get(w, "/v1/jobs/%d/endpoints?watch=%d&timeout_s=5" % (job, ver))
            ver = e["version"]
            if e["ready"] >= 2:
                got["ready"] = time.monotonic()

    def client():
        while not stop.is_set():
            k = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                k.request("GET", "/generate")
                k.getresponse().read()
            except OSError:
                time.sleep(0.05)
            finally:
                k.close()

    watch = [threading.Thread(target=f) for f in (decision, ready)]
    for t in watch:
        t.start()
    t0 = time.monotonic()
    load = [threading.Thread(target=client) for _ in range(2)]
    for t in load:
        t.start()
    end = t0 + 20
    while len(got) < 2 and time.monotonic() < end:
        time.sleep(0.01)
    stop.set()
    for t in load + watch:
        t.join()
    if len(got) < 2:
        raise SystemExit("part b: no scale-up within 20 s (%s)" % sorted(got))
    return got["decision"] - t0, got["ready"] - t0

c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
dec, rdy = [], []
for _ in range(runs):
    d, r = one_run(c)
    dec.append(d)
    rdy.append(r)
print("b. load step -> new replica, %d runs (from the first requests of 2 clients):" % runs)
print("  decision (service.desired 1 -> 2): " + stats(dec, "ms", 1000, "%.0f"))
print("  new replica ready (endpoints 2):   " + stats(rdy, "ms", 1000, "%.0f"))
print("  ready after the decision:          " + stats([r - d for d, r in zip(dec, rdy)], "ms",
                                                      1000, "%.0f"))
EOF
  others_say b "$s0" "$SECONDS"
)

part_c() (
  NODE_CPUS=9
  up_cluster svc-roll
  haproxy_config 16
  start_haproxy
  wait_until 10 hap_up || { echo "part c: HAProxy did not start"; exit 1; }
  local s0 j k t0 t1 r0 d0 r1 d1 loader watcher
  j=$(submit "$(python3 - "$SERVER" "$W" <<'EOF'
import json, sys
print(json.dumps({"name": "roll8", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 8, "max": 8}, "max_surge": 1,
                  "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "COST_S": "0.01", "MODEL_VERSION": "1"},
                  "grace_s": 1, "update_deadline_s": 120,
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2}}))
EOF
)")
  start_sync "$j" --drain-s 5 --watch-s 2
  disown "$HAP_PID" "$SYNC_PID" # killed by PID at the end, without a word from bash
  wait_until 30 "[ \"\$(eps $j 'd[\"ready\"]')\" = 8 ] && [ \"\$(hap_ports ready | wc -w)\" = 8 ]" ||
    { echo "part c: 8 replicas did not get ready behind HAProxy"; exit 1; }
  s0=$(cpu_sample)
  SECONDS=0
  echo "c. rolling update of 8 replicas (max_surge 1, max_unavailable 0) under 4 clients through HAProxy:"
  : >"$T/rolls"
  for k in $(seq 2 $((rolls + 1))); do
    read -r r0 d0 < <(hap_retries)
    LOAD_STOP=$T/stop.$k load 120s >"$T/load.$k.json" &
    loader=$!
    python3 - "$URL" "$TOK_ADMIN" "$j" "$T/stop.$k" >"$T/min.$k" <<'EOF' &
import json, os, sys, time, urllib.request
url, tok, j, stop = sys.argv[1:5]
low = 99
while not os.path.exists(stop):
    req = urllib.request.Request("%s/v1/jobs/%s/endpoints" % (url, j),
                                 headers={"Authorization": "Bearer " + tok})
    low = min(low, json.load(urllib.request.urlopen(req))["ready"])
    time.sleep(0.02)
print(low)
EOF
    watcher=$!
    sleep 1
    t0=$(date +%s.%N)
    GANTRY_TOKEN=$TOK_ADMIN "$GT_BIN/gantry" --server "$URL" update "$j" --env "MODEL_VERSION=$k" >/dev/null ||
      { echo "part c: the update to version $k was refused"; exit 1; }
    for _ in $(seq 2400); do
      [ "$(api GET "/v1/jobs/$j" | cut -d' ' -f2- | jq_py 'd["service"]["rollout"]["state"]')" = done ] && break
      sleep 0.05
    done
    t1=$(date +%s.%N)
    sleep 1
    touch "$T/stop.$k"
    wait "$loader" "$watcher"
    read -r r1 d1 < <(hap_retries)
    python3 - "$T/load.$k.json" "$k" "$t0" "$t1" "$((r1 - r0))" "$(cat "$T/min.$k")" \
      "$(versions "$j")" >>"$T/rolls" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
k, t0, t1, retries, low, versions = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), \
    sys.argv[5], sys.argv[6], sys.argv[7]
print(json.dumps({"version": int(k), "seconds": t1 - t0, "requests": d["requests"],
                  "failed": d["failed"], "retries": int(retries), "min_ready": int(low),
                  "replicas_answer": versions, "errors": d["errors"]}))
EOF
    tail -1 "$T/rolls" | jq_py "'  to version %d: %.1f s, %d requests, %d failed, HAProxy retries %d, fewest ready %d, the replicas answer (count version) %s' % (d['version'], d['seconds'], d['requests'], d['failed'], d['retries'], d['min_ready'], d['replicas_answer'])"
  done
  python3 - "$T/rolls" <<EOF
$stats_py
import json
rs = [json.loads(l) for l in open(sys.argv[1])]
print("  duration: " + stats([r["seconds"] for r in rs], "s", 1, "%.1f"))
print("  failed requests: %d of %d" % (sum(r["failed"] for r in rs), sum(r["requests"] for r in rs)))
EOF
  others_say c "$s0" "$SECONDS"
)

echo "== $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (modified)'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
part_a
part_b
if [ -x "$HAPROXY" ]; then
  part_c
else
  echo "c. skipped: no haproxy at $HAPROXY (Debian package haproxy)"
fi
