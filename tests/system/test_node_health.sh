#!/usr/bin/env bash
# A node's health check (gantry-agent --health-cmd): while it fails, the controller drains
# the node with the check's reason (running work finishes, nothing new starts); once it
# passes again the node is back in service and what waited starts. A node an operator
# drained stays drained whatever the check says. Bad health reports are refused.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init health
write_config 1
start_ctld || exit 1
cat >"$T/health.sh" <<SH
#!/bin/sh
if [ -e "$T/sick" ]; then echo "gpu 0: fell off the bus"; exit 1; fi
exit 0
SH
chmod +x "$T/health.sh"
AGENT_EXTRA=(--health-cmd "$T/health.sh" --health-every 1)
start_agent n1
check node-up wait_until 10 node_state_is n1 up
node_field() { api GET /v1/nodes/n1 | cut -d' ' -f2- | jq_py "$1"; }
check healthy wait_until 10 "[ \"\$(node_field 'd[\"health\"][\"healthy\"]')\" = True ]"

run=$(submit '{"kind":"tasks","gpus":2,"cpus":1,"command":["sleep","30"]}')
check job-runs wait_until 10 job_state_is "$run" running
touch "$T/sick"
check drained wait_until 10 node_state_is n1 draining
check reason "node_field 'd[\"reason\"]' | grep -qx 'health: gpu 0: fell off the bus (exit code 1)'"
check health-field "[ \"\$(node_field 'd[\"health\"][\"healthy\"]')\" = False ]"
check cli-node "G node n1 | grep -q 'health: gpu 0: fell off the bus'"
check running-work-stays job_state_is "$run" running
later=$(submit '{"kind":"tasks","gpus":1,"cpus":1,"command":["true"]}')
sleep 2
check nothing-new job_state_is "$later" pending
rm -f "$T/sick"
check resumed wait_until 10 node_state_is n1 up
check waiting-job-runs wait_until 10 job_state_is "$later" completed

# An operator's drain is the operator's: a passing check does not undo it.
api POST /v1/nodes/n1/drain '{"reason":"swap a fan"}' >/dev/null
sleep 3
check operator-drain-stays node_state_is n1 draining
check operator-reason "node_field 'd[\"reason\"]' | grep -qx 'swap a fan'"
api POST /v1/nodes/n1/resume >/dev/null
check operator-resumed wait_until 5 node_state_is n1 up

# The drain is journaled: a restarted gantryd still has it while the check fails.
touch "$T/sick"
check drained-again wait_until 10 node_state_is n1 draining
kill -9 "$CTLD_PID"
start_ctld || exit 1
check drain-survives-restart wait_until 10 "node_state_is n1 draining && node_field 'd[\"reason\"]' | grep -q '^health: '"
rm -f "$T/sick"
check resumed-after-restart wait_until 15 node_state_is n1 up

check bad-report "api POST /v1/agent/health '{\"nodes\":[{\"node\":\"n1\",\"healthy\":\"no\"}]}' $TOK_NODE | grep -q '^400 .*nodes\[0\].healthy'"
check unknown-session "api POST /v1/agent/health '{\"agent\":\"x\",\"session\":1,\"nodes\":[{\"node\":\"n1\",\"healthy\":false}]}' $TOK_NODE | grep -q '^404'"
check user-token-refused "api POST /v1/agent/health '{\"nodes\":[{\"node\":\"n1\",\"healthy\":false}]}' $TOK_A | grep -q '^403'"
check still-up node_state_is n1 up
G cancel "$run" >/dev/null
finish
