#!/usr/bin/env bash
# Task throughput of the live controller: how fast gantryd starts and finishes the tasks
# of one large array on emulated nodes, and what that costs per task.
#
#   bench/task_throughput.sh [--nodes N] [--cores C] [--tasks T] [--task-seconds S]
#                            [--max-starts N] [--load-seconds L] [--build DIR]
#                            [--perf ctld|agent] [--keep]
#
# Builds Release into build-bench (or uses --build DIR), starts gantryd with a fleet of N
# CPU nodes of C cores (default 1,000 x 96) on a free port and ONE `gantry-agent --emulate
# N` for all of them (in groups of 40 nodes, as fleet-large's CPU part), waits until every node is up, then submits one array of T tasks
# (default 300,000) of S seconds each (default 0.1), one core each, and polls the job until
# it completes. Meanwhile, from 2 s after the submission, bench/api_load reads GET
# /v1/cluster as another tenant's user for L seconds (default 10), then GET /v1/jobs/ID as
# the admin for L seconds, 10 requests a second each: the API latency other users see
# while the array runs (give a long run an L that covers it). --max-starts sets the
# scheduler's max_starts_per_pass (default: the config's default).
#
# --real runs real processes instead: ONE node of C cores (say 32 on a 2-core machine: the
# cores are declared, a task holds one and runs `true`), a real gantry-agent (root: each
# task in its own cgroups, under gantry-shim), and an array of T tasks of `true` (try
# --tasks 10000). The CPU figures then add the whole machine's busy time (the shims and the
# tasks' processes are neither gantryd nor the agent).
#
# It prints: the tasks a second (T / the time from the submission to the job's
# completion), the CPU time of gantryd and of the agent (each per task, in microseconds),
# gantryd's peak RSS, and the API latency (p50 / p99 / max). --perf records a profile of
# gantryd or the agent for 8 s (perf record -g) and prints its top symbols. --keep keeps
# the scratch folder. The summary is also written as JSON to out/bench/task_throughput.json.
# Needs cmake, ninja, curl, python3 (and perf for --perf).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NODES=1000 CORES=96 TASKS=300000 TASK_S=0.1 B='' PERF='' KEEP='' MAXS='' REAL='' LOAD_S=10
while [ $# -gt 0 ]; do
  case "$1" in
  --nodes) NODES=$2; shift 2 ;;
  --cores) CORES=$2; shift 2 ;;
  --tasks) TASKS=$2; shift 2 ;;
  --task-seconds) TASK_S=$2; shift 2 ;;
  --build) B=$(cd "$2" && pwd); shift 2 ;;
  --perf) PERF=$2; shift 2 ;;
  --max-starts) MAXS=$2; shift 2 ;;
  --load-seconds) LOAD_S=$2; shift 2 ;;
  --real) REAL=1; shift ;;
  --keep) KEEP=1; shift ;;
  -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "task_throughput.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$REAL" ] && NODES=40 # one node, named r0 (the check below wants groups of 40)
for v in NODES CORES TASKS LOAD_S; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "task_throughput.sh: --${v,,}: a positive integer" >&2; exit 2; }
done
[ $((NODES % 40)) -eq 0 ] || { echo "task_throughput.sh: --nodes: a multiple of 40 (groups of 40 nodes)" >&2; exit 2; }
case "$PERF" in '' | ctld | agent) ;; *) echo "task_throughput.sh: --perf: ctld or agent" >&2; exit 2 ;; esac

if [ -z "$B" ]; then
  echo "== building Release (build-bench)"
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  ninja -C build-bench gantryd gantry-agent api_load >/dev/null
  B=$ROOT/build-bench
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/gt-tput.XXXXXX") # TMPDIR=/dev/shm: the records on tmpfs
CTLD_PID='' AGENT_PID='' LOAD_PID=''
cleanup() {
  for p in $LOAD_PID $AGENT_PID $CTLD_PID; do kill "$p" 2>/dev/null || true; done
  if [ -n "$KEEP" ]; then echo "scratch kept: $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
die() { echo "task_throughput.sh: $*" >&2; KEEP=1; exit 1; }

TOK_ADMIN=bench-admin-token-0123456789 TOK_NODE=bench-node-token-0123456789
TOK_USER=bench-user-token-0123456789
printf '%s ops admin\n%s ops node\n%s others user\n' $TOK_ADMIN $TOK_NODE $TOK_USER >"$T/tokens"
chmod 600 "$T/tokens"
{
  echo "levels: [cluster, group, node]"
  echo "tenants: [{name: ops, share: 1}, {name: others, share: 1}]"
  [ -n "$MAXS" ] && echo "scheduler: {max_starts_per_pass: $MAXS}"
  echo "server: {listen: '127.0.0.1:0', data_dir: $T/data, tokens: $T/tokens,"
  echo "         heartbeat_s: 5, node_timeout_s: 30}"
  echo "fleet:"
  if [ -n "$REAL" ]; then
    echo "  - {name: r0, gpus: 0, cpus: $CORES, memory_gb: 8}"
  else
    echo "  - generate: {prefix: c, shape: {group: $((NODES / 40)), node: 40}, node: {gpus: 0, cpus: $CORES, memory_gb: 256}}"
  fi
} >"$T/cluster.yaml"
[ -n "$REAL" ] && NODES=1

echo "== gantryd and one gantry-agent --emulate $NODES ($NODES nodes x $CORES cores)"
"$B/gantryd" --config "$T/cluster.yaml" --port-file "$T/port" --quiet >"$T/ctld.log" 2>&1 &
CTLD_PID=$!
for _ in $(seq 300); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || die "gantryd did not start (scratch $T)"
URL=http://127.0.0.1:$(cat "$T/port")
if [ -n "$REAL" ]; then
  GANTRY_NODE_TOKEN=$TOK_NODE "$B/gantry-agent" --server "$URL" --node r0 --cpus "$CORES" \
    --memory-mb 8192 --fake-gpus 0 --cgroup-parent "gantry-bench-$$" --state-dir "$T/agent" \
    >"$T/agent.log" 2>&1 &
  JOB="{\"kind\":\"tasks\",\"tasks\":$TASKS,\"gpus\":0,\"cpus\":1,\"command\":[\"true\"],\"workdir\":\"/tmp\"}"
else
  GANTRY_NODE_TOKEN=$TOK_NODE "$B/gantry-agent" --emulate "$NODES" --config "$T/cluster.yaml" \
    --server "$URL" --state-dir "$T/agent" >"$T/agent.log" 2>&1 &
  JOB="{\"kind\":\"tasks\",\"tasks\":$TASKS,\"gpus\":0,\"cpus\":1,\"duration_s\":$TASK_S}"
fi
AGENT_PID=$!
get() { curl -sf -H "Authorization: Bearer $TOK_ADMIN" "$URL$1"; }
up=0
for _ in $(seq 600); do
  up=$(get /healthz | python3 -c 'import json,sys; print(json.load(sys.stdin).get("nodes_up", 0))' 2>/dev/null || echo 0)
  [ "$up" = "$NODES" ] && break
  sleep 0.1
done
[ "$up" = "$NODES" ] || die "only $up of $NODES nodes came up"
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
busy() { awk '/^cpu / {print ($2 + $3 + $4 + $7 + $8) / 100}' /proc/stat; } # user nice system irq softirq
c0=$(cpu "$CTLD_PID") a0=$(cpu "$AGENT_PID") m0=$(busy)

echo "== one array of $TASKS tasks of ${TASK_S} s"
t0=$(date +%s.%N)
id=$(curl -sf -H "Authorization: Bearer $TOK_ADMIN" -X POST "$URL/v1/jobs" \
  -d "$JOB" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
(sleep 2 && "$B/api_load" --url "$URL" --token "$TOK_USER" --get /v1/cluster --rate 10 \
  --threads 1 --seconds "$LOAD_S" --json >"$T/api_cluster.json" 2>&1 &&
  "$B/api_load" --url "$URL" --token "$TOK_ADMIN" --get "/v1/jobs/$id" --rate 10 \
    --threads 1 --seconds "$LOAD_S" --json >"$T/api_job.json" 2>&1) &
LOAD_PID=$!
if [ -n "$PERF" ]; then
  who=$CTLD_PID
  [ "$PERF" = agent ] && who=$AGENT_PID
  perf record ${PERF_CALLGRAPH:--g} -p "$who" -o "$T/perf.data" -- sleep 8 >/dev/null 2>&1 &
fi
state=''
while :; do
  # curl and sed only: a python3 a poll (through pyenv's shell shims) cost a tenth of the
  # machine in the --real runs
  state=$(get "/v1/jobs/$id" | sed -n 's/.*"state":"\([a-z]*\)".*"units":{[^}]*"running":\([0-9]*\),"done":\([0-9]*\),"failed":\([0-9]*\).*/\1 \3 \4 \2/p')
  [ -n "${TRACE:-}" ] && echo "  $(date +%T.%N | cut -c1-12) $state"
  case "$state" in completed* | failed* | cancelled*) break ;; esac
  kill -0 "$CTLD_PID" 2>/dev/null || die "gantryd exited"
  sleep 0.5
done
t1=$(date +%s.%N)
c1=$(cpu "$CTLD_PID") a1=$(cpu "$AGENT_PID") m1=$(busy)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$CTLD_PID/status")
wait "$LOAD_PID" || true
LOAD_PID=''
mkdir -p out/bench
python3 - "$T" "$NODES" "$CORES" "$TASKS" "$TASK_S" "$t0" "$t1" "$c0" "$c1" "$a0" "$a1" "$rss" "$state" "$m0" "$m1" "${REAL:-0}" <<'PY' | tee out/bench/task_throughput.json.txt
import json, sys
T, nodes, cores, tasks, task_s, t0, t1, c0, c1, a0, a1, rss, state, m0, m1, real = sys.argv[1:]
nodes, cores, tasks = int(nodes), int(cores), int(tasks)
wall = float(t1) - float(t0)
ctld, agent = float(c1) - float(c0), float(a1) - float(a0)
def lat(f):
    try:
        d = json.loads(open(T + "/" + f).read().strip().splitlines()[-1])
        return d["latency_ms"]
    except Exception:
        return None
out = {"nodes": nodes, "cores": cores, "slots": nodes * cores, "tasks": tasks,
       "task_s": float(task_s), "state": state, "seconds": round(wall, 2),
       "tasks_per_s": round(tasks / wall), "ctld_cpu_s": round(ctld, 2),
       "ctld_us_per_task": round(ctld / tasks * 1e6, 1), "agent_cpu_s": round(agent, 2),
       "agent_us_per_task": round(agent / tasks * 1e6, 1), "ctld_peak_rss_mb": round(int(rss) / 1024),
       "api_cluster_ms": lat("api_cluster.json"), "api_job_ms": lat("api_job.json"),
       "real": real == "1", "machine_cpu_s": round(float(m1) - float(m0), 2),
       "machine_us_per_task": round((float(m1) - float(m0)) / tasks * 1e6, 1)}
what = "`true`" if real == "1" else f"{task_s} s"
print(f"tasks {tasks} of {what} on {nodes} nodes x {cores} cores: {state}")
print(f"  {out['seconds']} s from submission to completion: {out['tasks_per_s']} tasks/s")
print(f"  gantryd CPU {out['ctld_cpu_s']} s ({out['ctld_us_per_task']} us a task), "
      f"agent CPU {out['agent_cpu_s']} s ({out['agent_us_per_task']} us a task), "
      f"gantryd peak RSS {out['ctld_peak_rss_mb']} MB")
print(f"  the whole machine busy {out['machine_cpu_s']} s ({out['machine_us_per_task']} us a task)")
for k in ("api_cluster_ms", "api_job_ms"):
    v = out[k]
    if v:
        print(f"  {k[4:-3]} GET meanwhile: p50 {v['p50']:.1f} ms, p99 {v['p99']:.1f} ms, max {v['max']:.1f} ms")
open("out/bench/task_throughput.json", "w").write(json.dumps(out) + "\n")
PY
rm -f out/bench/task_throughput.json.txt
if [ -n "$PERF" ]; then
  sleep 1
  echo "== perf: top symbols of $PERF"
  perf report -i "$T/perf.data" --no-children --sort symbol 2>/dev/null | grep -E '^ +[0-9]' | head -25
fi
