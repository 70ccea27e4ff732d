#!/usr/bin/env bash
# A real HAProxy in front of a gantry service, kept in step with its endpoints by
# examples/serve/haproxy_sync.py through HAProxy's runtime API; a bounded load generator
# (tests/system/lib/load_gen.py) sends requests through HAProxy and counts the failures.
# Two replicas of examples/serve/model_server.py on one node:
#   a. traffic reaches both replicas;
#   b. a replica that turns unready is drained (then set to maint) and gets no traffic; it
#      gets traffic again once ready;
#   c. a replica killed with SIGKILL under load: gantry restarts it and it gets traffic
#      again; the requests that failed meanwhile are counted and must be 0 (HAProxy retries
#      a refused connection or an empty answer on another server: `retries` +
#      `option redispatch 1` + `retry-on conn-failure empty-response response-timeout`);
#   d. gantryd killed and restarted under load: HAProxy keeps its servers meanwhile and
#      while the new gantryd learns again which replicas are ready (the sync's --settle-s):
#      0 failed requests; then the sync follows the new gantryd;
#   e. HAProxy killed and started again (its slots all disabled): the sync says it cannot
#      reach it, then puts the servers back;
#   f. the sync's errors: HAProxy or gantry out of reach, a refused token, no such backend;
#   g. the service cancelled: every slot ends in maint and the sync stops.
# Skipped (77) without Debian's haproxy package ($HAPROXY, if set, names the binary).
# About 25-30 s.
. "$(dirname "$0")/lib/cluster.sh"
. "$(dirname "$0")/lib/haproxy.sh"
haproxy_require
cluster_init service-haproxy
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"

haproxy_config
start_haproxy
check haproxy-up wait_until 10 hap_up
spec=$(python3 - "$GT_SRC/examples/serve/model_server.py" "$W" <<'EOF'
import json, sys
print(json.dumps({"name": "web", "kind": "serve", "gpus": 0, "cpus": 1,
                  "replicas": {"min": 2, "max": 2}, "ports": ["http"],
                  "command": ["python3", sys.argv[1]],
                  "env": {"STATE_DIR": sys.argv[2], "COST_S": "0.01"},
                  "restart_backoff_s": 0.2, "grace_s": 1,
                  "readiness": {"http": {"path": "/ready", "port": "http"}, "period_s": 0.2}}))
EOF
)
j=$(api POST /v1/jobs "$spec" | cut -d' ' -f2- | jq_py "d['id']")
start_sync "$j" --drain-s 5 --settle-s 3 --watch-s 2
check two-endpoints wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"
p0=$(eps "$j" '[e["port"] for e in d["endpoints"] if e["replica"] == 0][0]')
p1=$(eps "$j" '[e["port"] for e in d["endpoints"] if e["replica"] == 1][0]')
check haproxy-has-both wait_until 5 "[ \"\$(hap_ports ready)\" = '$(printf '%s\n' "$p0" "$p1" | sort -n | xargs)' ]"

# a. Both replicas get traffic.
load 60 >"$T/a.json"
check a-no-failures no_failures "$T/a.json"
check a-replica-0 "[ \$(served $T/a.json 0) -gt 0 ]"
check a-replica-1 "[ \$(served $T/a.json 1) -gt 0 ]"
say a "$T/a.json"

# b. Replica 0 unready: drained, then maint; only replica 1 gets traffic; ready again: both.
touch "$W/unready-$p0"
check b-out-of-haproxy wait_until 10 "[ \"\$(hap_ports ready)\" = $p1 ]"
load 40 >"$T/b.json"
check b-no-failures no_failures "$T/b.json"
check b-only-replica-1 "[ \$(served $T/b.json 0) = 0 ] && [ \$(served $T/b.json 1) = 40 ]"
say b-unready "$T/b.json"
check b-drained-to-maint wait_until 5 "hap_ports maint | grep -qw $p0"
check b-sync-drained "grep -q 'state drain (127.0.0.1:$p0 left the endpoints)' '$T/sync.log'"
rm -f "$W/unready-$p0"
check b-back-in-haproxy wait_until 10 "hap_ports ready | grep -qw $p0"
load 40 >"$T/b2.json"
check b-back-no-failures no_failures "$T/b2.json"
check b-back-gets-traffic "[ \$(served $T/b2.json 0) -gt 0 ]"
say b-ready-again "$T/b2.json"

# c. Replica 1 killed under load (5 s of it, the kill after 1 s): restarted by gantry, back
# in HAProxy, and not one request lost meanwhile.
gen1() { eps "$j" '[e["gen"] for e in d["endpoints"] if e["replica"] == 1] or [-1]' | tr -d '[]'; }
g=$(gen1)
read -r r0 d0 < <(hap_retries)
load 5s >"$T/c.json" &
loader=$!
sleep 1
kill -9 "$(cat "$W/pid-$p1")"
check c-restarted wait_until 15 "[ \$(gen1) -gt $g ]"
p1=$(eps "$j" '[e["port"] for e in d["endpoints"] if e["replica"] == 1][0]')
check c-back-in-haproxy wait_until 10 "hap_ports ready | grep -qw $p1"
wait "$loader"
check c-kill-no-failures no_failures "$T/c.json"
read -r r1 d1 < <(hap_retries)
say c-kill "$T/c.json"
echo "c-kill: HAProxy retried $((r1 - r0)) and redispatched $((d1 - d0)) of them meanwhile"
load 40 >"$T/c2.json"
check c-restarted-gets-traffic "jq_py \"d['replicas']\" <$T/c2.json | grep -q 'replica 1 restart 1'"

# d. gantryd killed and restarted under load (6 s of it: the kill, a second without gantryd,
# the new one's first answers and the sync's settling): HAProxy serves on, the sync finds
# the new gantryd.
load 6s >"$T/d.json" &
loader=$!
sleep 0.5
kill -9 "$CTLD_PID"
sleep 1
start_ctld || exit 1
check d-sync-said-unreachable wait_until 5 "grep -q 'cannot reach gantry at $URL' '$T/sync.log'"
check d-sync-back wait_until 15 "grep -q 'gantry at $URL answers again' '$T/sync.log'"
check d-sync-settles "grep -q 'gantry may have restarted: for 3 s, servers are added but none removed' '$T/sync.log'"
wait "$loader"
check d-restart-no-failures no_failures "$T/d.json"
say d-gantryd-restart "$T/d.json"
check d-both-ready wait_until 15 "[ \"\$(eps $j 'd[\"ready\"]')\" = 2 ]"
touch "$W/unready-$p0"
check d-sync-follows wait_until 10 "[ \"\$(hap_ports ready)\" = $p1 ]"
rm -f "$W/unready-$p0"
check d-back wait_until 10 "hap_ports ready | grep -qw $p0"

# e. HAProxy killed and started again: its slots come back disabled; the sync puts them right.
kill -9 "$HAP_PID"
check e-sync-says wait_until 10 "grep -q \"cannot reach HAProxy's runtime API at $T/haproxy.sock\" '$T/sync.log'"
start_haproxy
check e-haproxy-again wait_until 10 hap_up
check e-servers-back wait_until 10 "[ \"\$(hap_ports ready | wc -w)\" = 2 ]"
check e-sync-back "grep -q 'HAProxy at $T/haproxy.sock answers again' '$T/sync.log'"
load 40 >"$T/e.json"
check e-no-failures no_failures "$T/e.json"

# f. The sync's errors, in plain words (--once: one turn, exit 1 when out of reach, 2 when
# retrying cannot help).
once() { python3 "$SYNC" --once --server "$URL" --token-file "$T/admin.token" "$@"; }
check f-no-haproxy "once --socket $T/nothing.sock --backend model $j 2>&1; [ \$? = 1 ]"
check f-no-haproxy-says "once --socket $T/nothing.sock --backend model $j 2>&1 | grep -q \"cannot reach HAProxy's runtime API at $T/nothing.sock (No such file or directory; haproxy needs .stats socket $T/nothing.sock level admin. in its global section)\""
nowhere=http://127.0.0.1:$(free_port)
check f-no-gantry "python3 $SYNC --once --server $nowhere --token-file $T/admin.token --socket $T/haproxy.sock --backend model $j 2>&1 | grep -q 'cannot reach gantry at $nowhere (.*refused)'"
echo wrong-token >"$T/wrong.token"
check f-bad-token "python3 $SYNC --once --server $URL --token-file $T/wrong.token --socket $T/haproxy.sock --backend model $j 2>&1 | grep -q 'gantry at $URL answered 401 for job $j: .*--token-file'"
check f-no-token-file "once --token-file $T/missing --socket $T/haproxy.sock --backend model $j 2>&1 | grep -q \"cannot read a token from '$T/missing' (No such file or directory)\""
check f-no-backend "once --socket $T/haproxy.sock --backend nope $j 2>&1 | grep -q \"HAProxy has no backend 'nope'\""
check f-no-job "once --socket $T/haproxy.sock --backend model 9999 2>&1 | grep -q 'answered 404 for job 9999: no job 9999'"
check f-haproxy-untouched "[ \"\$(hap_ports ready | wc -w)\" = 2 ]"

# g. The service cancelled: its slots drain to maint and the sync stops by itself.
api POST "/v1/jobs/$j/cancel" >/dev/null
check g-sync-stops wait_until 15 "! kill -0 $SYNC_PID"
check g-sync-said "grep -q 'job $j is cancelled; its slots are drained: stopping' '$T/sync.log'"
check g-all-maint "[ \"\$(hap_ports ready)\" = '' ] && [ \"\$(hap_ports drain)\" = '' ]"
finish
