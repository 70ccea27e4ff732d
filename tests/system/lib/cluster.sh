# Helpers for system tests that run real daemons on loopback (source this file).
#
#   cluster_init NAME        scratch folder $T, cleanup on exit (every daemon started is
#                            killed by its PID), check() and the pass/fail counters
#   write_config NODES       $T/cluster.yaml: NODES nodes n1..nN (4 fake GPUs, \$NODE_CPUS
#                            (default 2) CPUs, 1 GiB each), heartbeat 1 s, node timeout 4 s,
#                            a snapshot every \$SNAPSHOT_EVERY (50) journal entries, a
#                            tokens file with admin, user (tenants a and b) and node tokens
#   start_ctld               gantryd on a free port: sets $PORT, $URL, $CTLD_PID
#   start_agent NODE         gantry-agent for NODE (state in $T/agent-NODE): sets AGENT_PID[NODE]
#                            (AGENT_TOKEN: its node token, default $TOK_NODE (the shared one);
#                            AGENT_EXTRA: an array of more options; AGENT_PORTS: --ports,
#                            by default a block of 200 that cluster_init picks for the test;
#                            it reports \$NODE_CPUS CPUs, as write_config declares them,
#                            and \$FAKE_GPUS (default 4) fake GPUs)
#   api METHOD PATH [BODY] [TOKEN]   curl; prints "STATUS BODY"
#   wait_until SECONDS CMD...        retry CMD (or one string of shell) every 0.1 s until it succeeds
#   G ARGS...                the CLI as admin; submit JSON (prints the id); job ID EXPR and
#                            eps ID EXPR (a Python expression over the job's / its endpoints'
#                            document d)
#   finish                   print the summary and exit 0/1
set -uo pipefail
: "${GT_BIN:?set GT_BIN to the build folder}" "${GT_SRC:?set GT_SRC to the source tree}"
GT_BIN=$(cd "$GT_BIN" && pwd)
declare -A AGENT_PID
AGENT_EXTRA=() # more options for start_agent
PIDS=()
fails=0 passes=0

cluster_init() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/gt-$1.XXXXXX")
  # Agents run as root put each job in a cgroup under this folder and run it as `nobody`:
  # the jobs must be able to enter $T, and write where shared_dir says.
  chmod 755 "$T"
  CG_PARENT="gantry-test-${T##*.}"
  # The agents of one test give their units ports from a block of 200 of their own (in the
  # agent's default 20000-29999): agents of two tests run at once (ctest -j) would otherwise
  # both hand out the lowest free port before either replica listens on it.
  local b=$((RANDOM % 50))
  : "${AGENT_PORTS:=$((20000 + 200 * b)):$((20199 + 200 * b))}"
  trap cluster_cleanup EXIT INT TERM
}

shared_dir() { # PATH: a folder every job may write to (mode 1777)
  mkdir -p "$1" && chmod 1777 "$1"
}

# Every cgroup folder of this test's units: kill what is left in them, then remove them.
cgroup_cleanup() {
  local m u
  for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts); do
    [ -d "$m/$CG_PARENT" ] || continue
    for u in "$m/$CG_PARENT"/*/; do
      [ -d "$u" ] || continue
      xargs -r kill -9 <"$u/cgroup.procs" 2>/dev/null
      rmdir "$u" 2>/dev/null || { sleep 0.2; rmdir "$u" 2>/dev/null; }
    done
    rmdir "$m/$CG_PARENT" 2>/dev/null
  done
}

cluster_cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  # Ranks started by agents run in their own sessions: kill what is left of them too.
  for f in "$T"/agent-*/runs/*/rank*/pid; do
    [ -f "$f" ] && kill -9 -- "-$(head -n1 "$f")" 2>/dev/null
  done
  cgroup_cleanup
  if [ "$fails" -ne 0 ] || [ -n "${KEEP:-}" ]; then
    echo "logs kept in $T"
  else
    rm -rf "$T"
  fi
}

check() { # name, command... or name, "shell text" (run in a subshell): passes when it exits 0
  local name=$1
  shift
  local rc=0
  if [ $# -eq 1 ]; then
    # No pipefail here: `curl ... | grep -q` stops reading early and curl's EPIPE must not
    # count as the check failing.
    (set +o pipefail; eval "$1") >"$T/check.out" 2>&1 || rc=$?
  else
    "$@" >"$T/check.out" 2>&1 || rc=$?
  fi
  if [ "$rc" -eq 0 ]; then
    passes=$((passes + 1))
  else
    fails=$((fails + 1))
    echo "FAIL $name"
    sed 's/^/    | /' "$T/check.out" | head -20
  fi
}

# Stop every daemon with SIGTERM (they must exit cleanly within 10 s) and look for
# sanitizer reports in their logs.
stop_all() {
  local p n
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for n in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      echo "FAIL shutdown: pid $p still running 10 s after SIGTERM"
      fails=$((fails + 1))
    fi
  done
  if grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:" "$T"/*.log 2>/dev/null; then
    echo "FAIL sanitizer: reports in the logs above"
    grep -h -A12 "AddressSanitizer\|LeakSanitizer\|runtime error:" "$T"/*.log | head -60
    fails=$((fails + 1))
  fi
}

finish() {
  stop_all
  echo "$(basename "$0"): $passes passed, $fails failed"
  [ "$fails" -eq 0 ]
  exit $?
}

TOK_ADMIN=admin-token-0123456789 TOK_A=user-a-token-0123456789
TOK_B=user-b-token-0123456789 TOK_NODE=node-token-0123456789

# A free port below the kernel's ephemeral range, so that a restarted gantryd does not
# find its port taken by some client socket's local end.
free_port() {
  python3 -c '
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'
}

write_config() {
  local n=$1 i
  PORT=$(free_port)
  cat >"$T/tokens" <<TOK
# token tenant role
$TOK_ADMIN ops admin
$TOK_A a user
$TOK_B b user
$TOK_NODE ops node
TOK
  {
    echo "levels: [cluster, node]"
    echo "tenants: [{name: a, share: 1}, {name: b, share: 1}, {name: ops, share: 1}]"
    echo "server: {listen: '127.0.0.1:$PORT', data_dir: $T/data, tokens: $T/tokens,"
    echo "         heartbeat_s: 1, node_timeout_s: 4, snapshot_every: ${SNAPSHOT_EVERY:-50}}"
    echo "fleet:"
    for i in $(seq 1 "$n"); do
      echo "  - {name: n$i, gpus: 4, gpu_model: fake, cpus: ${NODE_CPUS:-2}, memory_gb: 1}"
    done
  } >"$T/cluster.yaml"
}

start_ctld() {
  # A gantryd just killed (kill -9 does not wait) may still hold the data folder's lock.
  local i
  for i in $(seq 50); do
    [ -n "${CTLD_PID:-}" ] && kill -0 "$CTLD_PID" 2>/dev/null || break
    sleep 0.1
  done
  : >"$T/ctld.log"
  "$GT_BIN/gantryd" --config "$T/cluster.yaml" "$@" >>"$T/ctld.log" 2>&1 &
  CTLD_PID=$!
  disown "$CTLD_PID"
  PIDS+=("$CTLD_PID")
  for i in $(seq 100); do
    PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$T/ctld.log" | tail -1)
    [ -n "$PORT" ] && break
    sleep 0.05
  done
  URL=http://127.0.0.1:$PORT
  [ -n "$PORT" ] || { echo "gantryd did not start:"; cat "$T/ctld.log"; return 1; }
}

start_agent() {
  local node=$1
  GANTRY_NODE_TOKEN=${AGENT_TOKEN:-$TOK_NODE} "$GT_BIN/gantry-agent" --server "$URL" --node "$node" \
    --state-dir "$T/agent-$node" --cpus "${NODE_CPUS:-2}" --memory-mb 2048 \
    --fake-gpus "${FAKE_GPUS:-4}" \
    --cgroup-parent "$CG_PARENT" ${AGENT_PORTS:+--ports "$AGENT_PORTS"} "${AGENT_EXTRA[@]}" \
    >>"$T/agent-$node.log" 2>&1 &
  AGENT_PID[$node]=$!
  disown "$!"
  PIDS+=("${AGENT_PID[$node]}")
}

api() { # METHOD PATH [BODY] [TOKEN]
  local tok=${4:-$TOK_ADMIN}
  curl -s -o "$T/api.body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $tok" \
    ${3:+--data-binary "$3"} "$URL$2"
  printf ' '
  cat "$T/api.body"
}

wait_until() { # SECONDS CMD... or SECONDS "shell text"
  local deadline=$((SECONDS + $1))
  shift
  while :; do
    if [ $# -eq 1 ]; then
      (set +o pipefail; eval "$1") >/dev/null 2>&1 && return 0
    else
      "$@" >/dev/null 2>&1 && return 0
    fi
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

jq_py() { # PYTHON-EXPRESSION over the JSON on stdin as `d`: prints the result
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

G() { # the gantry CLI against this cluster, as admin
  GANTRY_TOKEN=$TOK_ADMIN "$GT_BIN/gantry" --server "$URL" "$@"
}

submit() { # JSON: submit as admin, print the job id (a test may define its own)
  api POST /v1/jobs "$1" | cut -d' ' -f2- | jq_py "d['id']"
}

job() { # ID PYTHON-EXPRESSION over the job's document `d`
  api GET "/v1/jobs/$1" | cut -d' ' -f2- | jq_py "$2"
}

eps() { # ID PYTHON-EXPRESSION over the job's endpoints document `d`
  api GET "/v1/jobs/$1/endpoints" | cut -d' ' -f2- | jq_py "$2"
}

job_field() { # ID FIELD
  api GET "/v1/jobs/$1" | cut -d' ' -f2- | jq_py "d['$2']"
}

job_state_is() { # ID STATE
  [ "$(job_field "$1" state)" = "$2" ]
}

node_state_is() { # NODE STATE
  [ "$(api GET "/v1/nodes/$1" | cut -d' ' -f2- | jq_py "d['state']")" = "$2" ]
}
