#!/usr/bin/env bash
# The gantry CLI against real daemons on loopback (gantryd + one gantry-agent), for what a
# Slurm user expects of it: batch scripts with #GANTRY directives (applied, run, logged,
# overridden, refused with FILE:LINE and nothing submitted).
. "$(dirname "$0")/lib/cluster.sh"
cluster_init cli-live
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
cd "$T" || exit 1

g() { "$GT_BIN/gantry" --server "$URL" --token "$TOK_ADMIN" "$@"; }
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

finish
