#!/usr/bin/env bash
# Controller scale benchmark: gantryd with 10,000 emulated 8-GPU nodes (80,000 GPUs) under
# 1,000 job submissions per second.
#
#   bench/ctld_scale.sh [--rate R] [--seconds D] [--threads T] [--job-seconds S]
#                       [--node-heartbeats] [--swarm N] [--snapshot-every N] [--keep]
#
# Builds Release into build-bench, starts gantryd (heartbeat_s 5, node_timeout_s 30) on a
# free port with bench/fleets/emulated-10k.yaml and ONE `gantry-agent --emulate 10000` for
# the whole fleet, waits until every node is up, then for D seconds (default 60):
#   - bench/api_load submits R jobs/s (default 1,000; open loop, T connections, mixed
#     sizes of 1 to 64 GPUs, duration_s about S = 5 s on average);
#   - two slower api_load runs read at the same time: GET /v1/jobs/ID (20/s, from 5 s in)
#     and GET /v1/cluster (5/s);
#   - a sampler reads /healthz, /metrics and one node every second, and the daemons' RSS
#     and CPU time from /proc.
# One agent process stands for the 10,000 nodes, so the controller gets ONE heartbeat every
# 5 s, not the 2,000/s that 10,000 real agents would send. --node-heartbeats adds that
# traffic: api_load POSTs /v1/agent/heartbeat with the emulating agent's own session at
# NODES / 5 per second during the load (gantryd answers them on its HTTP threads).
# --swarm N replaces the emulating agent by bench/agent_swarm: N agents of one node each
# (the fleet's first N nodes; the others stay down), over 2N real connections (a long-poll
# and a control connection per agent), each heartbeating every 5 s and reporting its units'
# exits, as N gantry-agents would. Each connection is a file descriptor in gantryd and in
# the swarm: N = 10,000 needs an open-file limit above 20,000 (gantryd raises its soft limit
# to the hard one, or to 131,072 where it may).
# --snapshot-every N sets server.snapshot_every (default: the server's, 1,000,000 entries;
# the load journals about 10,000 entries a second, so a 60 s run may not include one).
# It prints a summary and writes it as JSON to out/bench/ctld_scale.json. The goal (the
# issue): API p99 <= 50 ms at 1,000 submits/s, a 5 s heartbeat, no node marked down.
# Every daemon is stopped by its PID at the end and on failure. --keep keeps the scratch
# folder (logs, samples, the api_load outputs); it is kept on failure too.
# Needs cmake, ninja, curl and python3. About 75 s with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RATE=1000 DUR=60 THREADS=8 JOB_S=5 KEEP='' HB='' SNAP='' SWARM=''
NODES=10000 FLEET=bench/fleets/emulated-10k.yaml
while [ $# -gt 0 ]; do
  case "$1" in
  --rate) RATE=$2; shift 2 ;;
  --seconds) DUR=$2; shift 2 ;;
  --threads) THREADS=$2; shift 2 ;;
  --job-seconds) JOB_S=$2; shift 2 ;;
  --keep) KEEP=1; shift ;;
  --node-heartbeats) HB=1; shift ;;
  --swarm) SWARM=$2; shift 2 ;;
  --snapshot-every) SNAP=$2; shift 2 ;;
  -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "ctld_scale.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$DUR" =~ ^[0-9]+$ ]] || [ "$DUR" -lt 15 ]; then
  echo "ctld_scale.sh: --seconds: an integer >= 15" >&2
  exit 2
fi

echo "== building Release (build-bench)"
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-bench gantryd gantry-agent api_load agent_swarm >/dev/null
B=$ROOT/build-bench

T=$(mktemp -d "${TMPDIR:-/tmp}/gt-ctld-scale.XXXXXX")
PIDS=() ok=0
forget() { # PID: it was waited for; never signal it again (its number may be reused)
  local p keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
cleanup() {
  local p n
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for n in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ "$ok" = 1 ] && [ -z "$KEEP" ]; then
    rm -rf "$T"
  else
    echo "scratch folder kept: $T"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "ctld_scale.sh: $*" >&2; for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done >&2; exit 1; }

# ---- config and tokens ----
TOK_ADMIN=bench-admin-token-0123456789
TOK_NODE=bench-node-token-0123456789
TENANTS=(pretrain research inference evals)
{
  echo "# token tenant role"
  echo "$TOK_ADMIN ops admin"
  echo "$TOK_NODE ops node"
  for t in "${TENANTS[@]}"; do echo "bench-user-$t-0123456789 $t user"; done
} >"$T/tokens"
chmod 600 "$T/tokens"
USER_TOKENS=()
for t in "${TENANTS[@]}"; do USER_TOKENS+=(--token "bench-user-$t-0123456789"); done
{
  cat "$FLEET"
  echo
  echo "server: {listen: '127.0.0.1:0', data_dir: $T/data, tokens: $T/tokens,"
  echo "         heartbeat_s: 5, node_timeout_s: 30${SNAP:+, snapshot_every: $SNAP}}"
} >"$T/cluster.yaml"

# ---- daemons ----
UP=$NODES # nodes that come up: all, or the swarm's
[ -n "$SWARM" ] && UP=$SWARM
echo "== starting gantryd and $([ -n "$SWARM" ] && echo "$SWARM agents (agent_swarm)" || echo "one gantry-agent --emulate $NODES") (scratch: $T)"
"$B/gantryd" --config "$T/cluster.yaml" >"$T/ctld.log" 2>&1 &
CTLD_PID=$!
PIDS+=("$CTLD_PID")
PORT=
for _ in $(seq 300); do
  PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$T/ctld.log" | tail -1)
  [ -n "$PORT" ] && break
  kill -0 "$CTLD_PID" 2>/dev/null || die "gantryd exited"
  sleep 0.1
done
[ -n "$PORT" ] || die "gantryd did not say which port it listens on"
URL=http://127.0.0.1:$PORT

t_reg0=$(date +%s.%N)
if [ -n "$SWARM" ]; then
  "$B/agent_swarm" --url "$URL" --token "$TOK_NODE" --config "$T/cluster.yaml" \
    --agents "$SWARM" --seconds 100000 >"$T/swarm.out" 2>"$T/agent.log" &
else
  GANTRY_NODE_TOKEN=$TOK_NODE "$B/gantry-agent" --emulate "$NODES" --config "$T/cluster.yaml" \
    --server "$URL" --state-dir "$T/agent" >"$T/agent.log" 2>&1 &
fi
AGENT_PID=$!
PIDS+=("$AGENT_PID")
up=0
for _ in $(seq 600); do
  up=$(curl -s --max-time 5 "$URL/healthz" | sed -n 's/.*"nodes_up": *\([0-9]*\).*/\1/p')
  [ "${up:-0}" = "$UP" ] && break
  kill -0 "$AGENT_PID" 2>/dev/null || die "gantry-agent exited"
  sleep 0.1
done
[ "${up:-0}" = "$UP" ] || die "only ${up:-0} of $UP nodes came up in 60 s"
t_reg1=$(date +%s.%N)
echo "   $UP nodes up in $(python3 -c "print('%.2f' % ($t_reg1 - $t_reg0))") s"

# One idle read of the whole node list (10,000 nodes), and the first node's name.
curl -s -o "$T/nodes.json" -w '%{time_total}\n' -H "Authorization: Bearer $TOK_ADMIN" \
  "$URL/v1/nodes" >"$T/nodes_idle_s"
NODE0=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['nodes'][0]['name'])" \
  "$T/nodes.json")

# ---- sampler: one line of JSON per second ----
cat >"$T/sampler.py" <<'PY'
import json, os, sys, time, urllib.request
url, tok, ctld, agent, node, out, stop, root = sys.argv[1:9]
tick = os.sysconf("SC_CLK_TCK")
def get(path, auth=False):
    r = urllib.request.Request(url + path)
    if auth:
        r.add_header("Authorization", "Bearer " + tok)
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(r, timeout=10) as f:
            body = f.read()
        return body, (time.monotonic() - t0) * 1000
    except Exception as e:
        return None, (time.monotonic() - t0) * 1000
def proc(pid):
    try:
        f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
        rss = [l for l in open("/proc/%s/status" % pid) if l.startswith("VmRSS")]
        return (int(f[11]) + int(f[12])) / tick, int(rss[0].split()[1]) if rss else 0
    except OSError:
        return None, None
def machine():
    f = open("/proc/stat").readline().split()[1:]
    v = [int(x) for x in f]
    return sum(v) / tick, (v[3] + v[4]) / tick  # all, idle+iowait (seconds of CPU)
def ours():
    """CPU seconds of each process descended from the benchmark's shell (pid -> s)"""
    ppid, cpu = {}, {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                f = open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ppid[d], cpu[d] = f[1], (int(f[11]) + int(f[12])) / tick
    mine = {}
    for d in cpu:
        x, n = d, 0
        while x in ppid and x != root and n < 64:
            x, n = ppid[x], n + 1
        if x == root:
            mine[d] = cpu[d]
    return mine
prev_ours, prev_mach = ours(), machine()
with open(out, "w") as o:
    nxt = time.monotonic()
    while not os.path.exists(stop):
        s = {"t": time.time()}
        b, ms = get("/healthz")
        s["healthz_ms"] = ms
        if b:
            h = json.loads(b)
            s["nodes_up"], s["jobs"], s["journal_seq"] = h["nodes_up"], h["jobs"], h["journal_seq"]
        b, ms = get("/metrics")
        s["metrics_ms"] = ms
        if b:
            for line in b.decode().splitlines():
                if line.startswith(("gantry_pass_seconds_count", "gantry_pass_seconds_sum",
                                    "gantry_nodes{", "gantry_agents_alive")) or (
                        line.startswith("gantry_api_seconds_") and "le=" not in line):
                    k, v = line.rsplit(" ", 1)
                    s[k[:-2] if k.endswith("{}") else k] = float(v)
        b, ms = get("/v1/nodes/" + node, True)
        if b:
            n = json.loads(b)
            s["node_state"] = n["state"]
            if n.get("last_heartbeat"):
                s["last_seen_age_s"] = time.time() - n["last_heartbeat"]
        s["ctld_cpu_s"], s["ctld_rss_kb"] = proc(ctld)
        s["agent_cpu_s"], s["agent_rss_kb"] = proc(agent)
        s["machine_cpu_s"], s["machine_idle_s"] = machine()
        cur = ours()
        s["ours_cpu_delta_s"] = sum(v - prev_ours[k] for k, v in cur.items() if k in prev_ours)
        s["machine_busy_delta_s"] = ((s["machine_cpu_s"] - prev_mach[0])
                                     - (s["machine_idle_s"] - prev_mach[1]))
        prev_ours, prev_mach = cur, (s["machine_cpu_s"], s["machine_idle_s"])
        s["loadavg1"] = float(open("/proc/loadavg").read().split()[0])
        o.write(json.dumps(s) + "\n")
        o.flush()
        nxt += 1.0
        time.sleep(max(0.0, nxt - time.monotonic()))
PY
python3 "$T/sampler.py" "$URL" "$TOK_ADMIN" "$CTLD_PID" "$AGENT_PID" "$NODE0" \
  "$T/samples.jsonl" "$T/stop" "$$" &
SAMPLER_PID=$!
PIDS+=("$SAMPLER_PID")
sleep 2 # a baseline sample or two before the load

# ---- load ----
echo "== load: $RATE submits/s for $DUR s ($THREADS connections), plus GET /v1/jobs/ID 20/s" \
  "and GET /v1/cluster 5/s"
curl -s "$URL/metrics" >"$T/metrics0.txt"
t_load0=$(date +%s.%N)
"$B/api_load" --url "$URL" --get /v1/cluster --token "$TOK_ADMIN" --rate 5 --threads 1 \
  --seconds "$DUR" --json --seed 3 >"$T/get_cluster.json" 2>"$T/get_cluster.log" &
GC_PID=$!
PIDS+=("$GC_PID")
(
  sleep 5
  n=$(curl -s "$URL/healthz" | sed -n 's/.*"jobs": *\([0-9]*\).*/\1/p')
  exec "$B/api_load" --url "$URL" --get '/v1/jobs/%d' --id-max "${n:-1}" --token "$TOK_ADMIN" \
    --rate 20 --threads 2 --seconds "$((DUR - 10))" --json --seed 2 >"$T/get_job.json" \
    2>"$T/get_job.log"
) &
GJ_PID=$!
PIDS+=("$GJ_PID")
HB_PID=
if [ -n "$HB" ]; then
  AGENT_ID=$(sed -n 's/.*agent \([^ ]*\) registered.*/\1/p' "$T/ctld.log" | tail -1)
  SESSION=$(sed -n 's/.*registered.*session \([0-9]*\).*/\1/p' "$T/ctld.log" | tail -1)
  if [ -z "$AGENT_ID" ] || [ -z "$SESSION" ]; then die "no agent session in the gantryd log"; fi
  "$B/api_load" --url "$URL" --post /v1/agent/heartbeat --token "$TOK_NODE" \
    --body "{\"agent\":\"$AGENT_ID\",\"session\":$SESSION}" --rate "$((NODES / 5))" \
    --threads 4 --seconds "$DUR" --timeline --json --seed 4 >"$T/node_heartbeats.json" \
    2>"$T/node_heartbeats.log" &
  HB_PID=$!
  PIDS+=("$HB_PID")
fi
TIMER=()
[ -x /usr/bin/time ] && TIMER=(/usr/bin/time -f '%U %S %M' -o "$T/api_load.time")
"${TIMER[@]}" "$B/api_load" --url "$URL" \
  "${USER_TOKENS[@]}" --rate "$RATE" --threads "$THREADS" --seconds "$DUR" \
  --job-seconds "$JOB_S" --timeline --json >"$T/submit.json" 2>"$T/submit.log" || true
wait "$GC_PID" || true
if [ -n "$HB_PID" ]; then
  wait "$HB_PID" || true
  forget "$HB_PID"
fi
wait "$GJ_PID" || true
forget "$GC_PID"
forget "$GJ_PID"
t_load1=$(date +%s.%N)
curl -s "$URL/metrics" >"$T/metrics1.txt"
curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/cluster" >"$T/cluster_end.json"
# Per-thread CPU of gantryd (the state thread vs the HTTP threads).
for f in /proc/"$CTLD_PID"/task/*/stat; do
  awk '{ sub(/^[0-9]+ \(/, ""); sub(/\) /, " "); print $13 + $14 }' "$f"
done | sort -rn >"$T/ctld_threads.txt" || true
grep VmHWM /proc/"$CTLD_PID"/status | awk '{print $2}' >"$T/ctld_hwm_kb" || true
sleep 1
touch "$T/stop"
wait "$SAMPLER_PID" || true
forget "$SAMPLER_PID"
kill -0 "$CTLD_PID" 2>/dev/null || die "gantryd died during the load"
kill -0 "$AGENT_PID" 2>/dev/null || die "gantry-agent died during the load"
if [ -n "$SWARM" ]; then
  kill -TERM "$AGENT_PID"
  wait "$AGENT_PID" || true
  forget "$AGENT_PID"
fi
[ -s "$T/submit.json" ] || die "api_load wrote nothing: $(cat "$T/submit.log")"

# ---- summary ----
mkdir -p out/bench
python3 - "$T" "$UP" "$RATE" "$DUR" "$THREADS" "$JOB_S" "$t_load0" "$t_load1" \
  "$t_reg0" "$t_reg1" out/bench/ctld_scale.json "$SNAP" "$SWARM" <<'PY'
import json, math, os, re, sys
T, nodes, rate, dur, threads, job_s, t0, t1, r0, r1, out_json, snap_every, swarm = sys.argv[1:14]
nodes, rate, dur, threads, job_s = int(nodes), float(rate), int(dur), int(threads), float(job_s)
t0, t1, r0, r1 = float(t0), float(t1), float(r0), float(r1)
load = lambda n: json.load(open(os.path.join(T, n)))
def metrics(name):
    m = {}
    for line in open(os.path.join(T, name)):
        if line.startswith("#") or not line.strip():
            continue
        k, v = line.rsplit(" ", 1)
        m[k[:-2] if k.endswith("{}") else k] = float(v)  # name{} and name are the same series
    return m
m0, m1 = metrics("metrics0.txt"), metrics("metrics1.txt")
def hist(m, name, labels):
    """buckets (le -> cumulative), count, sum of one histogram"""
    sep = "," if labels else ""
    b = {}
    for k, v in m.items():
        mm = re.match(r'%s_bucket\{%s%sle="([^"]+)"\}$' % (name, re.escape(labels), sep), k)
        if mm:
            b[float(mm.group(1))] = v
    lab = "{%s}" % labels if labels else ""
    return b, m.get("%s_count%s" % (name, lab), 0.0), m.get("%s_sum%s" % (name, lab), 0.0)
def hist_delta(name, labels):
    b0, c0, s0 = hist(m0, name, labels)
    b1, c1, s1 = hist(m1, name, labels)
    n, s = c1 - c0, s1 - s0
    out = {"count": int(n), "mean_ms": round(s / n * 1000, 3) if n else None,
           "buckets": {("%g" % (le * 1000) if le != float("inf") else "inf"):
                       int(b1[le] - b0.get(le, 0)) for le in sorted(b1)}}
    # percentile as the upper bound of the bucket that holds it
    for p in (50, 99):
        q = None
        for le in sorted(b1):
            if n and b1[le] - b0.get(le, 0) >= math.ceil(p / 100 * n):
                q = le * 1000 if le != float("inf") else None
                break
        out["p%d_le_ms" % p] = q
    return out
samples = [json.loads(l) for l in open(os.path.join(T, "samples.jsonl")) if l.strip()]
during = [s for s in samples if t0 <= s["t"] <= t1 + 1]
sub, gj, gc = load("submit.json"), None, None
try: gj = load("get_job.json")
except Exception: pass
try: gc = load("get_cluster.json")
except Exception: pass
hbl = load("node_heartbeats.json") if os.path.exists(os.path.join(T, "node_heartbeats.json")) else None
cl = load("cluster_end.json")
gpus = next((l["gpus"] for l in cl["levels"] if l["subtrees"] == 1), None)

# heartbeats: increments of the agent_heartbeat count, per sample
hb_key = 'gantry_api_seconds_count{route="agent_heartbeat"}'
hb_times, prev = [], None
for s in during:
    c = s.get(hb_key)
    if c is not None and prev is not None and c > prev:
        hb_times += [s["t"]] * int(c - prev)
    prev = c if c is not None else prev
hb_n = m1.get(hb_key, 0) - m0.get(hb_key, 0)
gaps = [b - a for a, b in zip(hb_times, hb_times[1:]) if b > a]
if hbl:  # the synthetic per-node heartbeats share the route: count the agent's own only
    hb_n -= hbl["answered"]
    gaps = []
swarm_out = open(os.path.join(T, "swarm.out")).read().strip().splitlines() if swarm else []
if swarm:  # one heartbeat per node every 5 s: the period is per agent, read by the swarm
    per_agent = hb_n / nodes if nodes else 0
    hb_n, gaps = per_agent, []
ups = [s["nodes_up"] for s in during if "nodes_up" in s]
ages = [s["last_seen_age_s"] for s in during if "last_seen_age_s" in s]
def cpu(key):
    a = [s for s in during if s.get(key) is not None]
    if len(a) < 2: return None
    return round((a[-1][key] - a[0][key]) / (a[-1]["t"] - a[0]["t"]), 3)
mach = [s for s in during if "machine_cpu_s" in s]
busy = None
if len(mach) >= 2:
    tot = mach[-1]["machine_cpu_s"] - mach[0]["machine_cpu_s"]
    idle = mach[-1]["machine_idle_s"] - mach[0]["machine_idle_s"]
    busy = round((tot - idle) / (mach[-1]["t"] - mach[0]["t"]), 3)
busy_d = sum(s.get("machine_busy_delta_s", 0) for s in during[1:])
ours_d = sum(s.get("ours_cpu_delta_s", 0) for s in during[1:])
span = during[-1]["t"] - during[0]["t"] if len(during) > 1 else 0
others = round(max(0.0, busy_d - ours_d) / span, 2) if span else None
rss = [s["ctld_rss_kb"] for s in during if s.get("ctld_rss_kb")]
rss = rss or [0]
arss = [s["agent_rss_kb"] for s in during if s.get("agent_rss_kb")]
try:
    u, sy, mx = open(os.path.join(T, "api_load.time")).read().split()[-3:]
    gen_cpu = round((float(u) + float(sy)) / (t1 - t0), 3)
except Exception:
    gen_cpu = None
try:
    hwm = round(int(open(os.path.join(T, "ctld_hwm_kb")).read()) / 1024, 1)
except Exception:
    hwm = None
threads_cpu = [int(x) / os.sysconf("SC_CLK_TCK") for x in open(os.path.join(T, "ctld_threads.txt")).read().split()]
hz = sorted(s["healthz_ms"] for s in during if "healthz_ms" in s)
down_lines = sum(1 for l in open(os.path.join(T, "ctld.log")) if "down: no heartbeat" in l)
snaps = [l.strip() for l in open(os.path.join(T, "ctld.log")) if "snapshot at entry" in l]
seqs = [s["journal_seq"] for s in during if "journal_seq" in s]
jobs_s = [s["jobs"] for s in during if "jobs" in s]
rss_growth = None
if len(rss) >= 2 and len(jobs_s) >= 2 and jobs_s[-1] > jobs_s[0]:
    rss_growth = round((rss[-1] - rss[0]) / (jobs_s[-1] - jobs_s[0]), 2)
ag_err = [l.strip() for l in open(os.path.join(T, "agent.log")) if ": 4" in l or ": 5" in l][:5]
res = {
    "fleet": {"nodes": nodes, "gpus": gpus, "agents": nodes if swarm else 1, "heartbeat_s": 5,
              "node_timeout_s": 30},
    "swarm": swarm_out,
    "register_s": round(r1 - r0, 3),
    "load": {"target_submits_per_s": rate, "seconds": dur, "connections": threads,
             "job_seconds_mean": job_s, "wall_s": round(t1 - t0, 2)},
    "submit": {"achieved_per_s": sub["achieved_rate"], "ok_per_s": sub["ok_rate"],
               "scheduled": sub["scheduled"], "unsent": sub["unsent"], "status": sub["status"],
               "latency_ms": sub["latency_ms"], "service_ms": sub["service_ms"],
               "worst_seconds": sorted(sub.get("timeline", []), key=lambda x: -x["p99"])[:5],
               "server_side": hist_delta("gantry_api_seconds", 'route="submit"')},
    "get_job": gj and {"rate": gj["target_rate"], "status": gj["status"],
                       "latency_ms": gj["latency_ms"],
                       "server_side": hist_delta("gantry_api_seconds", 'route="job"')},
    "get_cluster": gc and {"rate": gc["target_rate"], "status": gc["status"],
                           "latency_ms": gc["latency_ms"],
                           "server_side": hist_delta("gantry_api_seconds", 'route="cluster"')},
    "node_heartbeats": hbl and {"rate": hbl["target_rate"], "achieved_per_s": hbl["achieved_rate"],
                                "status": hbl["status"], "latency_ms": hbl["latency_ms"]},
    "get_nodes_idle_ms": round(float(open(os.path.join(T, "nodes_idle_s")).read()) * 1000, 2),
    "healthz_ms": {"p50": hz[len(hz) // 2] if hz else None, "max": hz[-1] if hz else None},
    "nodes_up": {"min": min(ups) if ups else None, "max": max(ups) if ups else None,
                 "samples": len(ups), "down_log_lines": down_lines},
    "heartbeat": {"count": int(hb_n), "mean_period_s": round((t1 - t0) / hb_n, 2) if hb_n else None,
                  "max_gap_s": round(max(gaps), 1) if gaps else None,
                  "max_last_seen_age_s": round(max(ages), 2) if ages else None,
                  "server_side": hist_delta("gantry_api_seconds", 'route="agent_heartbeat"')},
    "agent_calls": {"events": hist_delta("gantry_api_seconds", 'route="agent_events"'),
                    "poll": hist_delta("gantry_api_seconds", 'route="agent_poll"'),
                    "errors_logged": ag_err},
    "pass": hist_delta("gantry_pass_seconds", ""),
    "journal": {"entries_per_s": round((seqs[-1] - seqs[0]) / (during[-1]["t"] - during[0]["t"]), 1)
                if len(seqs) >= 2 else None,
                "snapshot_every": int(snap_every) if snap_every else "server default",
                "snapshots_logged": snaps},
    "controller": {"rss_mib_max": round(max(rss) / 1024, 1) if rss else None,
                   "rss_kib_per_job_added": rss_growth,
                   "rss_mib_end": round(rss[-1] / 1024, 1) if rss else None,
                   "rss_hwm_mib": hwm,
                   "cpu_cores": cpu("ctld_cpu_s"),
                   "busiest_threads_cpu_s": threads_cpu[:4],
                   "threads": len(threads_cpu)},
    "agent": {"cpu_cores": cpu("agent_cpu_s"),
              "rss_mib_max": round(max(arss) / 1024, 1) if arss else None},
    "load_generator_cpu_cores": gen_cpu,
    "machine": {"cores": os.cpu_count(), "busy_cores": busy, "other_processes_cores": others,
                "loadavg1_max": max((s.get("loadavg1", 0) for s in during), default=None)},
    "jobs_end": cl["jobs"],
    "gpus_busy_end": next((l["gpus"] - l["gpus_free"] for l in cl["levels"] if l["subtrees"] == 1), None),
}
def per_second():
    out, prev = [], None
    for s in during:
        row = {"t": round(s["t"] - t0, 1), "healthz_ms": round(s.get("healthz_ms", 0), 1),
               "nodes_up": s.get("nodes_up"), "journal_seq": s.get("journal_seq"),
               "loadavg1": s.get("loadavg1")}
        if prev:
            dt = s["t"] - prev["t"]
            row["others_cores"] = round(max(0.0, s.get("machine_busy_delta_s", 0)
                                            - s.get("ours_cpu_delta_s", 0)) / dt, 2)
            for k, name in (("ctld_cpu_s", "ctld_cores"), ("agent_cpu_s", "agent_cores")):
                if s.get(k) is not None and prev.get(k) is not None:
                    row[name] = round((s[k] - prev[k]) / dt, 2)
            c = s.get("gantry_pass_seconds_count", 0) - prev.get("gantry_pass_seconds_count", 0)
            sm = s.get("gantry_pass_seconds_sum", 0) - prev.get("gantry_pass_seconds_sum", 0)
            row["passes"] = int(c)
            row["pass_ms_total"] = round(sm * 1000, 1)
        out.append(row)
        prev = s
    return out
res["per_second"] = per_second()
# The submit p99 of each second, split by whether other processes were busy in it.
by_sec = {int(r["t"]): r.get("others_cores") for r in res["per_second"]}
quiet, noisy = [], []
for x in sub.get("timeline", []):
    oc = by_sec.get(x["s"] + 1)  # the sample at t = s + 1 covers second s
    if oc is not None:
        (quiet if oc < 0.25 else noisy).append(x["p99"])
med = lambda v: sorted(v)[len(v) // 2] if v else None
res["submit"]["per_second_p99_ms"] = {
    "quiet_seconds": len(quiet), "quiet_median": med(quiet), "quiet_max": max(quiet, default=None),
    "busy_seconds": len(noisy), "busy_median": med(noisy), "busy_max": max(noisy, default=None)}
# Where each snapshot fell in the load, and what the API saw around it.
snap_at = []
tl = {x["s"]: x for x in sub.get("timeline", [])}
for line in snaps:
    mm = re.search(r"entry (\d+): built [\d.]+ MB \((\d+) \+ (\d+) bytes", line)
    if not mm:
        continue
    seq = int(mm.group(1))
    row = next((r for r in res["per_second"] if (r.get("journal_seq") or 0) >= seq), None)
    if row is None:
        continue
    sec = int(row["t"])
    near = [tl[k] for k in (sec - 1, sec) if k in tl]
    snap_at.append({"entry": seq, "bytes": int(mm.group(2)) + int(mm.group(3)), "t_s": sec,
                    "submit_max_ms": max((x["max"] for x in near), default=None),
                    "submit_service_max_ms": max((x.get("service_max", 0) for x in near), default=None)})
res["journal"]["snapshots"] = snap_at
try:
    import subprocess
    res["source"] = {
        "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "modified": subprocess.run(["git", "status", "--short", "--", "src", "CMakeLists.txt"],
                                   capture_output=True, text=True).stdout.split("\n")[:40]}
except Exception:
    pass
res["goal"] = {
    "api_p99_le_50ms": sub["latency_ms"]["p99"] <= 50 and (not gj or gj["latency_ms"]["p99"] <= 50)
                       and (not gc or gc["latency_ms"]["p99"] <= 50),
    "rate_kept": sub["ok"] == sub["scheduled"] and sub["unsent"] == 0
                 and sub["achieved_rate"] >= 0.98 * rate,
    "no_node_down": bool(ups) and min(ups) == nodes and down_lines == 0,
    "heartbeat_5s": bool(hb_n) and 4.5 <= (t1 - t0) / hb_n <= 5.5 and (not gaps or max(gaps) <= 7),
}
res["goal"]["met"] = all(res["goal"].values())
with open(out_json, "w") as o:
    json.dump(res, o, indent=1)
    o.write("\n")

r = res
f = lambda x, d=1: "-" if x is None else ("%.*f" % (d, x))
p = print
g = lambda x: "-" if x is None else "%g" % x
if swarm:
    p("== controller scale benchmark: %d nodes, %s GPUs, %d agents (agent_swarm, %d connections),"
      " heartbeat 5 s" % (nodes, gpus, nodes, 2 * nodes))
    for line in swarm_out:
        p("swarm       " + line)
else:
    p("== controller scale benchmark: %d nodes, %s GPUs, one emulating agent, heartbeat 5 s" % (nodes, gpus))
    p("   (one agent: one heartbeat per 5 s for all nodes%s)" % (
        "; plus %g/s per-node heartbeats from api_load" % hbl["target_rate"] if hbl else
        ", not one per node; --node-heartbeats adds those"))
p("   nodes registered and up in %.2f s; load %d s at %.0f submits/s (%d connections, jobs of ~%g s)"
  % (r["register_s"], dur, rate, threads, job_s))
s = r["submit"]
p("submit      achieved %.1f/s (2xx %.1f/s), unsent %d, status %s"
  % (s["achieved_per_s"], s["ok_per_s"], s["unsent"], s["status"]))
for name, x in (("submit", s), ("GET job", r["get_job"]), ("GET cluster", r["get_cluster"])):
    if x:
        L = x["latency_ms"]
        ss = x["server_side"]
        p("%-11s latency ms p50 %s  p90 %s  p99 %s  max %s   (server-side mean %s, p99 <= %s)"
          % (name, f(L["p50"], 2), f(L["p90"], 2), f(L["p99"], 2), f(L["max"], 2),
             f(ss["mean_ms"], 2), g(ss["p99_le_ms"])))
if hbl:
    L = hbl["latency_ms"]
    p("node hb     %.0f/s answered, status %s, latency ms p50 %s  p99 %s  max %s"
      % (hbl["achieved_rate"], hbl["status"], f(L["p50"], 2), f(L["p99"], 2), f(L["max"], 2)))
p("nodes up    min %s max %s over %d samples; 'node down' log lines: %d"
  % (r["nodes_up"]["min"], r["nodes_up"]["max"], r["nodes_up"]["samples"], down_lines))
h = r["heartbeat"]
p("heartbeat   %d in %.1f s: mean period %s s, max gap %s s (1 s sampling), oldest last-seen %s s"
  % (h["count"], t1 - t0, f(h["mean_period_s"], 2), f(h["max_gap_s"]), f(h["max_last_seen_age_s"], 1)))
c = r["controller"]
p("controller  RSS max %s MiB (end %s), CPU %s cores (busiest threads %s s); agent CPU %s cores,"
  " RSS %s MiB; api_load CPU %s; machine busy %s of %d cores (other processes %s)"
  % (f(c["rss_mib_max"]), f(c["rss_mib_end"]), f(c["cpu_cores"], 2),
     ", ".join("%.1f" % x for x in c["busiest_threads_cpu_s"]), f(r["agent"]["cpu_cores"], 2),
     f(r["agent"]["rss_mib_max"]), f(gen_cpu, 2), f(busy, 2), os.cpu_count(), f(others, 2)))
jr = r["journal"]
p("journal     %s entries/s; snapshots during the run: %d%s; controller RSS grows %s KiB per job"
  % (f(jr["entries_per_s"], 0), len(snaps), " (" + "; ".join(x.replace("gantryd: ", "") for x in snaps) + ")" if snaps else "",
     f(rss_growth, 2)))
for x in snap_at:
    p("snapshot    entry %d (%.1f MB) at t=%ds: submits in that second waited up to %s ms (service %s ms)"
      % (x["entry"], x["bytes"] / 1e6, x["t_s"], f(x["submit_max_ms"], 0), f(x["submit_service_max_ms"], 0)))
p("pass        %d passes, mean %s ms, p99 <= %s ms; agent events %d (mean %s ms), polls %d"
  % (r["pass"]["count"], f(r["pass"]["mean_ms"], 3), g(r["pass"]["p99_le_ms"]),
     r["agent_calls"]["events"]["count"], f(r["agent_calls"]["events"]["mean_ms"], 1),
     r["agent_calls"]["poll"]["count"]))
j = r["jobs_end"]
p("jobs at end %s; GPUs busy %s of %s" % (", ".join("%s %d" % kv for kv in j.items()), r["gpus_busy_end"], gpus))
if s["worst_seconds"]:
    p("worst secs  " + "  ".join("t=%ds p99 %.1f max %.1f" % (w["s"], w["p99"], w["max"]) for w in s["worst_seconds"][:3]))
if hb_n and (t1 - t0) / hb_n < 4.5:
    p("WARNING     the agent heartbeats %.0f times a second instead of once every 5 s (a bug in"
      " gantry-agent, not in the controller's timing)" % (hb_n / (t1 - t0)))
ps = res["submit"]["per_second_p99_ms"]
if (others is not None and others > 0.1) or ps["busy_seconds"]:
    p("WARNING     other processes (not this benchmark's) used %.2f of the %d cores on average"
      " during the load, 0.25 or more in %d of its seconds (1-min load average up to %s):"
      " the figures are contaminated" % (others or 0, os.cpu_count(), ps["busy_seconds"],
                                         res["machine"]["loadavg1_max"]))
    p("            per-second submit p99: %d quiet seconds median %s ms, max %s ms;"
      " %d busy seconds median %s ms, max %s ms"
      % (ps["quiet_seconds"], f(ps["quiet_median"], 1), f(ps["quiet_max"], 1),
         ps["busy_seconds"], f(ps["busy_median"], 1), f(ps["busy_max"], 1)))
p("goal        " + ", ".join("%s: %s" % (k, "yes" if v else "NO") for k, v in r["goal"].items()))
PY
echo "   (JSON: out/bench/ctld_scale.json)"
ok=1
