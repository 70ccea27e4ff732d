#!/usr/bin/env bash
# Nodes that join and leave while gantryd runs: the config has a pool of two slots
# (spot-n00, spot-n01, a generate block with `pool: spot`). Agents started with --pool spot
# under their own names (alpha, beta) are bound to free slots and serve under the slots'
# names; a third (gamma) finds the pool full and keeps asking. Work runs on the pool's
# nodes. A gantryd killed and started again keeps the bindings. `gantry node remove` drains
# a pool node; once its work is done it leaves (down, the slot free) and its agent stops;
# gamma then takes the slot.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init pool
write_config 1
cat >>"$T/cluster.yaml" <<'YAML'
  - generate: {prefix: spot, shape: {node: 2}, node: {gpus: 0, cpus: 2, memory_gb: 1}, pool: spot}
YAML
start_ctld || exit 1
start_agent n1
# Each pool agent gets ports of its own (they share this host).
lo=${AGENT_PORTS%%:*}
pool_agent() { # NAME PORT-OFFSET
  AGENT_EXTRA=(--pool spot)
  AGENT_PORTS=$((lo + $2)):$((lo + $2 + 49)) start_agent "$1"
  AGENT_EXTRA=()
}
pool_agent alpha 50
check alpha-joined wait_until 15 "api GET /v1/nodes/spot-n00 | cut -d' ' -f2- | jq_py 'd[\"state\"], d[\"pool\"][\"joined_as\"]' | grep -qx 'up alpha'"
pool_agent beta 100
check beta-joined wait_until 15 "api GET /v1/nodes/spot-n01 | cut -d' ' -f2- | jq_py 'd[\"state\"], d[\"pool\"][\"joined_as\"]' | grep -qx 'up beta'"
check agent-renamed "grep -q 'node alpha joined pool spot as spot-n00' '$T/agent-alpha.log'"
check ctld-logged "grep -q 'node alpha joined pool spot as spot-n00' '$T/ctld.log'"
pool_agent gamma 150
check gamma-refused wait_until 10 "grep -q \"pool 'spot' has no free node\" '$T/agent-gamma.log'"
check cli-node "G node spot-n01 | grep -qE '^pool: +spot, joined as beta'"

# Work on the pool: four one-core tasks go to the two CPU-only pool nodes.
arr=$(submit '{"kind":"tasks","tasks":4,"gpus":0,"cpus":1,"command":["sleep","4"]}')
check runs-on-pool wait_until 10 "job $arr 'sorted(set(n[\"node\"] for u in d[\"placement\"] for n in u[\"nodes\"]))' | grep -qF \"['spot-n00', 'spot-n01']\""

# A restart keeps the bindings (the agents come back under the slots' names).
kill -9 "$CTLD_PID"
start_ctld || exit 1
check bound-after-restart "api GET /v1/nodes/spot-n01 | cut -d' ' -f2- | jq_py 'd[\"pool\"][\"joined_as\"]' | grep -qx beta"
check back-up wait_until 15 "node_state_is spot-n00 up && node_state_is spot-n01 up"
check agents-back wait_until 15 "grep -q 'agent .*-alpha registered' '$T/ctld.log' && grep -q 'agent .*-beta registered' '$T/ctld.log'"

# beta leaves: drained while its task runs, then gone; its agent stops; gamma joins.
check remove "G node remove spot-n01 | grep -q 'leaving its pool'"
check draining "[ \"\$(api GET /v1/nodes/spot-n01 | cut -d' ' -f2- | jq_py 'd[\"state\"], d[\"pool\"][\"leaving\"]')\" = 'draining True' ] || node_state_is spot-n01 down"
check left wait_until 20 "api GET /v1/nodes/spot-n01 | cut -d' ' -f2- | jq_py 'd[\"pool\"][\"joined_as\"]' | grep -qx None || grep -q 'node spot-n01 left its pool' '$T/ctld.log'"
check beta-stops wait_until 15 "! kill -0 ${AGENT_PID[beta]} 2>/dev/null"
check beta-says "grep -q 'this node left its pool; stopping' '$T/agent-beta.log'"
check gamma-joins wait_until 30 "api GET /v1/nodes/spot-n01 | cut -d' ' -f2- | jq_py 'd[\"state\"], d[\"pool\"][\"joined_as\"]' | grep -qx 'up gamma'"
check tasks-done wait_until 20 job_state_is "$arr" completed

check remove-fixed "api POST /v1/nodes/n1/remove '{}' | grep -q '^400 .*not in a pool'"
check remove-unknown "api POST /v1/nodes/nope/remove '{}' | grep -q '^404'"
check user-cannot "api POST /v1/nodes/spot-n00/remove '{}' '$TOK_A' | grep -q '^403'"
check bad-pool "api POST /v1/agent/register '{\"agent\":\"x\",\"proto\":2,\"nodes\":[{\"name\":\"z\",\"gpus\":0,\"cpus\":2,\"memory_mb\":1024,\"pool\":\"nope\"}]}' \"$TOK_NODE\" | grep -q \"^404 .*no pool 'nope'\""
stop_all
finish
