#!/usr/bin/env bash
# Crashes: gantryd killed with -9 (with a job running, and in the middle of 1,000
# concurrent submissions), an agent killed with -9, an agent that stops heartbeating.
# Every acknowledged job is there exactly once after a restart and nothing runs twice.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init recovery
W=$T/w
shared_dir "$W"
write_config 2
sed -i 's/cpus: 2,/cpus: 16,/' "$T/cluster.yaml"
start_ctld || exit 1
start_agent16() { # NODE [OPTION...]
  GANTRY_NODE_TOKEN=$TOK_NODE "$GT_BIN/gantry-agent" --server "$URL" --node "$1" \
    --state-dir "$T/agent-$1" --cpus 16 --memory-mb 2048 --fake-gpus 4 --cgroup-parent "$CG_PARENT" \
    "${@:2}" >>"$T/agent-$1.log" 2>&1 &
  AGENT_PID[$1]=$!
  disown "$!"
  PIDS+=("$!")
}
start_agent16 n1
start_agent16 n2
check nodes-up wait_until 10 node_state_is n2 up

submit() { # NAME SHELL [GPUS CPUS]: prints the job id
  python3 -c 'import json,sys; print(json.dumps({"name":sys.argv[1],"gpus":int(sys.argv[3]),"cpus":int(sys.argv[4]),"command":["sh","-c",sys.argv[2]]}))' \
    "$1" "$2" "${3:-1}" "${4:-1}" >"$T/spec.json"
  api POST /v1/jobs "$(cat "$T/spec.json")" | cut -d' ' -f2- | jq_py "d['id']"
}
start_again() { # gantryd on the same data folder and port, in the background
  "$GT_BIN/gantryd" --config "$T/cluster.yaml" --listen "127.0.0.1:$PORT" >>"$T/ctld.log" 2>&1 &
  CTLD_PID=$!
  disown "$!"
  PIDS+=("$!")
}
restart_ctld() { # call it directly, not through check (that would run it in a subshell)
  kill -9 "$CTLD_PID"
  wait_until 10 bash -c "! kill -0 $CTLD_PID 2>/dev/null" # disowned: wait(1) cannot
  start_again
  wait_until 10 curl -sf "$URL/healthz"
}

# 1. gantryd killed while a job runs: the job keeps running and finishes, started once.
a=$(submit A "echo x >> $W/starts-A; sleep 3")
check a-running wait_until 10 job_state_is "$a" running
restart_ctld
check ctld-restart curl -sf "$URL/healthz"
check a-still-running job_state_is "$a" running
check a-completes wait_until 20 job_state_is "$a" completed
check a-started-once "test \$(wc -l < $W/starts-A) -eq 1"

# 2. An agent killed while its job runs: the restarted agent adopts the rank.
b=$(submit B "echo x >> $W/starts-B; sleep 3")
check b-running wait_until 10 job_state_is "$b" running
node=$(api GET "/v1/jobs/$b" | cut -d' ' -f2- | jq_py "d['placement'][0]['nodes'][0]['node']")
kill -9 "${AGENT_PID[$node]}"
sleep 0.5
start_agent16 "$node"
check b-completes wait_until 20 job_state_is "$b" completed
check b-started-once "test \$(wc -l < $W/starts-B) -eq 1"
check b-adopted grep -q "adopted" "$T/agent-$node.log"
# Once over, a unit's record moves from runs/ to done/, where its logs are still read.
check b-record-done wait_until 10 "ls -d $T/agent-$node/done/$b-0-*-$node"
check b-record-acked "ls $T/agent-$node/done/$b-0-*-$node/acked.json"
check b-not-in-runs "! ls -d $T/agent-$node/runs/$b-0-*-$node 2>/dev/null"
check b-logs-from-done "api GET /v1/jobs/$b/logs | grep -q '^200 '"
# An agent keeping records 1 s removes them (it still never starts a unit twice); the
# logs then say they are gone.
kill "${AGENT_PID[$node]}"
wait_until 10 bash -c "! kill -0 ${AGENT_PID[$node]} 2>/dev/null"
start_agent16 "$node" --keep-logs-s 1
check keep-logs-said wait_until 10 grep -q "kept 1 s (--keep-logs-s)" "$T/agent-$node.log"
check b-record-removed wait_until 10 "! ls -d $T/agent-$node/done/$b-0-*-$node 2>/dev/null"
check b-logs-gone "api GET /v1/jobs/$b/logs | grep -q '^404 .*removed'"
check b-still-started-once "test \$(wc -l < $W/starts-B) -eq 1"
kill "${AGENT_PID[$node]}"
wait_until 10 bash -c "! kill -0 ${AGENT_PID[$node]} 2>/dev/null"
start_agent16 "$node"
check node-back-after-keep wait_until 10 node_state_is "$node" up

# 3. An agent that stops heartbeating: its node goes down after the timeout, the gang
#    is requeued whole and restarts elsewhere with GANTRY_RESTART_COUNT=1.
c=$(submit C "echo \$GANTRY_RESTART_COUNT >> $W/restarts-C; sleep 60" 4 16)
check c-running wait_until 10 job_state_is "$c" running
node=$(api GET "/v1/jobs/$c" | cut -d' ' -f2- | jq_py "d['placement'][0]['nodes'][0]['node']")
other=n1
[ "$node" = n1 ] && other=n2
kill -STOP "${AGENT_PID[$node]}"
# Log requests for a rank on the hung agent wait for it (up to 10 s), more of them than
# the API server has threads: the API keeps answering meanwhile, and each of them gets an
# answer in the end.
for i in $(seq 24); do
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOK_ADMIN" \
    "$URL/v1/jobs/$c/logs" >>"$T/hung-logs" &
done
sleep 0.5
check api-answers-while-logs-wait curl -sf --max-time 3 -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/jobs/$c"
check logs-of-hung-agent-answered wait_until 15 "test \$(wc -l < $T/hung-logs) -eq 24"
check logs-of-hung-agent-503 "test \$(grep -c '^503' $T/hung-logs) -eq 24"
check node-down wait_until 12 node_state_is "$node" down
check c-requeued "test \$(job_field $c restarts) -ge 1"
check c-restarted-elsewhere wait_until 10 "api GET /v1/jobs/$c | grep -q '\"node\":\"$other\"'"
check c-restart-count wait_until 10 grep -qx 1 "$W/restarts-C"
old_pgid=$(head -n1 "$T"/agent-"$node"/runs/"$c"-0-*-"$node"/rank0/pid)
kill -CONT "${AGENT_PID[$node]}"
check node-back wait_until 15 node_state_is "$node" up
check stale-rank-stopped wait_until 20 bash -c "! kill -0 -- -$old_pgid"
api POST "/v1/jobs/$c/cancel" >/dev/null

# 4. gantryd killed during 1,000 concurrent submissions.
seq 1 1000 | xargs -P 32 -I{} curl -s -o /dev/null -w '%{http_code} s{}\n' \
  -H "Authorization: Bearer $TOK_ADMIN" --data-binary \
  "{\"name\":\"s{}\",\"gpus\":0,\"cpus\":1,\"command\":[\"sh\",\"-c\",\"echo s{} >> $W/ran\"]}" \
  "$URL/v1/jobs" >"$T/acks" 2>/dev/null &
storm=$!
sleep 0.2
restart_ctld
check ctld-restart-storm curl -sf "$URL/healthz"
wait "$storm"
acked=$(grep -c '^201 ' "$T/acks")
echo "storm: $acked of 1000 submissions acknowledged (by the killed gantryd and its successor)"
check some-acked test "$acked" -gt 0
check storm-drains wait_until 120 bash -c "test \$(curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs?state=pending&limit=1' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"jobs\"]))') -eq 0"
check storm-all-done wait_until 60 bash -c "test \$(curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs?state=running&limit=1' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"jobs\"]))') -eq 0"
all_jobs() {
  local after="" page
  while :; do
    page=$(curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/jobs?limit=1000${after:+&after=$after}")
    echo "$page" | python3 -c 'import json,sys; d=json.load(sys.stdin); [print(j["name"], j["state"]) for j in d["jobs"]]'
    after=$(echo "$page" | python3 -c 'import json,sys; n=json.load(sys.stdin)["next"]; print("" if n is None else n)')
    [ -z "$after" ] && break
  done
}
all_jobs | grep '^s[0-9]' >"$T/jobs"
check acked-all-there "grep '^201 ' $T/acks | cut -d' ' -f2 | sort >$T/a1; cut -d' ' -f1 $T/jobs | sort -u >$T/j1; comm -23 $T/a1 $T/j1 | wc -l | grep -qx 0"
check no-job-twice "test \$(cut -d' ' -f1 $T/jobs | sort | uniq -d | wc -l) -eq 0"
check storm-none-ran-twice "test \$(sort $W/ran | uniq -d | wc -l) -eq 0"
check storm-all-ran "test \$(sort -u $W/ran | wc -l) -eq \$(wc -l < $T/jobs)"

# 5. Restarts rebuild the same state: from the latest snapshot plus the journal after it
#    (kill -9), and from the snapshot taken at a clean stop (SIGTERM).
# Tenants' usage decays with time (every pass), and ranks_started is not journaled (the
# agents' "started" reports are informational), so the dump leaves them out.
dump() {
  all_jobs_json | sed 's/"ranks_started":[0-9]*,//g' >"$1"
  curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/tenants" |
    python3 -c 'import json,sys; print([(t["name"], t["gpus_held"], t["cpus_held"]) for t in json.load(sys.stdin)["tenants"]])' >>"$1"
  curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/nodes" |
    python3 -c 'import json,sys; print([(n["name"], n["state"], n["reason"]) for n in json.load(sys.stdin)["nodes"]])' >>"$1"
}
all_jobs_json() {
  local after="" page
  while :; do
    page=$(curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/jobs?limit=1000${after:+&after=$after}")
    echo "$page"
    after=$(echo "$page" | python3 -c 'import json,sys; n=json.load(sys.stdin)["next"]; print("" if n is None else n)')
    [ -z "$after" ] && break
  done
}
# A drained node keeps the reason it was given through both kinds of restart.
check drain-with-reason "api POST /v1/nodes/n2/drain '{\"reason\":\"bad DIMM, ticket 42\"}' | grep -q '^200 .*\"reason\":\"bad DIMM, ticket 42\"'"
dump "$T/state-1"
check dump-has-reason grep -q "bad DIMM, ticket 42" "$T/state-1"
restart_ctld
check restart-kill9 curl -sf "$URL/healthz"
dump "$T/state-2"
check snapshot-loaded "grep -q 'loaded the snapshot at entry [1-9]' $T/ctld.log"
check same-state-after-kill9 cmp "$T/state-1" "$T/state-2"
kill -TERM "$CTLD_PID"
check clean-stop wait_until 10 bash -c "! kill -0 $CTLD_PID"
# A clean stop writes a snapshot of what the journal holds beyond the last one (on the
# state thread); when the writer thread's last snapshot already covers the journal's last
# entry, or the restart found its snapshot there and nothing came since, there is nothing
# to write. The next check proves that the start after it replays nothing either way.
check snapshot-at-stop "grep -q 'snapshot at entry [0-9]*: built' $T/ctld.log || grep 'loaded the snapshot' $T/ctld.log | tail -1 | grep -q 'replayed 0 entries'"
start_again
check restart-clean wait_until 10 curl -sf "$URL/healthz"
dump "$T/state-3"
check nothing-replayed-after-clean-stop "grep 'loaded the snapshot' $T/ctld.log | tail -1 | grep -q 'replayed 0 entries'"
check same-state-after-clean-stop cmp "$T/state-1" "$T/state-3"
check snapshot-file "ls $T/data | grep -qx 'snapshot-[0-9]*'"
check resume-clears-reason "api POST /v1/nodes/n2/resume | grep -q '^200 .*\"reason\":null'"

# 6. kill -9 right after a snapshot fell due, while submissions go on: the snapshot's
#    write, its journal row or the compaction after it is cut short somewhere; every
#    acknowledged job is still there after the restart, once, and runs once.
snaps=$(grep -c 'snapshot at entry' "$T/ctld.log")
seq 1 200 | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code} d{}\n' \
  -H "Authorization: Bearer $TOK_ADMIN" --data-binary \
  "{\"name\":\"d{}\",\"gpus\":0,\"cpus\":1,\"command\":[\"sh\",\"-c\",\"echo d{} >> $W/ran-d\"]}" \
  "$URL/v1/jobs" >"$T/acks-d" 2>/dev/null &
storm=$!
for i in $(seq 3000); do # every 10 ms: kill as soon as the writer says it wrote one
  [ "$(grep -c 'snapshot at entry' "$T/ctld.log")" -gt "$snaps" ] && break
  sleep 0.01
done
check snapshot-due test "$(grep -c 'snapshot at entry' "$T/ctld.log")" -gt "$snaps"
restart_ctld
wait "$storm"
acked=$(grep -c '^201 ' "$T/acks-d")
echo "snapshot storm: $acked of 200 submissions acknowledged"
check restart-after-snapshot curl -sf "$URL/healthz"
check snapshot-kill9-loaded "grep 'loaded the snapshot' $T/ctld.log | tail -1 | grep -q 'at entry [1-9]'"
check d-drains wait_until 120 bash -c "test \$(curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs?state=pending&limit=1' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"jobs\"]))') -eq 0"
check d-all-done wait_until 60 bash -c "test \$(curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs?state=running&limit=1' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"jobs\"]))') -eq 0"
all_jobs | grep '^d[0-9]' >"$T/jobs-d"
check d-acked-all-there "grep '^201 ' $T/acks-d | cut -d' ' -f2 | sort >$T/a2; cut -d' ' -f1 $T/jobs-d | sort -u >$T/j2; comm -23 $T/a2 $T/j2 | wc -l | grep -qx 0"
check d-no-job-twice "test \$(cut -d' ' -f1 $T/jobs-d | sort | uniq -d | wc -l) -eq 0"
check d-none-ran-twice "test \$(sort $W/ran-d | uniq -d | wc -l) -eq 0"
check d-all-ran "test \$(sort -u $W/ran-d | wc -l) -eq \$(wc -l < $T/jobs-d)"

# 7. A damaged snapshot file whose entries were compacted: gantryd refuses to start and
#    says why, instead of coming up with jobs missing; with the file back it starts.
dump "$T/state-4"
kill -TERM "$CTLD_PID"
check clean-stop-2 wait_until 10 bash -c "! kill -0 $CTLD_PID"
snapfile=$(ls "$T"/data/snapshot-* | sort -t- -k2 -n | tail -1)
cp "$snapfile" "$T/snapshot.good"
printf 'X' | dd of="$snapfile" bs=1 seek=100 conv=notrunc 2>/dev/null
timeout 30 "$GT_BIN/gantryd" --config "$T/cluster.yaml" --listen "127.0.0.1:$PORT" >"$T/ctld-bad.log" 2>&1
check damaged-snapshot-refused "grep -q 'checksum mismatch' $T/ctld-bad.log && grep -q 'cannot be rebuilt' $T/ctld-bad.log"
cp "$T/snapshot.good" "$snapfile"
start_again
check restart-repaired wait_until 10 curl -sf "$URL/healthz"
dump "$T/state-5"
check same-state-after-repair cmp "$T/state-4" "$T/state-5"
finish
