#!/usr/bin/env bash
# The gantry CLI against real daemons on loopback (gantryd + one gantry-agent), for what a
# Slurm user expects of it: batch scripts with #GANTRY directives (applied, run, logged,
# overridden, refused with FILE:LINE and nothing submitted); `gantry jobs` as squeue (the
# active jobs newest first, states, --me, columns, REASON from the controller, NODELIST,
# TIME); `gantry wait ID` exiting as the job did; `gantry units` finding failed tasks.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init cli-live
write_config 1
# Tenant b may hold 2 GPUs at most; a token bound to the Unix user nobody (tenant a).
sed -i 's/{name: b, share: 1}/{name: b, share: 1, limit_gpus: 2}/' "$T/cluster.yaml"
TOK_NOBODY=user-nobody-token-0123456789
echo "$TOK_NOBODY a user nobody" >>"$T/tokens"
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
cd "$T" || exit 1

as() { local tok=$1; shift; GANTRY_TOKEN=$tok "$GT_BIN/gantry" --server "$URL" "$@"; } # TOKEN ARGS...
g() { as "$TOK_ADMIN" "$@"; }
spec() { # ID PYTHON-EXPRESSION over the job as `d`: prints the result
  api GET "/v1/jobs/$1" | cut -d' ' -f2- | jq_py "$2"
}
njobs() { api GET /healthz | cut -d' ' -f2- | jq_py "d['jobs']"; }
exits() { # CODE COMMAND...: the command exits with CODE
  local want=$1 rc=0
  shift
  "$@" || rc=$?
  [ "$rc" -eq "$want" ] || { echo "exit $rc, want $want"; return 1; }
}

# ---- batch scripts --------------------------------------------------------------------------
cat >train.sh <<'EOF'
#!/bin/bash
# set up
#GANTRY -J scripted -G 2 -c 1 -t 2:00:00
#GANTRY --env "GREETING=hello there"   # two words

echo "$GREETING from $0 ($# args: $*), rank $RANK of $WORLD_SIZE"
#GANTRY -G 4
EOF
id=$(g submit train.sh one 'two words')
check script-submitted test -n "$id"
check script-completes wait_until 20 job_state_is "$id" completed
check script-directives "spec $id \"(d['name'], d['spec']['gpus'], d['spec']['cpus'], d['spec']['time_limit_s'], d['spec']['env']['GREETING'])\" | grep -qx \"('scripted', 2, 1, 7200, 'hello there')\""
check script-carries-text "spec $id \"d['spec']['command'][:2] + d['spec']['command'][3:]\" | grep -qx \"\\['/bin/bash', '-c', 'train.sh', 'one', 'two words'\\]\""
check script-logs "g logs $id | grep -qx 'hello there from train.sh (2 args: one two words), rank 0 of 2'"
check script-rank1 "g logs $id --rank 1 | grep -qx 'hello there from train.sh (2 args: one two words), rank 1 of 2'"

# The command line overrides the directives; the script runs where its file is not.
mkdir -p elsewhere && cp train.sh elsewhere/t.sh
id=$(g submit -J override -G 1 -t 5 --env GREETING=hi elsewhere/t.sh)
rm elsewhere/t.sh
check override-completes wait_until 20 job_state_is "$id" completed
check override-spec "spec $id \"(d['name'], d['spec']['gpus'], d['spec']['cpus'], d['spec']['time_limit_s'])\" | grep -qx \"('override', 1, 1, 300)\""
check override-logs "g logs $id | grep -qx 'hi from t.sh (0 args: ), rank 0 of 1'"

# A failing script fails its job; -- and options after the script are its own.
printf '#!/bin/sh\n#GANTRY -G 0 -c 1\necho "args: $*"; exit 3\n' >fail.sh
id=$(g submit fail.sh -- -G 2)
check script-fails wait_until 20 job_state_is "$id" failed
check script-own-args "g logs $id | grep -qx 'args: -- -G 2'"

# A script just under the most one argument holds (128 KiB) still runs from its text, and
# one over it is refused.
{
  echo '#!/bin/sh'
  echo '#GANTRY -G 0 -c 1'
  for _ in $(seq 1679); do printf '# %075d\n' 0; done
  echo 'echo big'
} >big.sh
id=$(g submit big.sh)
check big-script-size "test \$(wc -c <big.sh) -gt 130000"
check big-script-runs wait_until 20 job_state_is "$id" completed
check big-script-logs "g logs $id | grep -qx big"
printf '# %0100d\n' 0 >>big.sh # over 131071 bytes now
check too-big-script "g submit big.sh 2>&1 | grep -q 'big.sh: larger than 128 KiB'"

# Errors: FILE:LINE, exit 2, nothing submitted.
before=$(njobs)
printf '#!/bin/bash\n#GANTRY -G 1\n\n#GANTRY --gpuz 2\necho x\n' >bad1.sh
check bad-directive exits 2 g submit bad1.sh
check bad-directive-msg "g submit bad1.sh 2>&1 | grep -qx \"gantry: bad1.sh:4: unknown option '--gpuz'\""
printf '#!/bin/bash\n#GANTRY -t 1:99\n' >bad2.sh
check bad-value exits 2 g submit bad2.sh
check bad-value-msg "g submit bad2.sh 2>&1 | grep -qx \"gantry: bad2.sh:2: --time: minutes and seconds go up to 59, and hours up to 23 after a day count, got '1:99'\""
printf '#!/usr/bin/ruby\nputs 1\n' >bad3.rb
check bad-interpreter exits 2 g submit bad3.rb
check bad-interpreter-msg "g submit bad3.rb 2>&1 | grep -q \"gantry: bad3.rb:1: cannot run a script for '/usr/bin/ruby'\""
check bad-nothing-submitted test "$(njobs)" = "$before"

# ---- gantry jobs ----------------------------------------------------------------------------
# The node's 4 GPUs and 2 cores: b's job (b's limit) and a's take them; then b's next job
# waits for its quota, a's for resources, and a held one for its release.
sub() { g submit -c 1 "$@" -- sleep 600; }
q1=$(sub --tenant b -G 2)
r1=$(sub --tenant a -G 2 -J run-a)
check two-running wait_until 20 "job_state_is $q1 running && job_state_is $r1 running"
q2=$(sub --tenant b -G 1)
p1=$(sub --tenant a -G 2 -J wait-a)
h1=$(as "$TOK_NOBODY" submit -c 1 -G 1 -J mine -- sleep 600)
g hold "$h1" >/dev/null
reason_is() { [ "$(spec "$1" "d['reason']")" = "$2" ]; }
check reason-quota wait_until 10 reason_is "$q2" quota
check reason-resources wait_until 10 reason_is "$p1" resources
check reason-held wait_until 10 reason_is "$h1" held
check reason-running-none reason_is "$r1" None
check job-user "spec $h1 \"d['user']\" | grep -qx nobody"
check job-no-user "test \"\$(spec $r1 \"d['user']\")\" = None"
check whoami "api GET /v1/whoami '' $TOK_NOBODY | grep -qx '200 {\"tenant\":\"a\",\"role\":\"user\",\"user\":\"nobody\"}'"
# The active jobs, newest first; their reasons and nodes.
check jobs-active "g jobs -o id --noheader | xargs | grep -qx '$h1 $p1 $q2 $r1 $q1'"
check jobs-columns "g jobs -o id,state,reason,nodelist --parsable | grep -qxF '$p1|pending|resources|-'"
check jobs-quota-column "g jobs --parsable | grep -q '^$q2|-|-|b|train|normal|pending|1|0/1|[0-9]*:[0-9][0-9]|(quota)\$'"
check jobs-held-column "g jobs --noheader | grep -q '^ *$h1  mine .* nobody .*pending/held .*(held)\$'"
check jobs-nodelist "g jobs --parsable -o id,nodelist,nodelist\(reason\) | grep -qxF '$r1|n1|n1'"
check jobs-time "g jobs --parsable -o id,time | grep -qx '$r1|0:[0-5][0-9]'"
check jobs-header "g jobs | head -1 | grep -qx 'ID  NAME    USER    TENANT  KIND   PRIO    STATE         GPUS  UNITS  TIME  NODELIST(REASON)'"
check jobs-me "as $TOK_NOBODY jobs --me -o id,user --noheader | xargs | grep -qx '$h1 nobody'"
check jobs-me-unbound exits 2 as "$TOK_A" jobs --me
check jobs-me-unbound-msg "as $TOK_A jobs --me 2>&1 | grep -q 'this token is not bound to a Unix user'"
check jobs-state "g jobs --state PD -o id --noheader | xargs | grep -qx '$h1 $p1 $q2'"
check jobs-bad-column exits 2 g jobs -o id,where
g cancel "$q1" "$r1" "$q2" "$p1" "$h1" >/dev/null
check jobs-none-active "test -z \"\$(g jobs --noheader)\""
check jobs-all "g jobs --all --state cancelled -o id --noheader | xargs | grep -qx '$h1 $p1 $q2 $r1 $q1'"
check jobs-finished-nodelist "g jobs --all --parsable -o id,nodelist | grep -qxF '$r1|n1'"

# ---- gantry wait: one job's own exit code ----------------------------------------------------
wexit() { # WANT SUBMIT-ARGS...: `gantry wait ID` exits WANT
  local want=$1 id
  shift
  id=$(g submit -G 0 -c 1 "$@") || return 1
  exits "$want" g wait "$id" --interval 0.2 --timeout 30
}
check wait-completed wexit 0 -- true
check wait-exit-3 wexit 3 -- sh -c 'exit 3'
check wait-kill-9 wexit 137 -- sh -c 'kill -9 $$'
check wait-sigterm wexit 143 -- sh -c 'kill -TERM $$'
check wait-time-limit wexit 140 -t 0:01 --grace 1 -- sleep 30
check wait-gang-rank wexit 5 -G 2 -- sh -c '[ "$RANK" = 1 ] && exit 5; sleep 30'
check wait-cancelled "id=\$(g submit -G 0 -c 1 -- sleep 30); g cancel \$id >/dev/null; exits 1 g wait \$id"
# Several jobs: 0 when all completed, else 1, as before.
a=$(g submit -G 0 -c 1 -- sh -c 'exit 3')
b=$(g submit -G 0 -c 1 -- true)
check wait-several exits 1 g wait "$a" "$b" --interval 0.2
check wait-several-ok exits 0 g wait "$b" "$b" --interval 0.2
# Over its memory limit, where the agent can enforce one (a cgroup memory controller, root).
if awk '($3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/) || $3 == "cgroup2" {f = 1} END {exit !f}' /proc/self/mounts &&
  [ "$(id -u)" = 0 ]; then
  check wait-oom wexit 137 --memory 64M -- python3 -c 'b = bytearray(400 << 20)'
else
  echo "SKIP wait-oom: no cgroup memory controller, or not root"
fi

# ---- gantry units: every failed task of an array ---------------------------------------------
arr=$(g submit -n 12 -G 0 -c 1 -- sh -c 'case $GANTRY_TASK_ID in 2|7) exit 6;; 9) kill -TERM $$;; esac')
g wait "$arr" --interval 0.2 >/dev/null
g units "$arr" --state failed >units.out 2>units.err
check units-failed-listed "[ \"\$(awk 'NR > 1 {print \$1, \$2, \$5}' units.out | tr '\n' ' ')\" = '2 failed 6 7 failed 6 9 failed signal ' ]"
check units-header "head -1 units.out | grep -qE '^UNIT +STATE +RESTARTS +NODES +EXIT +REASON$'"
check units-count "grep -qx '3 of the job.s 12 units in state failed' units.err"
check units-json "g --json units $arr --limit 2 | jq_py \"(d['total'], [u['unit'] for u in d['units']])\" | grep -qx '(12, \\[0, 1\\])'"
check units-bad-state "exits 2 g units $arr --state broken"
check units-no-id "exits 2 g units"

# ---- gantry top into a pipe: frames as plain text, no escape codes ----------------------------
GANTRY_TOKEN=$TOK_ADMIN timeout -s INT 3 "$GT_BIN/gantry" --server "$URL" top --interval 0.5 |
  cat >top.out
check top-pipe-no-escapes "! grep -q \$'\\033' top.out"
check top-pipe-frames "[ \$(grep -c '^gantry top' top.out) -ge 2 ]"

finish
