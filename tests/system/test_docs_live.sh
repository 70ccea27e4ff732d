#!/usr/bin/env bash
# Every ```gantry example in docs/*.md runs against a live one-node cluster.
#
# Environment (set by ctest): GT_SRC = source tree, GT_BIN = build tree with gantryd,
# gantry-agent and gantry.
# By hand:  GT_SRC=$PWD GT_BIN=$PWD/build-release bash tests/system/test_docs_live.sh
#           (KEEP=1 keeps the scratch folder; it is kept anyway when something fails)
#
# The cluster: in a scratch folder $T, `gantryd --listen 127.0.0.1:0 --data-dir
# $T/gantry-data` with its embedded default config (one node "local", GANTRY_NODE: this machine's
# cores, 4 fake GPUs) and `gantry-agent --server URL --token-file $T/gantry-data/node.token
# --state-dir $T/agent`. Nothing leaves loopback; jobs are real processes on this machine.
#
# What a fenced block's tag means here (``` at the start of a line opens and closes a block;
# tests/system/test_docs.sh checks the other tags):
#
#   ```gantry        a bash script, run as is with `set -euo pipefail` in front: it must
#                    exit 0. cwd is $T (so the CLI finds gantry-data/admin.token by
#                    default; examples/ there is a link to the source tree's), GT_BIN is
#                    first on PATH, GANTRY_SERVER is exported, GANTRY_TOKEN* unset.
#   ```gantry-error  the same, but it must fail: exit 1..125 (a crash or a time-out is not
#                    an expected error).
#   ```output        right after one of those: each non-empty line must appear verbatim in
#                    that block's output (stdout and stderr together; a line may be a part
#                    of an output line). Put only stable text there: no job ids, times or
#                    figures that depend on this machine.
#
# Blocks run one after the other, on the same cluster, in this file order: getting-started,
# cli, api, then the other pages by name. Job ids are given in order from 0, so a block
# should keep its own ids (`id=$(gantry submit ...)`) rather than assume them. A block must
# leave nothing running (cancel the services it starts, stop the daemons it starts): the
# node has as few as 1 or 2 cores, and every unit holds at least one. Each block runs in
# its own process group with a time limit (GT_DOCS_BLOCK_TIMEOUT, default 30 s); whatever
# it leaves behind is killed after it, and every daemon this test starts is killed by its
# PID on exit, failure included.
set -uo pipefail

: "${GT_SRC:?set GT_SRC to the source tree}" "${GT_BIN:?set GT_BIN to the build tree}"
GT_SRC=$(cd "$GT_SRC" && pwd)
GT_BIN=$(cd "$GT_BIN" && pwd)
for b in gantryd gantry-agent gantry; do
  if [ ! -x "$GT_BIN/$b" ]; then
    echo "test_docs_live: FAIL: $GT_BIN/$b not found (build it: ninja -C $GT_BIN $b)"
    exit 1
  fi
done
command -v python3 >/dev/null || { echo "test_docs_live: FAIL: python3 is needed"; exit 1; }
BLOCK_TIMEOUT=${GT_DOCS_BLOCK_TIMEOUT:-30}

T=$(mktemp -d "${TMPDIR:-/tmp}/gt-docs-live.XXXXXX")
chmod 755 "$T" # jobs run as nobody when the agent is root: they must enter $T
CG_PARENT="gantry-docs-${T##*.}"
PIDS=()      # daemons started here
BLOCK_PGID="" # process group of the block running now
failures=0 ran=0

cleanup() {
  local p f
  [ -n "$BLOCK_PGID" ] && kill -9 -- "-$BLOCK_PGID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  # Ranks started by agents run in their own sessions: kill what is left of them too
  # (the test's agent in $T/agent, and any agent a block started under $T).
  for f in "$T"/*/runs/*/rank*/pid; do
    [ -f "$f" ] && kill -9 -- "-$(head -n1 "$f")" 2>/dev/null
  done
  # The test agent's cgroups (as root): empty once its units are gone.
  for f in /sys/fs/cgroup/*/"$CG_PARENT"/*/*/ /sys/fs/cgroup/*/"$CG_PARENT"/*/ /sys/fs/cgroup/*/"$CG_PARENT"; do
    [ -d "$f" ] && rmdir "$f" 2>/dev/null
  done
  if [ "$failures" -ne 0 ] || [ -n "${KEEP:-}" ]; then
    echo "test_docs_live: logs and scratch files kept in $T"
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { # where, reason [, output file]
  failures=$((failures + 1))
  echo "test_docs_live: FAIL: $1: $2" >&2
  if [ -n "${3:-}" ] && [ -s "$3" ]; then
    sed 's/^/    | /' "$3" | head -60 >&2
  fi
}

# ---- the cluster ---------------------------------------------------------------------------

unset GANTRY_TOKEN GANTRY_TOKEN_FILE GANTRY_NODE_TOKEN GANTRY_SERVER GANTRY_CONTEXT
# The one node is named as the examples show it (by default it takes the host's name), and
# the CLI reads no configuration of the user running the test (docs/cli.md, contexts).
export GANTRY_NODE=local XDG_CONFIG_HOME=$T/config
export PATH="$GT_BIN:$PATH"
ln -s "$GT_SRC/examples" "$T/examples"
cd "$T" || exit 1

gantryd --listen 127.0.0.1:0 --data-dir "$T/gantry-data" >"$T/gantryd.log" 2>&1 &
CTLD_PID=$!
disown "$CTLD_PID"
PIDS+=("$CTLD_PID")
PORT=""
for _ in $(seq 200); do
  PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$T/gantryd.log" | tail -1)
  [ -n "$PORT" ] && break
  kill -0 "$CTLD_PID" 2>/dev/null || break
  sleep 0.05
done
if [ -z "$PORT" ]; then
  fail gantryd "did not start" "$T/gantryd.log"
  exit 1
fi
export GANTRY_SERVER=http://127.0.0.1:$PORT

gantry-agent --server "$GANTRY_SERVER" --token-file "$T/gantry-data/node.token" \
  --state-dir "$T/agent" --cgroup-parent "$CG_PARENT" >"$T/agent.log" 2>&1 &
AGENT_PID=$!
disown "$AGENT_PID"
PIDS+=("$AGENT_PID")
up=0
for _ in $(seq 200); do
  if gantry nodes 2>/dev/null | grep -q '^local  *up '; then
    up=1
    break
  fi
  kill -0 "$AGENT_PID" 2>/dev/null || break
  sleep 0.05
done
if [ $up = 0 ]; then
  gantry nodes >"$T/nodes.out" 2>&1
  cat "$T/agent.log" "$T/gantryd.log" >>"$T/nodes.out"
  fail gantry-agent "node 'local' is not up after 10 s (gantry nodes, agent and gantryd logs)" \
    "$T/nodes.out"
  exit 1
fi

# ---- the blocks ------------------------------------------------------------------------------

docs=()
for d in getting-started cli api; do
  [ -e "$GT_SRC/docs/$d.md" ] && docs+=("$GT_SRC/docs/$d.md")
done
for d in "$GT_SRC"/docs/*.md; do
  case ${d##*/} in getting-started.md | cli.md | api.md) ;; *) docs+=("$d") ;; esac
done

mkdir -p "$T/.blocks"
manifest=$T/.blocks/manifest.tsv
: >"$manifest"
for doc in "${docs[@]}"; do
  rel=docs/${doc##*/}
  # Rows: see lib/doc_blocks.awk.
  if ! awk -v rel="$rel" -v out="$T/.blocks/${doc##*/}" -v man="$manifest" -f "$GT_SRC/tests/system/lib/doc_blocks.awk" "$doc"; then
    fail "$rel" "unbalanced code fences"
  fi
done

TIMEOUT=()
command -v timeout >/dev/null && TIMEOUT=(timeout -k 2 "$BLOCK_TIMEOUT")
SETSID=()
command -v setsid >/dev/null && SETSID=(setsid)

last_out="" # output of the last block run, for a following ```output block
nblock=0

run_block() { # where, file, expect (ok | error)
  local where=$1 file=$2 expect=$3 script out pid rc
  nblock=$((nblock + 1))
  script=$T/.blocks/run.$nblock.sh
  out=$T/.blocks/out.$nblock
  { echo "set -euo pipefail"; cat "$file"; } >"$script"
  # Its own session and process group (setsid execs in place: $! is the group's id), so
  # whatever the block starts in the background can be killed after it.
  (cd "$T" && exec "${SETSID[@]}" "${TIMEOUT[@]}" bash "$script") </dev/null >"$out" 2>&1 &
  pid=$!
  BLOCK_PGID=$pid
  wait "$pid"
  rc=$?
  kill -9 -- "-$pid" 2>/dev/null
  BLOCK_PGID=""
  ran=$((ran + 1))
  if [ "$expect" = ok ] && [ "$rc" -ne 0 ]; then
    fail "$where" "exited $rc (expected 0)$([ "$rc" -ge 124 ] && [ -n "${TIMEOUT[*]}" ] && echo "; time limit ${BLOCK_TIMEOUT} s?"); its output:" "$out"
  elif [ "$expect" = error ] && { [ "$rc" -lt 1 ] || [ "$rc" -gt 125 ]; }; then
    fail "$where" "exited $rc (expected an error: 1..125); its output:" "$out"
  fi
  last_out=$out
}

check_output() { # where, file
  local where=$1 file=$2 line missing=0
  if [ -z "$last_out" ]; then
    last_out=""
    return # follows a block that test_docs.sh runs, or none: not ours
  fi
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    if ! grep -qF -- "$line" "$last_out"; then
      fail "$where" "expected output line not found: $line"
      missing=1
    fi
  done <"$file"
  if [ $missing = 1 ]; then
    echo "    the block's output:" >&2
    sed 's/^/    | /' "$last_out" | head -60 >&2
  fi
  last_out=""
}

while IFS=$'\t' read -r doc _ line tag file; do
  where="$doc:$line (\`\`\`$tag)"
  case $tag in
    gantry) run_block "$where" "$file" ok ;;
    gantry-error) run_block "$where" "$file" error ;;
    output) check_output "$where" "$file" ;;
    gantry*) fail "$where" "unknown tag '$tag' (see the list at the top of $0)" ;;
    *) last_out="" ;;
  esac
done <"$manifest"

# ---- after the blocks ------------------------------------------------------------------------

# Nothing may be left running or pending: the next block, or the next test, would wait.
gantry jobs --all --json >"$T/jobs.json" 2>&1
if ! python3 - "$T/jobs.json" >"$T/left.out" 2>&1 <<'EOF'; then
import json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
left = [f'job {j["id"]} ({j.get("name") or "-"}) is {j["state"]}' for j in jobs
        if j["state"] in ("pending", "running")]
print("\n".join(left))
sys.exit(1 if left else 0)
EOF
  fail "after the blocks" "jobs left pending or running (cancel them in the block that starts them)" \
    "$T/left.out"
fi

# Both daemons stop cleanly on SIGTERM, and the sanitizers (in an ASan build) found nothing.
kill -TERM "$AGENT_PID" "$CTLD_PID" 2>/dev/null
for p in "$AGENT_PID" "$CTLD_PID"; do
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && fail shutdown "pid $p still running 10 s after SIGTERM"
done
if grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:" "$T"/*.log >/dev/null 2>&1; then
  grep -h -A12 "AddressSanitizer\|LeakSanitizer\|runtime error:" "$T"/*.log | head -60 >"$T/san.out"
  fail sanitizer "reports in gantryd.log or agent.log" "$T/san.out"
fi

[ $ran -gt 0 ] || fail docs "no \`\`\`gantry blocks found in docs/*.md"
echo "test_docs_live: $ran blocks ran, $failures failed"
[ $failures -eq 0 ]
