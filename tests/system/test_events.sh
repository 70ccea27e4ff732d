#!/usr/bin/env bash
# Events: GET /v1/events lists what happened (jobs' states, units started and ended with
# their exits, nodes) with growing sequence numbers; with wait it answers as soon as the
# next event comes; a tenant's token sees its own jobs' events and the nodes'; gantry events
# prints them and follows them (-f); gantry wait follows them instead of polling. Bad
# parameters are refused with the parameter named.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init events
NODE_CPUS=3
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
printf '%s\n' "$TOK_ADMIN" >"$T/admin.tok"
evs() { # QUERY [TOKEN]: the events document
  api GET "/v1/events?$1" "" "${2:-$TOK_ADMIN}" | cut -d' ' -f2-
}
ok=$(submit '{"name":"ok","gpus":1,"cpus":1,"command":["true"]}')
check ok-done wait_until 10 job_state_is "$ok" completed
types() { evs "since=0&job=$1" | jq_py "' '.join(e['type'] + ':' + e.get('state', '') for e in d['events'])"; }
check ok-events "[ \"\$(types $ok)\" = 'job:pending unit_started: job:running unit_ended:done job:completed' ]"
check node-event "evs since=0 | jq_py \"[e for e in d['events'] if e['type'] == 'node' and e['node'] == 'n1' and e['state'] == 'up']\" | grep -q n1"
check seq-grows "evs since=0 | jq_py \"all(a['seq'] < b['seq'] for a, b in zip(d['events'], d['events'][1:]))\" | grep -qx True"

bad=$(submit '{"name":"bad","gpus":1,"cpus":1,"command":["sh","-c","exit 3"]}')
check bad-failed wait_until 10 job_state_is "$bad" failed
check unit-failed-event "evs since=0\\&job=$bad | jq_py \"[(e['state'], e['exit_code']) for e in d['events'] if e['type'] == 'unit_ended']\" | grep -qF \"[('failed', 3)]\""

# Long-poll: a watcher from the latest number is answered when the next job comes.
next=$(evs since=0 | jq_py "d['next']")
# (curl itself: api's body file is the foreground's)
( curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/events?since=$next&wait=20" >"$T/poll.out"
  date +%s.%N >"$T/poll.at" ) &
sleep 1
check poll-waits "[ ! -s $T/poll.at ]"
submitted=$(date +%s.%N)
later=$(submit '{"name":"later","gpus":1,"cpus":1,"command":["sleep","30"]}')
check poll-answered wait_until 10 "[ -s $T/poll.at ]"
check poll-has-job "jq_py <$T/poll.out \"[e['job'] for e in d['events'] if e['type'] == 'job']\" | grep -q '$later'"
echo "events: watcher answered $(python3 -c "print(round(float('$(cat "$T/poll.at")') - float('$submitted'), 3))") s after the submission"
check poll-empty-times-out "[ \"\$(evs since=\$(evs since=0 | jq_py \"d['next']\")\\&wait=1 | jq_py \"len(d['events'])\")\" = 0 ]"

# Tenants: a's token sees a's jobs and the nodes, not the admin's tenant's.
mine=$(api POST /v1/jobs '{"name":"mine","gpus":0,"cpus":1,"command":["true"]}' "$TOK_A" | cut -d' ' -f2- | jq_py "d['id']")
check a-sees-own wait_until 10 "evs since=0 \"$TOK_A\" | jq_py \"sorted(set(e.get('job', -1) for e in d['events']))\" | grep -qx '\[-1, $mine\]'"

# The CLI: one line per event; -f follows.
check cli-events "G events --job $ok | grep -qE 'job +$ok +completed'"
G events -f --job "$later" >"$T/follow.out" 2>&1 &
follower=$!
sleep 1
G cancel "$later" >/dev/null
check cli-follow wait_until 10 "grep -qE 'job +$later +cancelled' $T/follow.out"
kill "$follower" 2>/dev/null

# gantry wait follows the events: with reads every 60 s it would wait a minute; it returns
# as soon as the job ends.
w=$(submit '{"name":"w","gpus":1,"cpus":1,"command":["sleep","1"]}')
check wait-by-events "timeout 15 $GT_BIN/gantry --server $URL --token-file $T/admin.tok wait --interval 60 $w | grep -q 'job $w: completed'"

check bad-since "api GET '/v1/events?since=-1' | grep -q '^400 .*since'"
check bad-wait "api GET '/v1/events?wait=301' | grep -q '^400 .*wait'"
check bad-param "api GET '/v1/events?after=1' | grep -q '^400 .*unknown parameter'"
stop_all
finish
