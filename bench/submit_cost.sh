#!/usr/bin/env bash
# What one submission costs gantryd, in instructions (valgrind's callgrind counts them, so
# the figure does not depend on what else the machine does): gantryd runs under callgrind
# with the embedded one-node config, N jobs (default 2,000; a small array of tasks with a
# command and an env) are submitted over one keep-alive connection, gantryd stops, and
# callgrind_annotate gives the inclusive cost of the submit path's two halves:
#   ctld_prepare on the HTTP thread: parse and validate the body, apply the token
#   x_submit     on the state thread: the core's submit and the journal write (no commit)
# per submission. Usage: bench/submit_cost.sh [N] [BUILD_DIR]   (BUILD_DIR: an existing
# build to measure instead of building build-bench, e.g. another commit's)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
bin=${2:-}
command -v valgrind >/dev/null || { echo "submit_cost: needs valgrind (apt-get install valgrind)"; exit 2; }
if [ -z "$bin" ]; then
  scripts/deps.sh build
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  ninja -C build-bench gantryd >/dev/null
  bin=build-bench
fi
bin=$(cd "$bin" && pwd)
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --dump-instr=no \
  "$bin/gantryd" --listen 127.0.0.1:0 --port-file "$tmp/port" --quiet 2>"$tmp/vg.log" &
pid=$!
for _ in $(seq 600); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "gantryd did not start:"; cat "$tmp/vg.log"; exit 1; }
python3 - "$(cat "$tmp/port")" "$(cat gantry-data/admin.token)" "$n" <<'PY'
import http.client, json, sys
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for i in range(n):
    spec = {"name": "s%d" % i, "kind": "tasks", "tasks": 4, "gpus": 0, "cpus": 1,
            "command": ["sh", "-c", "echo task $GANTRY_TASK_ID; sleep 1"],
            "env": {"STEP": str(i), "MODE": "bench"}, "time_limit_s": 600}
    c.request("POST", "/v1/jobs", json.dumps(spec),
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 201:
        sys.exit("submit %d: %d" % (i, r.status))
PY
kill -TERM "$pid"
wait "$pid" || true
pid=
callgrind_annotate --inclusive=yes "$tmp/cg.out" >"$tmp/annotate.txt" 2>/dev/null
cost() { # FUNCTION: its inclusive instructions, from the annotation
  awk -v f="$1" '$0 ~ ("[: ]" f " ") || $0 ~ ("[: ]" f "$") {gsub(",", "", $1); print $1; exit}' \
    "$tmp/annotate.txt"
}
p=$(cost ctld_prepare)
x=$(cost x_submit)
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$bin/CMakeCache.txt")
echo "submit_cost: $n submissions, gantryd of $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?') ($bin)"
awk -v p="${p:-0}" -v x="${x:-0}" -v n="$n" 'BEGIN {
  printf "  ctld_prepare (HTTP thread): %8.0f instructions per submission\n", p / n
  printf "  x_submit (state thread):    %8.0f instructions per submission\n", x / n
  printf "  both:                       %8.0f\n", (p + x) / n }'
