#!/usr/bin/env bash
# A large array on emulated nodes (one `gantry-agent --emulate`): 60,000 tasks on three nodes
# of 20,000 cores each start together (one pass: scheduler.max_starts_per_pass 0) and end
# together, so that one agent report holds 60,000 exits (about 6 MB of JSON), more than one request may carry (gantryd takes bodies of up to 4 MiB): the
# agent sends them in parts and every task is counted done. The exits are journaled in
# batches ("exits" entries); after a kill -9, the restarted gantryd replays them to the
# same counts.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init emulated
PORT=$(free_port)
cat >"$T/tokens" <<TOK
$TOK_ADMIN ops admin
$TOK_NODE ops node
TOK
cat >"$T/cluster.yaml" <<CFG
levels: [cluster, node]
tenants: [{name: ops, share: 1}]
scheduler: {max_starts_per_pass: 0}
server: {listen: '127.0.0.1:$PORT', data_dir: $T/data, tokens: $T/tokens, heartbeat_s: 1, node_timeout_s: 30}
fleet:
  - {name: e0, gpus: 0, cpus: 20000, memory_gb: 64}
  - {name: e1, gpus: 0, cpus: 20000, memory_gb: 64}
  - {name: e2, gpus: 0, cpus: 20000, memory_gb: 64}
CFG
start_ctld || exit 1
GANTRY_NODE_TOKEN=$TOK_NODE "$GT_BIN/gantry-agent" --emulate 3 --config "$T/cluster.yaml" \
  --server "$URL" --state-dir "$T/agent" >>"$T/agent-emu.log" 2>&1 &
PIDS+=($!)
check nodes-up wait_until 20 "node_state_is e0 up && node_state_is e1 up && node_state_is e2 up"
id=$(submit '{"kind":"tasks","tasks":60000,"gpus":0,"cpus":1,"duration_s":2}')
check all-done wait_until 400 job_state_is "$id" completed
check counts "[ \"\$(job $id 'd[\"units\"][\"done\"], d[\"units\"][\"failed\"]')\" = '60000 0' ]"
check no-refused-report "! grep -q '413' $T/agent-emu.log"
entries() { # OP: how many journal entries of that op
  python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from log where op = ?", (sys.argv[2],)).fetchone()[0])' "$T/data/journal.db" "$1"
}
check exits-batched "n=\$(entries exits); echo \"exits entries: \$n\"; [ \"\$n\" -ge 1 ] && [ \"\$n\" -lt 200 ] && [ \"\$(entries exit)\" = 0 ]"
kill -9 "$CTLD_PID"
start_ctld || exit 1
check replayed "[ \"\$(job $id 'd[\"state\"], d[\"units\"][\"done\"], d[\"units\"][\"failed\"]')\" = 'completed 60000 0' ]"
finish
