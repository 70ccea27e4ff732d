#!/usr/bin/env bash
# Agents act only for themselves (docs/operations.md, "Node credentials"): an agent cannot
# report about work on another node, every agent call needs its agent id and a session
# that cannot be guessed, a node's own credential (node:NAME, here stored hashed) registers
# only that node and the shared node token cannot take such a node over, node tokens
# cannot call user routes and user tokens cannot call agent routes. Logs still flow (the
# controller fetches them with the key it gave the agent), and a first start writes only
# hashed tokens to DATA_DIR/tokens.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init agentauth
write_config 3
TOK_N2=n2-own-token-0123456789
salt=0123456789abcdef0123456789abcdef
# the stored form of n2's credential, made as docs/operations.md says
echo "sha256:$salt:$(printf '%s%s' "$salt" "$TOK_N2" | sha256sum | cut -d' ' -f1) ops node:n2" \
  >>"$T/tokens"
start_ctld || exit 1
start_agent n1
AGENT_TOKEN=$TOK_N2 start_agent n2
check agents-up wait_until 15 "node_state_is n1 up && node_state_is n2 up"

units() { api GET "/v1/jobs/$1/units" | cut -d' ' -f2- | jq_py "$2"; }
x=$(submit '{"kind":"tasks","gpus":4,"cpus":1,"command":["sleep","300"]}')
y=$(submit '{"kind":"tasks","gpus":4,"cpus":1,"command":["sleep","300"]}')
check jobs-run wait_until 15 "job_state_is $x running && job_state_is $y running"
xnode=$(units "$x" "d['units'][0]['nodes'][0]")
xgen=$(units "$x" "d['units'][0]['gen']")
check two-nodes "[ \"$xnode\" != \"$(units "$y" "d['units'][0]['nodes'][0]")\" ]"

# A holder of the shared node token registers an agent of its own (for the idle n3) ...
reg='{"agent":"evil","proto":2,"nodes":[{"name":"n3","gpus":4,"cpus":2,"memory_mb":2048}]}'
s1=$(api POST /v1/agent/register "$reg" "$TOK_NODE" | cut -d' ' -f2- | jq_py "d['session']")
s2=$(api POST /v1/agent/register "$reg" "$TOK_NODE" | cut -d' ' -f2- | jq_py "d['session']")
check sessions-random "python3 -c 'import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); sys.exit(not (a > 0 and b > 0 and abs(a - b) > 1000000))' $s1 $s2"
# ... and says job x ended, naming x's node and then its own: both refused, x runs on.
exit_ev() { # NODE
  echo "{\"agent\":\"evil\",\"session\":$s2,\"events\":[{\"type\":\"exited\",\"job\":$x,\"unit\":0,\"gen\":$xgen,\"rank\":0,\"node\":\"$1\",\"exit_code\":0,\"signal\":0}]}"
}
check foreign-node-refused "api POST /v1/agent/events '$(exit_ev "$xnode")' $TOK_NODE | grep -q '^200 .*\"refused\":\[{.*\"index\":0.*is not this agent'"
check foreign-unit-refused "api POST /v1/agent/events '$(exit_ev n3)' $TOK_NODE | grep -q '^200 .*\"refused\".*does not run on node .n3.'"
sleep 1
check other-job-runs job_state_is "$x" running
check other-job-counted "units $x \"d['units'][0]['state']\" | grep -qx running"
check refusal-logged "grep -q 'agent evil reported about job $x unit 0: refused' $T/ctld.log"

# Every call names its agent and a session that was given to it.
check no-agent-events "api POST /v1/agent/events '{\"session\":$s2,\"events\":[]}' $TOK_NODE | grep -q '^400 .*\"where\":\"agent\"'"
check no-agent-health "api POST /v1/agent/health '{\"session\":$s2,\"nodes\":[{\"node\":\"n3\",\"healthy\":false}]}' $TOK_NODE | grep -q '^400 .*\"where\":\"agent\"'"
check no-agent-poll "api GET '/v1/agent/assignments?session=$s2&wait=0' '' $TOK_NODE | grep -q '^400 .*\"where\":\"agent\"'"
guess=$((s2 + 1))
check guessed-session-events "api POST /v1/agent/events '{\"agent\":\"evil\",\"session\":$guess,\"events\":[]}' $TOK_NODE | grep -q '^404 '"
check guessed-session-heartbeat "api POST /v1/agent/heartbeat '{\"agent\":\"evil\",\"session\":$guess}' $TOK_NODE | grep -q '^404 '"
check guessed-session-poll "api GET '/v1/agent/assignments?agent=evil&session=$guess&wait=0' '' $TOK_NODE | grep -q '^404 '"
check small-session "api POST /v1/agent/heartbeat '{\"agent\":\"evil\",\"session\":1}' $TOK_NODE | grep -q '^404 '"
check wrong-agent-id "api POST /v1/agent/heartbeat '{\"agent\":\"n1\",\"session\":$s2}' $TOK_NODE | grep -q '^404 '"
check own-session-works "api POST /v1/agent/heartbeat '{\"agent\":\"evil\",\"session\":$s2}' $TOK_NODE | grep -q '^200 '"

# Node credentials: n2's registers only n2; the shared token cannot register n2; another
# credential cannot use a session it did not register.
reg_as() { echo "{\"agent\":\"x\",\"proto\":2,\"nodes\":[{\"name\":\"$1\",\"gpus\":4,\"cpus\":2,\"memory_mb\":2048}]}"; }
check own-cred-other-node "api POST /v1/agent/register '$(reg_as n1)' $TOK_N2 | grep -q \"^403 .*node 'n2'.*cannot register as 'n1'\""
check shared-cannot-take-n2 "api POST /v1/agent/register '$(reg_as n2)' $TOK_NODE | grep -q \"^403 .*node 'n2' has its own credential\""
check own-cred-other-session "api POST /v1/agent/heartbeat '{\"agent\":\"evil\",\"session\":$s2}' $TOK_N2 | grep -q '^403 .*another node credential'"
check n2-agent-kept "sleep 2; node_state_is n2 up && grep -c 'registered' $T/agent-n2.log | grep -qx 1"
check refusal-logged-register "grep -q \"agent x refused: this token is the credential of node 'n2'\" $T/ctld.log"

# Roles: user tokens on agent routes, node tokens (shared or own) on user routes: 403.
for route in "POST /v1/agent/register" "POST /v1/agent/events" "POST /v1/agent/health" \
  "POST /v1/agent/heartbeat" "GET /v1/agent/assignments"; do
  check "user-on-${route##*/}" "api $route '{}' $TOK_A | grep -q '^403 .*needs a node (agent) token'"
  check "admin-on-${route##*/}" "api $route '{}' $TOK_ADMIN | grep -q '^403 '"
done
for tok in "$TOK_NODE" "$TOK_N2"; do
  for route in "GET /v1/jobs" "POST /v1/jobs" "GET /v1/whoami" "GET /v1/nodes" \
    "POST /v1/jobs/$x/cancel" "POST /v1/nodes/n1/drain"; do
    check "node-on-$route" "api $route '{}' $tok | grep -q '^403 '"
  done
done
check x-still-runs job_state_is "$x" running

# Logs come through the controller, with the key it gave the agent.
z=$(submit '{"kind":"tasks","gpus":0,"cpus":1,"command":["echo","hello from z"]}')
check z-done wait_until 15 job_state_is "$z" completed
check logs-flow "G logs $z | grep -qx 'hello from z'"

G cancel "$x" "$y" >/dev/null
stop_all

# A first start without a tokens file stores hashes only; the secrets are in the 0600 files.
sed -i "s| tokens: $T/tokens,||; s|data_dir: $T/data|data_dir: $T/data2|" "$T/cluster.yaml"
PIDS=()
start_ctld || exit 1
check hashed-file "[ \$(grep -c '^sha256:[0-9a-f]\{32\}:[0-9a-f]\{64\} default \(admin\|node\)$' $T/data2/tokens) = 2 ]"
check secrets-not-in-file "! grep -qF \"\$(cat $T/data2/admin.token)\" $T/data2/tokens && ! grep -qF \"\$(cat $T/data2/node.token)\" $T/data2/tokens"
check secret-files-0600 "[ \$(stat -c %a $T/data2/admin.token) = 600 ] && [ \$(stat -c %a $T/data2/node.token) = 600 ]"
check admin-secret-works "api GET /v1/whoami '' \$(cat $T/data2/admin.token) | grep -q '^200 .*\"role\":\"admin\"'"
check node-secret-is-node "api GET /v1/whoami '' \$(cat $T/data2/node.token) | grep -q '^403 '"
finish
