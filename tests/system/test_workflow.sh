#!/usr/bin/env bash
# Workflows (`gantry submit -f FILE`, POST /v1/workflows): named steps, each a job spec,
# with dependencies by step name, submitted at once. The steps run in dependency order;
# a step whose dependency can never be met is cancelled saying why; a cycle, an unknown
# step, a step the fleet can never hold or a dependency on another tenant's job refuses
# the whole workflow and submits nothing; a restarted gantryd keeps every step with its id.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init workflow
NODE_CPUS=4
write_config 1
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
cd "$T" || exit 1
W=$T/w
shared_dir "$W"
njobs() { api GET /healthz | cut -d' ' -f2- | jq_py "d['jobs']"; }
ids() { awk -v s="$1" '$1 == s {print $2}' "$T/submitted"; }

# ---- the example pipeline, from the CLI ----------------------------------------------------
G submit -f "$GT_SRC/examples/workflows/pipeline.yaml" >"$T/submitted"
cat "$T/submitted"
check cli-prints-steps "[ \"\$(cut -d' ' -f1 $T/submitted | xargs)\" = 'embed index eval report' ]"
embed=$(ids embed) index=$(ids index) ev=$(ids eval) report=$(ids report)
check ids-in-order "[ $index = $((embed + 1)) ] && [ $ev = $((embed + 2)) ] && [ $report = $((embed + 3)) ]"
check names "[ \"\$(job $index 'd[\"name\"]')\" = rag.index ]"
check deps-rewritten "[ \"\$(job $ev 'd[\"spec\"][\"depends_on\"]')\" = afterok:$index ]"
check pipeline-done wait_until 30 job_state_is "$report" completed
for j in $embed $index $ev; do check "step-$j-completed" job_state_is "$j" completed; done
check index-log "G logs $index | grep -qx 'index built'"

# ---- the order is kept: each step starts after the one it waits on ends ---------------------
cat >chain.yaml <<YAML
name: chain
steps:
  last:  {depends_on: "afterok:mid", gpus: 0, cpus: 1, command: [sh, -c, "date +%s.%N >$W/last"]}
  mid:   {depends_on: "afterok:first", gpus: 0, cpus: 1, command: [sh, -c, "sleep 1; date +%s.%N >$W/mid"]}
  first: {gpus: 0, cpus: 1, command: [sh, -c, "sleep 1; date +%s.%N >$W/first"]}
YAML
G submit -f chain.yaml >"$T/submitted"
check chain-order "[ \"\$(cut -d' ' -f1 $T/submitted | xargs)\" = 'first mid last' ]"
last=$(ids last)
check chain-done wait_until 30 job_state_is "$last" completed
check chain-times "python3 -c 'import sys; f, m, l = (float(open(\"$W/\" + n).read()) for n in (\"first\", \"mid\", \"last\")); sys.exit(0 if f < m < l else 1)'"

# ---- a failed step: what waits on it with afterok is cancelled, afterany runs ------------------
cat >fails.yaml <<'YAML'
steps:
  a: {gpus: 0, cpus: 1, command: ["false"]}
  b: {depends_on: "afterok:a", gpus: 0, cpus: 1, command: ["true"]}
  c: {depends_on: "afterany:a", gpus: 0, cpus: 1, command: ["true"]}
YAML
G submit -f fails.yaml >"$T/submitted"
a=$(ids a) b=$(ids b) c=$(ids c)
check b-cancelled wait_until 20 job_state_is "$b" cancelled
check b-says-why "[ \"\$(job $b 'd[\"failure\"]')\" = 'its dependency afterok:$a can never be met: job $a failed' ]"
check c-runs wait_until 20 job_state_is "$c" completed

# ---- refused whole: nothing is submitted -------------------------------------------------------
before=$(njobs)
cat >cycle.yaml <<'YAML'
steps:
  x: {depends_on: "afterok:z", gpus: 0, command: ["true"]}
  y: {depends_on: "afterok:x", gpus: 0, command: ["true"]}
  z: {depends_on: "afterok:y", gpus: 0, command: ["true"]}
YAML
check cli-cycle "G submit -f cycle.yaml 2>&1 | grep -q 'cycle.yaml: steps: the steps wait on each other: x -> z -> y -> x'"
check api-cycle "api POST /v1/workflows '{\"steps\":{\"x\":{\"command\":[\"true\"],\"depends_on\":\"afterok:y\"},\"y\":{\"command\":[\"true\"],\"depends_on\":\"afterok:x\"}}}' | grep -q '^400 .*x -> y -> x'"
check api-unknown-step "api POST /v1/workflows '{\"steps\":{\"x\":{\"command\":[\"true\"],\"depends_on\":\"afterok:nope\"}}}' | grep -q '^400 .*no step .nope. (the steps: x).*steps.x'"
# the fleet can never hold the last step (a node has 4 GPUs): the first two are not submitted
check api-impossible "api POST /v1/workflows '{\"steps\":{\"a\":{\"command\":[\"true\"],\"gpus\":0,\"cpus\":1},\"b\":{\"command\":[\"true\"],\"gpus\":0,\"cpus\":1,\"depends_on\":\"afterok:a\"},\"c\":{\"command\":[\"true\"],\"gpus\":64,\"gpus_per_node\":8}}}' | grep -q '^422 .*where.:.steps[.]c'"
check api-no-command "api POST /v1/workflows '{\"steps\":{\"a\":{\"gpus\":0,\"cpus\":1}}}' | grep -q '^400 .*steps.a.command'"
# a user may depend only on their tenant's jobs (job $a is the admin's, tenant ops)
check other-tenant "api POST /v1/workflows '{\"steps\":{\"a\":{\"command\":[\"true\"],\"gpus\":0,\"cpus\":1,\"depends_on\":\"afterany:$a\"}}}' '$TOK_A' | grep -q '^404 .*no job $a to depend on.*steps.a'"
check other-tenant-named "api POST /v1/workflows '{\"steps\":{\"a\":{\"command\":[\"true\"],\"gpus\":0,\"cpus\":1,\"tenant\":\"b\"}}}' '$TOK_A' | grep -q '^403 .*steps.a.tenant'"
check no-future-job "api POST /v1/workflows '{\"steps\":{\"a\":{\"command\":[\"true\"],\"gpus\":0,\"cpus\":1,\"depends_on\":\"afterany:99999\"}}}' | grep -q '^404 .*no job 99999'"
check nothing-submitted "[ \"\$(njobs)\" = $before ]"

# ---- the API's answer, a user's workflow in their tenant, and a restart --------------------------
ans=$(api POST /v1/workflows '{"name":"u","steps":{"two":{"command":["true"],"gpus":0,"cpus":1,"depends_on":"afterok:one"},"one":{"command":["sleep","30"],"gpus":0,"cpus":1}}}' "$TOK_A")
echo "$ans"
check api-201 "grep -q '^201 ' <<<'$ans'"
one=$(cut -d' ' -f2- <<<"$ans" | jq_py "d['steps']['one']")
two=$(cut -d' ' -f2- <<<"$ans" | jq_py "d['steps']['two']")
check api-jobs "[ \"\$(cut -d' ' -f2- <<<'$ans' | jq_py \"[j['name'] + ':' + j['tenant'] for j in d['jobs']]\")\" = \"['u.one:a', 'u.two:a']\" ]"
check two-waits wait_until 10 "[ \"\$(job $two 'd[\"state\"], d[\"reason\"]')\" = 'pending dependency' ]"
kill -9 "$CTLD_PID"
start_ctld || exit 1
check restart-keeps-ids "[ \"\$(job $two 'd[\"name\"], d[\"spec\"][\"depends_on\"]')\" = 'u.two afterok:$one' ]"
check restart-still-waits "[ \"\$(job $two 'd[\"state\"], d[\"reason\"]')\" = 'pending dependency' ]"
check cancel-one "api POST /v1/jobs/$one/cancel '' | grep -q '^200'"
check two-cancelled wait_until 15 job_state_is "$two" cancelled
finish
