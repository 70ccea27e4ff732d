#!/usr/bin/env bash
# `gantry submit` options that reach the node, against real daemons on loopback:
# --output / --error (-o / -e) file patterns as sbatch's (%j job id, %t rank, %a task id,
# %%), expanded by the agent for each rank, relative to the job's workdir, opened with the
# job's identity; bad patterns refused at submit (exit 2, naming the option, the directive's
# FILE:LINE or the API's field; nothing sent); the submitter's HOME, USER and PATH on the
# node, and --export ALL, NONE or a list, as the ranks see them.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init cli-submit
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
cd "$T" || exit 1
unset GANTRY_SERVER GANTRY_TOKEN GANTRY_TOKEN_FILE GANTRY_CONTEXT
export XDG_CONFIG_HOME=$T/xdg
njobs() { api GET /healthz | cut -d' ' -f2- | jq_py "d['jobs']"; }
says() { # CODE TEXT COMMAND...: the command exits CODE and TEXT is in its output
  local want=$1 text=$2 rc=0 out
  shift 2
  out=$("$@" 2>&1) || rc=$?
  echo "$out"
  [ "$rc" -eq "$want" ] && grep -qF -- "$text" <<<"$out"
}
# The ranks may run as nobody (the agent is root): they write in folders anyone may.
shared_dir "$T/logs"
shared_dir "$T/work"

# ---- --output / --error ------------------------------------------------------------------------
gang=$(G submit -G 2 -c 1 -o 'logs/gang-%j-%t.out' -e "$T/logs/gang-%j-%t.err" -- \
  sh -c 'echo "out of rank $RANK"; echo "err of rank $RANK" >&2')
check gang-done wait_until 20 job_state_is "$gang" completed
check gang-rank0-out grep -qx "out of rank 0" "logs/gang-$gang-0.out"
check gang-rank1-out grep -qx "out of rank 1" "logs/gang-$gang-1.out"
check gang-rank1-err grep -qx "err of rank 1" "logs/gang-$gang-1.err"
check gang-spec "[ \"\$(job $gang \"d['spec']['output']\")\" = 'logs/gang-%j-%t.out' ]"
check gang-show "G show $gang | grep -qx 'output: *logs/gang-%j-%t.out'"
check gang-logs-empty "[ -z \"\$(G logs $gang)\" ]" # the record has nothing of it
arr=$(G submit -n 3 -G 0 -c 1 --workdir work -o 'task-%a-%%.out' -- sh -c 'echo "task $GANTRY_TASK_ID"')
check tasks-done wait_until 20 job_state_is "$arr" completed
check tasks-relative-to-workdir "for a in 0 1 2; do grep -qx \"task \$a\" \"work/task-\$a-%.out\" || exit 1; done"
# One file for every rank (no %t): appended to, not truncated.
one=$(G submit -G 2 -c 1 -o logs/one.out -- sh -c 'echo "rank $RANK"')
check one-file-done wait_until 20 job_state_is "$one" completed
check one-file-both "[ \"\$(sort logs/one.out | xargs)\" = 'rank 0 rank 1' ]"
# A batch script's directives.
cat >script.sh <<'EOF'
#!/bin/sh
#GANTRY -G 0 -c 1 -o logs/script-%j.out -e logs/script-%j.err
echo "from the script"
echo "to stderr" >&2
EOF
scr=$(G submit script.sh)
check script-done wait_until 20 job_state_is "$scr" completed
check script-out grep -qx "from the script" "logs/script-$scr.out"
check script-err grep -qx "to stderr" "logs/script-$scr.err"
# A file the job's user may not write: the rank fails to start, saying why.
if [ "$(id -u)" = 0 ]; then
  mkdir -p private && chmod 700 private
  bad=$(G submit -G 0 -c 1 -o "$T/private/x.out" -- true)
  check unwritable-fails wait_until 20 job_state_is "$bad" failed
  check unwritable-reason "G show $bad | grep -q 'stdout $T/private/x.out: Permission denied'"
fi
# ---- the submitter's environment -----------------------------------------------------------
show_env='echo "$HOME|$USER|$PATH|${FOO:-unset}|${BAR:-unset}|${GANTRY_TOKEN:-no token}"'
sub_env() { # OUTFILE SUBMIT-OPTIONS...: submit show_env as a submitter with its own HOME, ...
  local out=$1
  shift
  HOME=/home/submitter USER=submitter PATH="/opt/submitter/bin:$PATH" FOO=foo \
    G submit -G 0 -c 1 -o "logs/$out" "$@" -- sh -c "$show_env"
}
e_def=$(sub_env env-default.out)
e_all=$(sub_env env-all.out --export ALL)
e_none=$(sub_env env-none.out --export NONE)
e_list=$(sub_env env-list.out --export FOO,BAR=bar --env FOO=mine)
for j in "$e_def" "$e_all" "$e_none" "$e_list"; do
  check "env-job-$j-done" wait_until 20 job_state_is "$j" completed
done
check env-default "grep -qx '/home/submitter|submitter|/opt/submitter/bin:$PATH|unset|unset|no token' logs/env-default.out"
check env-all "grep -qx '/home/submitter|submitter|/opt/submitter/bin:$PATH|foo|unset|no token' logs/env-all.out"
check env-none "! grep -q 'submitter' logs/env-none.out && grep -q '|unset|unset|no token\$' logs/env-none.out"
check env-list "! grep -q 'submitter' logs/env-list.out && grep -q '|mine|bar|no token\$' logs/env-list.out"
check env-in-spec "[ \"\$(job $e_def \"d['spec']['env']['HOME']\")\" = /home/submitter ]"
check env-bad-export says 2 "gantry: submit: --export: NONE goes alone, got 'NONE,FOO'" G submit --export NONE,FOO -- true

# Bad patterns: refused at submit, naming the field, nothing sent.
n=$(njobs)
check bad-pattern says 2 "gantry: submit: --output: unknown %x in 'log-%x.out': use %j (job id), %t (rank), %a (task id) or %% (a '%')" \
  G submit -o 'log-%x.out' -- true
check bad-pattern-error says 2 "gantry: submit: --error: a lone '%' at the end of 'e%'" G submit -e 'e%' -- true
printf '#!/bin/sh\n#GANTRY -o %%q\ntrue\n' >bad.sh
check bad-pattern-directive says 2 "gantry: bad.sh:2: --output: unknown %q in '%q'" G submit bad.sh
check bad-pattern-api "api POST /v1/jobs '{\"command\": [\"true\"], \"output\": \"a%b\"}' | grep -q 'output: unknown %b'"
check bad-pattern-nothing-sent "[ \"\$(njobs)\" = $n ]"

finish
