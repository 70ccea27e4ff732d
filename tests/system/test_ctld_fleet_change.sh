#!/usr/bin/env bash
# Replay never drops work silently. Three jobs are journaled on a node of 4 GPUs; gantryd is
# killed (-9, so it replays its journal) and started again with the node's GPUs lowered to
# 2. The 4-GPU job cannot run any more: it keeps its id and fails, saying why, and the log
# says so; the jobs after it keep theirs, so the journal's later entries (a cancel, an
# exit) land on the right jobs, also after a clean stop and start (a snapshot).
. "$(dirname "$0")/lib/cluster.sh"
cluster_init fleet
SNAPSHOT_EVERY=100000 # no snapshot before the kill: the restart replays the journal
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
big=$(submit '{"name":"big","gpus":4,"cpus":1,"command":["sleep","300"]}')
small=$(submit '{"name":"small","gpus":1,"cpus":1,"command":["sleep","300"]}')
last=$(submit '{"name":"last","gpus":1,"cpus":1,"command":["sleep","300"]}')
check ids "[ '$big $small $last' = '0 1 2' ]"
check big-runs wait_until 10 job_state_is "$big" running
api POST "/v1/jobs/$last/cancel" >/dev/null
check last-cancelled wait_until 5 job_state_is "$last" cancelled

kill -9 "$CTLD_PID"
sed -i 's/gpus: 4, gpu_model: fake/gpus: 2, gpu_model: fake/' "$T/cluster.yaml"
start_ctld || exit 1
check starts-again "[ -n '$PORT' ]"
check big-failed wait_until 5 job_state_is "$big" failed
check big-says-why "job $big 'd[\"failure\"]' | grep -q 'this fleet cannot hold it any more (the config changed): resources:'"
check log-says-why "grep -q 'job $big big failed: accepted at submission, but this fleet cannot hold it any more' '$T/ctld.log'"
check small-keeps-id "[ \"\$(job $small 'd[\"name\"]')\" = small ]"
check last-keeps-id "[ \"\$(job $last 'd[\"name\"], d[\"state\"]')\" = 'last cancelled' ]"
check small-not-cancelled "[ \"\$(job_field $small state)\" != cancelled ]"
check small-runs wait_until 15 job_state_is "$small" running

# A clean stop writes a snapshot; the next start keeps all of it.
kill "$CTLD_PID"
wait_until 10 "! kill -0 $CTLD_PID"
start_ctld || exit 1
check after-snapshot "[ \"\$(job $big 'd[\"state\"]')\" = failed ] && job $big 'd[\"failure\"]' | grep -q 'cannot hold it any more'"
check after-snapshot-ids "[ \"\$(job $last 'd[\"name\"], d[\"state\"]')\" = 'last cancelled' ]"

# A snapshot fits one fleet: with the fleet changed again after it (and the journal it
# covers compacted), gantryd refuses to start, saying what to do, and changes nothing; with
# the config the snapshot was made with it starts as before.
kill "$CTLD_PID"
wait_until 10 "! kill -0 $CTLD_PID"
cp "$T/cluster.yaml" "$T/cluster.yaml.good"
sed -i 's/gpus: 2, gpu_model: fake/gpus: 3, gpu_model: fake/' "$T/cluster.yaml"
start_ctld >/dev/null 2>&1
check refused-changed-fleet wait_until 10 "grep -q 'does not fit this config: snapshot: made for another fleet' '$T/ctld.log' && grep -q 'start with the config the snapshot was made with' '$T/ctld.log'"
wait_until 10 "! kill -0 $CTLD_PID"
cp "$T/cluster.yaml.good" "$T/cluster.yaml"
start_ctld || exit 1
check old-config-starts "[ \"\$(job $last 'd[\"name\"], d[\"state\"]')\" = 'last cancelled' ]"
G cancel "$small" >/dev/null
stop_all
finish
