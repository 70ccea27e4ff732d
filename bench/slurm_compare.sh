#!/usr/bin/env bash
# gantry against Slurm on this machine: starts gantry (gantryd + one agent per node) and
# Debian's Slurm (munged + slurmctld + one `slurmd -N nodeNN` per node) on loopback, each
# with the same shape (NODES nodes of 16 CPUs), one system at a time, and runs the same work
# through both:
#   submission   JOBS one-CPU `true` jobs, one CLI process per job (sbatch / gantry submit)
#                from CLIENTS concurrent clients, and for gantry its HTTP API directly;
#   end to end   the same JOBS jobs, from the first submission until all have finished;
#   backlog      JOBS jobs submitted while nothing may start (gantry: nodes drained; Slurm:
#                partition DOWN), then let go: from then until all have finished;
#   latency      LATENCY_JOBS jobs submitted one by one, submit -> the job's process runs
#                (the job records its start time itself); median and p99;
#   array        ONE array of ARRAY_TASKS one-CPU `true` tasks, one CLI submission (gantry
#                submit --tasks N / sbatch --array=0-(N-1)), at most M at once with
#                --array-max-running; from the submission until every task has finished.
#                Slurm allows arrays of at most 1001 tasks (MaxArraySize) and 10000 jobs
#                in memory (MaxJobCount, each array task counts): the script raises both
#                in the generated slurm.conf where the run needs it and says so.
# Slurm runs twice: with its defaults and with the settings of its High Throughput Computing
# Administration Guide (bench/slurm/htc.conf.in). Prints a table with the ratios and writes
# the figures as JSON (default out/bench/slurm_compare.json). See bench/README-slurm.md.
#
# Usage: bench/slurm_compare.sh [--jobs N] [--latency-jobs N] [--clients N]
#          [--latency-mode open|closed] [--latency-interval S] [--nodes N]
#          [--array-tasks N] [--array-max-running M] [--slurm-configs defaults,htc]
#          [--only gantry|slurm] [--measures cli,api,backlog,latency,array] [--out FILE]
#          [--timeout S] [--quiet-wait S] [--no-build] [--keep]
# --array-tasks 0 skips the array case; --measures runs only the listed measurements (all
# by default); --timeout bounds each measurement (default 600 s; the array case gets at
# least ARRAY_TASKS/10 s).
# Other work on the machine skews the figures: before each measurement it waits up to
# --quiet-wait seconds (default 120) for the rest of the machine to go under 15% busy, and
# every measurement reports how much CPU other processes used meanwhile.
# Needs root to install slurm-wlm and munge (otherwise it prints the apt-get line) and to
# run Slurm's daemons. Every daemon it starts is stopped by its PID, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HERE=$ROOT/bench/slurm
CMDLINE="bench/slurm_compare.sh $*"

jobs=2000 lat_jobs=200 clients=8 lat_mode=open lat_interval=0.25 nodes=4 cpus=16
configs=defaults,htc only="" out=out/bench/slurm_compare.json timeout=600 build=1 keep=0
quiet_wait=120 quiet_pct=15 array_tasks=10000 array_max=0 measures=cli,api,backlog,latency,array
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift ;;
    --latency-jobs) lat_jobs=$2; shift ;;
    --clients) clients=$2; shift ;;
    --latency-mode) lat_mode=$2; shift ;;
    --latency-interval) lat_interval=$2; shift ;;
    --nodes) nodes=$2; shift ;;
    --array-tasks) array_tasks=$2; shift ;;
    --array-max-running) array_max=$2; shift ;;
    --measures) measures=$2; shift ;;
    --slurm-configs) configs=$2; shift ;;
    --only) only=$2; shift ;;
    --out) out=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --quiet-wait) quiet_wait=$2; shift ;;
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "slurm_compare: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $quiet_wait =~ ^[0-9]+$ ]] || { echo "slurm_compare: --quiet-wait wants seconds" >&2; exit 2; }
for v in jobs lat_jobs clients nodes timeout; do
  [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || { echo "slurm_compare: --${v//_/-} wants a positive integer" >&2; exit 2; }
done
for v in array_tasks array_max; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "slurm_compare: --${v//_/-} wants a whole number" >&2; exit 2; }
done
[ "$array_max" -le "$array_tasks" ] || { echo "slurm_compare: --array-max-running is more than --array-tasks" >&2; exit 2; }
[ "$array_tasks" -le 4000000 ] || { echo "slurm_compare: --array-tasks is at most 4000000 (Slurm's largest MaxArraySize)" >&2; exit 2; }
IFS=, read -r -a want_list <<<"$measures"
for m in "${want_list[@]}"; do
  case $m in cli | api | backlog | latency | array) ;; *) echo "slurm_compare: unknown measurement '$m' (cli, api, backlog, latency, array)" >&2; exit 2 ;; esac
done
want() { [[ ",$measures," == *",$1,"* ]] && { [ "$1" != array ] || [ "$array_tasks" -gt 0 ]; }; }
array_timeout=$timeout array_poll=0.1
[ $((array_tasks / 10)) -gt "$array_timeout" ] && array_timeout=$((array_tasks / 10))
[ "$nodes" -le 16 ] || { echo "slurm_compare: --nodes is at most 16" >&2; exit 2; }
case $lat_mode in open | closed) ;; *) echo "slurm_compare: --latency-mode open|closed" >&2; exit 2 ;; esac
case $only in "" | gantry | slurm) ;; *) echo "slurm_compare: --only gantry|slurm" >&2; exit 2 ;; esac
IFS=, read -r -a slurm_configs <<<"$configs"
for c in "${slurm_configs[@]}"; do
  case $c in defaults | htc) ;; *) echo "slurm_compare: unknown Slurm config '$c' (defaults, htc)" >&2; exit 2 ;; esac
done

say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# ---- packages and the build ----
pkgs=(slurm-wlm munge slurmrestd)
command -v python3 >/dev/null || pkgs+=(python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "slurm_compare: missing packages; run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
[ "$(id -u)" -eq 0 ] || { echo "slurm_compare: Slurm's daemons run as root here: run as root" >&2; exit 1; }
for t in munged mungekey munge slurmctld slurmd slurmrestd sbatch squeue sinfo scontrol scancel; do
  command -v "$t" >/dev/null || { echo "slurm_compare: $t not found after installing slurm-wlm and munge" >&2; exit 1; }
done

BIN=$ROOT/build-bench
if [ "$build" -eq 1 ]; then
  scripts/deps.sh build
  ok=0
  for try in 1 2 3 4 5; do
    if cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >"/tmp/slurm_compare.build.$$" 2>&1 &&
      ninja -C build-bench gantryd gantry-agent gantry >>"/tmp/slurm_compare.build.$$" 2>&1; then
      ok=1
      break
    fi
    say "build failed (try $try of 5; the tree may be mid-edit), retrying in 20 s:"
    tail -5 "/tmp/slurm_compare.build.$$" >&2
    sleep 20
  done
  rm -f "/tmp/slurm_compare.build.$$"
  [ "$ok" -eq 1 ] || { echo "slurm_compare: could not build gantry" >&2; exit 1; }
fi
for b in gantryd gantry-agent gantry gantry-shim; do
  [ -x "$BIN/$b" ] || { echo "slurm_compare: $BIN/$b missing (build it or drop --no-build)" >&2; exit 1; }
done
# What was measured: the tree as built (others may commit while this runs).
GANTRY_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && GANTRY_REV+=" + uncommitted changes"
GANTRY_BUILT=$(date -r "$BIN/gantryd" +%Y-%m-%dT%H:%M:%S%z)

# ---- daemons: every one is started here and stopped by its PID ----
T=$(mktemp -d "${TMPDIR:-/tmp}/slurm-compare.XXXXXX")
chmod 755 "$T" # munged wants its socket's folders reachable by everyone
RES=$T/results
mkdir -p "$RES" "$T/lat"
chmod 1777 "$T/lat" # jobs submitted through slurmrestd run as its user (nobody)
declare -A DNAME DLOG
PIDS=()

# CPU accounting: this script and everything it starts (daemons, their job processes, even
# ones that detach like slurmstepd) go into a cpuacct cgroup of their own, so each
# measurement can tell how much CPU other work on the machine took meanwhile. Accounting
# only: no limits. Without a writable cgroup it falls back to counting the daemons' PIDs.
CG="" CG_HOME=""
for base in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do
  [ -f "$base/cpuacct.usage" ] && [ -w "$base" ] || continue
  home=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' /proc/self/cgroup)
  if mkdir "$base/slurm-compare.$$" 2>/dev/null; then
    if echo $$ >"$base/slurm-compare.$$/cgroup.procs" 2>/dev/null; then
      CG=$base/slurm-compare.$$ CG_HOME=$base${home%/}
    else
      rmdir "$base/slurm-compare.$$" 2>/dev/null || true
    fi
  fi
  break
done
export BENCH_CGROUP=$CG
failed=1
SLURM_UP=""

start_daemon() { # NAME LOG CMD...: sets $DPID
  local name=$1 logf=$2
  shift 2
  "$@" >>"$logf" 2>&1 </dev/null &
  DPID=$!
  PIDS+=("$DPID")
  DNAME[$DPID]=$name
  DLOG[$DPID]=$logf
}

daemon_failed() { # PID [WHY]
  local pid=$1
  echo "slurm_compare: ${DNAME[$pid]} ${2:-failed to start}; last lines of ${DLOG[$pid]}:" >&2
  tail -n 25 "${DLOG[$pid]}" 2>/dev/null | sed 's/^/    | /' >&2
  exit 1
}

alive() { kill -0 "$1" 2>/dev/null; }

stop_pid() { # PID: TERM, then KILL after 10 s
  local pid=$1 i
  alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    alive "$pid" || break
    sleep 0.1
  done
  alive "$pid" && { say "${DNAME[$pid]:-$pid} ignored SIGTERM; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || true
}

stop_pids() { # PID...: in reverse order
  local i pids=("$@")
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[$i]}"; done
}

wait_for() { # SECONDS WHAT PID CMD...: retry CMD every 0.1 s while PID lives
  local secs=$1 what=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || daemon_failed "$pid" "exited while waiting for $what"
    [ "$SECONDS" -ge "$deadline" ] && daemon_failed "$pid" "not ready after ${secs} s ($what)"
    sleep 0.1
  done
}

kill_gantry_ranks() { # ranks run in their own sessions: stop what is left of them by PID
  local f
  for f in "$T"/gantry/agent-*/runs/*/rank*/pid; do
    [ -f "$f" ] && { kill -9 -- "-$(head -n1 "$f")" 2>/dev/null || true; }
  done
  return 0
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$SLURM_UP" ] && [ -n "${SLURM_CONF:-}" ]; then
    timeout 10 scancel --full --quiet --partition=bench >/dev/null 2>&1 || true
  fi
  stop_pids "${PIDS[@]}"
  kill_gantry_ranks
  if [ -n "$CG" ]; then # back home, then remove the accounting cgroup once it is empty
    echo $$ >"$CG_HOME/cgroup.procs" 2>/dev/null || true
    # Anything still in it was started by this run (e.g. a slurmstepd and its job after an
    # interrupted run): stop it by its PID.
    local p
    for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
      [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || kill -9 "$p" 2>/dev/null || true
    done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      rmdir "$CG" 2>/dev/null && break
      sleep 0.2
    done
    [ -d "$CG" ] && echo "slurm_compare: could not remove $CG (processes left in it)" >&2
  fi
  if [ "$failed" -ne 0 ] || [ "$keep" -eq 1 ]; then
    echo "slurm_compare: logs and configs kept in $T" >&2
  else
    rm -rf "$T"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -E
trap 'echo "slurm_compare: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

free_ports() { # COUNT: a base port with COUNT consecutive free ports on 127.0.0.1
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 32000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base); sys.exit(0)
sys.exit("no free ports")
PY
}

driver() { # in the background, so that a signal to this script is handled at once
  python3 -B "$HERE/driver.py" "$@" &
  wait $!
}

quiet() { # wait until other work on the machine calms down (a warning if it does not)
  # As root, also write back and drop the kernel's caches: on an ext4 without a journal
  # (this sandbox's disk) a new file's inode allocation skips every inode deleted in the
  # last 5 to 300 s, slowly, so whatever the previous run (or its cleanup) deleted would
  # slow the next system's file creations. Both systems start each measurement alike.
  if [ "$(id -u)" -eq 0 ]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
  fi
  driver quiet --max-wait "$quiet_wait" --threshold "$quiet_pct"
}

run_phases() { # LABEL SYSTEM PID...: the measurements for one system, whose daemons are PID...
  local label=$1 sys=$2 api=0
  shift 2
  export DAEMON_PIDS="$*"
  [ "$sys" = gantry ] || [ -n "${SLURM_REST_SOCKET:-}" ] && api=1
  if want cli; then
    quiet
    say "$label: submission and end to end, $jobs jobs, CLI, $clients clients"
    driver throughput --system "$sys" --via cli --jobs "$jobs" --clients "$clients" \
      --timeout "$timeout" --label "$label" --key cli --out "$RES/$label-cli.json" >/dev/null
  fi
  if want api && [ "$api" -eq 1 ]; then
    quiet
    say "$label: submission and end to end, $jobs jobs, HTTP API, $clients connections"
    driver throughput --system "$sys" --via api --jobs "$jobs" --clients "$clients" \
      --timeout "$timeout" --label "$label" --key api --out "$RES/$label-api.json" >/dev/null
  fi
  local via=cli
  [ "$api" -eq 1 ] && via=api
  if want backlog; then
    quiet
    say "$label: backlog drain, $jobs jobs submitted ($via) while held back, then let go"
    driver throughput --system "$sys" --via "$via" --backlog --jobs "$jobs" --clients "$clients" \
      --timeout "$timeout" --label "$label" --key backlog --out "$RES/$label-backlog.json" >/dev/null
  fi
  if want latency; then
    quiet
    say "$label: latency, $lat_jobs jobs ($lat_mode, CLI)"
    driver latency --system "$sys" --via cli --jobs "$lat_jobs" --mode "$lat_mode" \
      --interval "$lat_interval" --dir "$T/lat" --tag "$label" --timeout "$timeout" \
      --label "$label" --key lat_cli --out "$RES/$label-lat_cli.json" >/dev/null
    if [ "$api" -eq 1 ]; then
      quiet
      say "$label: latency, $lat_jobs jobs ($lat_mode, HTTP API)"
      driver latency --system "$sys" --via api --jobs "$lat_jobs" --mode "$lat_mode" \
        --interval "$lat_interval" --dir "$T/lat" --tag "$label" --timeout "$timeout" \
        --label "$label" --key lat_api --out "$RES/$label-lat_api.json" >/dev/null
    fi
  fi
  if want array; then
    quiet
    say "$label: array, one array of $array_tasks tasks$([ "$array_max" -gt 0 ] && echo ", at most $array_max at once") (CLI, one submission)"
    driver array --system "$sys" --tasks "$array_tasks" --max-running "$array_max" \
      --poll "$array_poll" --timeout "$array_timeout" --label "$label" --key array \
      --out "$RES/$label-array.json" >/dev/null
  fi
}

# ---- gantry ----
TOK_ADMIN=bench-admin-token-0123456789
TOK_NODE=bench-node-token-0123456789

gantry_healthy() { # nodes up == $nodes
  python3 -c "import json, sys, urllib.request
d = json.load(urllib.request.urlopen('$GANTRY_URL/healthz', timeout=5))
sys.exit(0 if d['nodes_up'] == $nodes else 1)"
}

run_gantry() {
  local G=$T/gantry i port="" pids=()
  mkdir -p "$G"
  printf '# token tenant role\n%s ops admin\n%s ops node\n' "$TOK_ADMIN" "$TOK_NODE" >"$G/tokens"
  {
    echo "levels: [cluster, node]"
    echo "tenants: [{name: ops, share: 1}]"
    echo "server: {listen: '127.0.0.1:0', data_dir: $G/data, tokens: $G/tokens,"
    echo "         heartbeat_s: 5, node_timeout_s: 30}"
    echo "fleet:"
    for i in $(seq 1 "$nodes"); do
      echo "  - {name: n$i, gpus: 0, cpus: $cpus, memory_gb: 4}"
    done
  } >"$G/cluster.yaml"
  # Default logging (lifecycle lines; the agents one line per started job), like Slurm's
  # default info level.
  start_daemon gantryd "$G/gantryd.log" "$BIN/gantryd" --config "$G/cluster.yaml"
  local ctld=$DPID
  pids+=("$ctld")
  for i in $(seq 100); do
    port=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$G/gantryd.log" | tail -1)
    [ -n "$port" ] && break
    alive "$ctld" || daemon_failed "$ctld"
    sleep 0.1
  done
  [ -n "$port" ] || daemon_failed "$ctld" "did not say which port it listens on within 10 s"
  export GANTRY_URL=http://127.0.0.1:$port GANTRY_TOKEN=$TOK_ADMIN GANTRY_CLI=$BIN/gantry
  for i in $(seq 1 "$nodes"); do
    GANTRY_NODE_TOKEN=$TOK_NODE start_daemon "gantry-agent n$i" "$G/agent-n$i.log" "$BIN/gantry-agent" \
      --server "$GANTRY_URL" --node "n$i" --state-dir "$G/agent-n$i" --cpus "$cpus" \
      --memory-mb 4096 --fake-gpus 0
    pids+=("$DPID")
  done
  local p
  for p in "${pids[@]:1}"; do
    sleep 0.1
    alive "$p" || daemon_failed "$p"
  done
  wait_for 30 "$nodes nodes up" "$ctld" gantry_healthy
  for p in "${pids[@]:1}"; do alive "$p" || daemon_failed "$p" "exited"; done
  say "gantry: gantryd on $GANTRY_URL, $nodes agents up"
  run_phases gantry gantry "${pids[@]}"
  stop_pids "${pids[@]}"
  kill_gantry_ranks
  unset GANTRY_URL GANTRY_TOKEN GANTRY_CLI
}

# ---- Slurm ----
slurm_ready() { # every node idle
  [ "$(sinfo -h -N -o '%N %t' 2>/dev/null | grep -c ' idle$')" -eq "$nodes" ]
}

run_slurm() { # defaults|htc
  local cfg=$1 label=slurm-$1 S=$T/slurm-$1 i nn base ctld_port nodes_txt="" pids=()
  mkdir -p "$S/state" "$S/munge" "$S/jobs"
  chmod 755 "$S" "$S/munge"
  # munged with its own key and socket; the guide's 10 threads for the htc runs.
  mungekey --create --keyfile="$S/munge/munge.key" >/dev/null 2>&1 ||
    { dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 status=none && chmod 600 "$S/munge/munge.key"; }
  local threads=2
  [ "$cfg" = htc ] && threads=10
  local sock=$S/munge/munge.sock
  start_daemon "munged ($label)" "$S/munged.log" munged --foreground --socket="$sock" \
    --key-file="$S/munge/munge.key" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" --num-threads="$threads"
  local munged_pid=$DPID
  pids+=("$DPID")
  wait_for 10 "a munge credential" "$munged_pid" sh -c "munge -n -S '$sock' | unmunge -S '$sock'"

  local nports=1
  [ "$cfg" = htc ] && nports=4 # the guide: slurmctld on two to ten ports
  base=$(free_ports $((nports + nodes)))
  ctld_port=$base
  [ "$nports" -gt 1 ] && ctld_port=$base-$((base + nports - 1))
  for i in $(seq 1 "$nodes"); do
    nn=$(printf 'node%02d' "$i")
    mkdir -p "$S/spool/$nn"
    nodes_txt+="NodeName=$nn NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((base + nports + i - 1)) CPUs=$cpus RealMemory=4096 State=UNKNOWN"$'\n'
  done
  local extra="" arr=0
  want array && arr=$array_tasks
  local maxjobs=$((jobs * 3 + lat_jobs * 2 + arr + 10000))
  [ "$cfg" = htc ] && extra=$(sed "s|@MAX_JOBS@|$maxjobs|" "$HERE/htc.conf.in")
  # Slurm's limits on arrays: MaxArraySize (default 1001, so task ids 0 to 1000) and
  # MaxJobCount (default 10000 jobs in memory; each task of an array counts, and with the
  # default MinJobAge=300 finished jobs stay for 5 minutes): raised only where this run
  # would pass them.
  local limits=""
  if [ "$arr" -gt 1001 ]; then
    limits+="MaxArraySize=$arr"$'\n'
    say "$label: MaxArraySize=$arr in slurm.conf (Slurm's default 1001 allows at most 1001 tasks an array)"
  fi
  if [ "$cfg" != htc ] && [ $((jobs * 3 + lat_jobs * 2 + arr + 100)) -gt 10000 ]; then
    limits+="MaxJobCount=$maxjobs"$'\n'
    say "$label: MaxJobCount=$maxjobs in slurm.conf (Slurm's default 10000 is less than this run's jobs and array tasks)"
  fi
  printf '%s' "$limits" >"$T/limits-$label"
  extra=$limits$extra
  NODES_TXT=$nodes_txt EXTRA_TXT=$extra python3 - "$HERE/base.conf.in" "$S/slurm.conf" \
    "$ctld_port" "$sock" "$S" "node[01-$(printf '%02d' "$nodes")]" <<'PY'
import os, sys
src, dst, port, sock, d, nodelist = sys.argv[1:]
t = open(src).read()
for k, v in {"@CTLD_PORT@": port, "@MUNGE_SOCKET@": sock, "@DIR@": d, "@NODELIST@": nodelist,
             "@EXTRA@": os.environ["EXTRA_TXT"], "@NODES@": os.environ["NODES_TXT"].rstrip()}.items():
    t = t.replace(k, v)
open(dst, "w").write(t)
PY
  export SLURM_CONF=$S/slurm.conf SLURM_JOBDIR=$S/jobs
  start_daemon "slurmctld ($label)" "$S/slurmctld.stderr" slurmctld -D -i -f "$SLURM_CONF"
  local ctld=$DPID
  pids+=("$DPID")
  SLURM_UP=1
  wait_for 30 "scontrol ping" "$ctld" sh -c "scontrol ping | grep -q UP"
  for i in $(seq 1 "$nodes"); do
    nn=$(printf 'node%02d' "$i")
    start_daemon "slurmd $nn ($label)" "$S/spool/$nn/slurmd.stderr" slurmd -D -N "$nn" -f "$SLURM_CONF"
    pids+=("$DPID")
  done
  local p
  for p in "${pids[@]:2}"; do
    sleep 0.1
    alive "$p" || daemon_failed "$p"
  done
  wait_for 60 "$nodes nodes idle in sinfo" "$ctld" slurm_ready
  # Slurm's REST API for the API measurements: slurmrestd with local authentication on a
  # Unix socket. It refuses to run as root, so it runs (and its jobs run) as nobody.
  mkdir -p "$S/rest" "$S/jobs-rest"
  chmod 1777 "$S/rest" "$S/jobs-rest" # it binds its socket after dropping to nobody
  start_daemon "slurmrestd ($label)" "$S/slurmrestd.log" slurmrestd -f "$SLURM_CONF" \
    -a rest_auth/local -s openapi/v0.0.38 -u nobody "unix:$S/rest/sock"
  pids+=("$DPID")
  wait_for 30 "slurmrestd ping" "$DPID" python3 -c "
import http.client, socket, sys
c = http.client.HTTPConnection('localhost', timeout=5)
c.sock = socket.socket(socket.AF_UNIX); c.sock.connect('$S/rest/sock')
c.request('GET', '/slurm/v0.0.38/ping'); sys.exit(0 if c.getresponse().status == 200 else 1)"
  export SLURM_REST_SOCKET=$S/rest/sock SLURM_REST_JOBDIR=$S/jobs-rest
  for p in "${pids[@]}"; do alive "$p" || daemon_failed "$p" "exited"; done
  say "$label: slurmctld on port $ctld_port, $nodes slurmd up, slurmrestd ($(sinfo -V))"
  run_phases "$label" slurm "${pids[@]}"
  timeout 10 scancel --full --quiet --partition=bench >/dev/null 2>&1 || true
  SLURM_UP=""
  stop_pids "${pids[@]}"
  unset SLURM_CONF SLURM_JOBDIR SLURM_REST_SOCKET SLURM_REST_JOBDIR
}

say "work folder $T; $jobs jobs, $lat_jobs latency jobs, an array of $array_tasks tasks, $clients clients, $nodes nodes x $cpus CPUs; measures $measures"
t_begin=$SECONDS
[ "$only" = slurm ] || run_gantry
if [ "$only" != gantry ]; then
  for c in "${slurm_configs[@]}"; do run_slurm "$c"; done
fi

GANTRY_REV=$GANTRY_REV GANTRY_BUILT=$GANTRY_BUILT CMDLINE=$CMDLINE ROOT=$ROOT WALL=$((SECONDS - t_begin)) JOBS=$jobs LAT_JOBS=$lat_jobs \
  ARRAY_TASKS=$array_tasks ARRAY_MAX=$array_max ARRAY_POLL=$array_poll MEASURES=$measures WORK=$T \
  CLIENTS=$clients LAT_MODE=$lat_mode LAT_INTERVAL=$lat_interval NODES=$nodes CPUS=$cpus \
  CONFIGS=$configs python3 - "$T/meta.json" <<'PY'
import json, os, platform, subprocess, sys, time
e = os.environ
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True, cwd=e["ROOT"]).stdout.strip()
    except OSError:
        return ""
json.dump({"command": e["CMDLINE"], "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "host": {"cores": os.cpu_count(), "kernel": platform.release(),
                    "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "loadavg_at_end": os.getloadavg()},
           "slurm": sh("dpkg-query -W -f='${Version}' slurm-wlm"),
           "munge": sh("munged --version 2>&1 | head -1"),
           "gantry_commit": e["GANTRY_REV"], "gantry_binaries_built": e["GANTRY_BUILT"],
           "params": {"jobs": int(e["JOBS"]), "latency_jobs": int(e["LAT_JOBS"]),
                      "clients": int(e["CLIENTS"]), "latency_mode": e["LAT_MODE"],
                      "latency_interval_s": float(e["LAT_INTERVAL"]), "nodes": int(e["NODES"]),
                      "cpus_per_node": int(e["CPUS"]), "slurm_configs": e["CONFIGS"],
                      "array_tasks": int(e["ARRAY_TASKS"]),
                      "array_max_running": int(e["ARRAY_MAX"]) or None,
                      "array_poll_s": float(e["ARRAY_POLL"]), "measures": e["MEASURES"]},
           "slurm_limits_raised": {c: open(os.path.join(e["WORK"], "limits-slurm-" + c)).read().split()
                                   for c in e["CONFIGS"].split(",")
                                   if os.path.exists(os.path.join(e["WORK"], "limits-slurm-" + c))},
           "wall_s": int(e["WALL"])}, open(sys.argv[1], "w"), indent=2)
PY
driver report --dir "$RES" --json "$out" --meta "$T/meta.json"
failed=0
