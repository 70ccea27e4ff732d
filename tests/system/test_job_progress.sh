#!/usr/bin/env bash
# A job hang detector: a job that declares "progress" must touch its progress file
# ($GANTRY_PROGRESS_FILE, or the file it names) at least every timeout_s. One that stops
# is hung: stopped and counted as a failure, so it starts again while it has restarts
# left, then fails with the reason. One that keeps touching it runs to its end. Bad
# progress fields are refused with the field named.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init progress
NODE_CPUS=3
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
W=$T/w
shared_dir "$W"

hung=$(submit "{\"name\":\"hung\",\"gpus\":1,\"cpus\":1,\"max_restarts\":1,\"progress\":{\"timeout_s\":2},\"command\":[\"sh\",\"-c\",\"echo \$GANTRY_RESTART_COUNT >>$W/hung.starts; for i in 1 2 3; do touch \\\"\$GANTRY_PROGRESS_FILE\\\"; sleep 0.5; done; exec sleep 300\"]}")
alive=$(submit "{\"name\":\"alive\",\"gpus\":1,\"cpus\":1,\"workdir\":\"$W\",\"progress\":{\"timeout_s\":2,\"file\":\"beat\"},\"command\":[\"sh\",\"-c\",\"for i in 1 2 3 4 5 6 7 8 9 10 11 12; do touch beat; sleep 0.5; done\"]}")
check hung-restarted wait_until 20 "[ \"\$(tr '\n' ' ' <$W/hung.starts)\" = '0 1 ' ]"
check hung-fails wait_until 20 job_state_is "$hung" failed
check hung-reason "api GET /v1/jobs/$hung | grep -q 'HUNG: no progress for 2 s'"
check hung-logged "grep -q 'hung: .*progress not touched for 2 s; stopping it' '$T/agent-n1.log'"
check alive-completes wait_until 20 job_state_is "$alive" completed
check alive-never-hung "! grep -q 'job $alive unit .*hung' '$T/agent-n1.log'"

bad() { # NAME BODY NEEDLE
  local r
  r=$(api POST /v1/jobs "$2")
  check "bad-$1" "[ '${r%% *}' = 400 ] && echo '$r' | grep -qF '$3'"
}
bad no-timeout '{"command":["true"],"progress":{"file":"x"}}' 'progress: expected an object with'
bad zero-timeout '{"command":["true"],"progress":{"timeout_s":0}}' 'progress.timeout_s: expected seconds from 1 to 604800'
bad unknown '{"command":["true"],"progress":{"timeout_s":5,"every":1}}' 'progress.every: unknown field'
bad empty-file '{"command":["true"],"progress":{"timeout_s":5,"file":""}}' 'progress.file: expected a path'
stop_all
finish
