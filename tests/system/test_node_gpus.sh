#!/usr/bin/env bash
# An agent that finds fewer GPUs than the config gives its node registers degraded instead
# of being refused: the missing GPUs are off (nothing is placed on them), the node's
# document and gantry node say which and why, and a gantryd restarted meanwhile keeps them
# off (journaled). Once the agent finds them all again they are back in use. Fewer cores
# than configured is still refused, with the reason.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init gpus
write_config 1
start_ctld || exit 1
FAKE_GPUS=2 start_agent n1
check node-up wait_until 10 node_state_is n1 up
node_field() { api GET /v1/nodes/n1 | cut -d' ' -f2- | jq_py "$1"; }
check gpus-off "[ \"\$(node_field 'd[\"gpus_off\"], d[\"gpus_free\"]')\" = '[2, 3] 2' ]"
check gpus-off-reason "node_field 'd[\"gpus_off_reason\"]' | grep -qx 'its agent found 2 of the 4 GPUs the config gives it'"
check cli-node "G node n1 | grep -qE '^gpus off: +2,3 \\(its agent found 2 of the 4 GPUs'"
check logged "grep -q 'node n1 is degraded: its agent found 2 of the 4 GPUs the config gives it; GPUs 2-3 are off' '$T/ctld.log'"
two=$(submit '{"gpus":2,"cpus":1,"command":["sleep","300"]}')
check two-runs wait_until 10 job_state_is "$two" running
check on-good-gpus "[ \"\$(job $two 'sorted(d[\"placement\"][0][\"nodes\"][0][\"gpus\"])')\" = '[0, 1]' ]"
one=$(submit '{"gpus":1,"cpus":1,"command":["sleep","300"]}')
sleep 1
check none-on-off-gpus "[ \"\$(job $one 'd[\"state\"], d[\"reason\"]')\" = 'pending resources' ]"

# A restarted gantryd keeps them off before the agent is back (the agent is frozen).
kill -STOP "${AGENT_PID[n1]}"
kill -9 "$CTLD_PID"
start_ctld || exit 1
check off-after-restart "[ \"\$(node_field 'd[\"gpus_off\"]')\" = '[2, 3]' ]"
kill -CONT "${AGENT_PID[n1]}"

# The agent finds all 4 again: back in use, and what waited runs there.
kill "${AGENT_PID[n1]}"
wait_until 10 "! kill -0 ${AGENT_PID[n1]}"
FAKE_GPUS=4 start_agent n1
check all-back wait_until 15 "[ \"\$(node_field 'd[\"gpus_off\"], d[\"gpus_off_reason\"]')\" = '[] None' ]"
check one-runs wait_until 15 job_state_is "$one" running
check logged-back "grep -q 'node n1 has all its GPUs again' '$T/ctld.log'"

# Fewer cores than configured: refused, saying so.
check fewer-cores-refused "api POST /v1/agent/register '{\"agent\":\"x\",\"proto\":2,\"nodes\":[{\"name\":\"n1\",\"gpus\":4,\"cpus\":1,\"memory_mb\":4096}]}' \"$TOK_NODE\" | grep -q '^400 .*has 1 CPUs, 4096 MiB but the config says 2, 1024'"
G cancel "$two" "$one" >/dev/null
stop_all
finish
