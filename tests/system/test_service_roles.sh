#!/usr/bin/env bash
# A service of two roles in a fixed ratio, kept together in NVLink domains: each set's one
# prefill replica and two decode replicas run in one domain. On 2 domains of 2 nodes with
# a batch job holding one node of domain d00, set 0's decode replicas wait (reason: no room
# beside their prefill replica) while set 1's start in the other domain; once the batch job
# ends they start beside theirs. The head job's endpoints list every role's replicas with
# their role; the group survives a kill -9 of gantryd; cancelling one role cancels all.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init roles
NODE_CPUS=4
write_config 1
python3 - "$T/cluster.yaml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("levels: [cluster, node]", "levels: [cluster, domain, node]")
s = re.sub(r"fleet:\n(.|\n)*", "fleet:\n  - generate:\n      prefix: n\n"
           "      shape: {domain: 2, node: 2}\n"
           "      node: {gpus: 4, gpu_model: fake, cpus: 4, memory_gb: 1}\n", s)
open(p, "w").write(s)
PY
start_ctld || exit 1
NODES="n-d00-n00 n-d00-n01 n-d01-n00 n-d01-n01"
# The four agents share this host: each hands out ports from its own quarter of the
# test's block, so that two never give the same free port to two replicas at once.
lo=${AGENT_PORTS%%:*} k=0
for n in $NODES; do
  AGENT_PORTS=$((lo + 50 * k)):$((lo + 50 * k + 49)) start_agent "$n"
  k=$((k + 1))
done
for n in $NODES; do check "up-$n" wait_until 15 node_state_is "$n" up; done

batch=$(submit '{"name":"batch","gpus":4,"command":["sleep","300"]}')
check batch-runs wait_until 10 job_state_is "$batch" running
bnode=$(job "$batch" 'd["placement"][0]["nodes"][0]["node"]')
bdom=$(echo "$bnode" | cut -d- -f2)

out=$(api POST /v1/jobs "$(cat "$GT_SRC/examples/jobs/serve-roles.json")")
check group-accepted "[ '${out%% *}' = 201 ]"
head=$(echo "${out#* }" | jq_py 'd["id"]')
dec=$((head + 1))
check group-doc "[ \"\$(job $head 'sorted(d[\"group\"][\"roles\"].items())')\" = \"[('decode', $dec), ('prefill', $head)]\" ]"
check decode-name "[ \"\$(job $dec '\"%s %s %s\" % (d[\"name\"], d[\"group\"][\"role\"], d[\"gpus_per_unit\"])')\" = 'llm-decode decode 2' ]"

# Where each replica listens, as "role replica domain" lines from the head's endpoints.
where() {
  eps "$head" '"\n".join("%s %s %s" % (e["role"], e["replica"], e["node"].split("-")[1]) for e in sorted(d["endpoints"], key=lambda e: (e["role"], e["replica"])))'
}
check prefill-both-ready wait_until 20 "[ \$(where | grep -c '^prefill') = 2 ]"
check set1-decode-ready wait_until 20 "[ \$(where | grep -c '^decode') = 2 ]"
# The set whose prefill replica shares the batch job's domain (b) and the other one (o).
sb=$(where | awk -v d="$bdom" '$1 == "prefill" && $3 == d {print $2}')
so=$((1 - sb))
odom=$(where | awk -v s="$so" '$1 == "prefill" && $2 == s {print $3}')
check sets-in-two-domains "[ -n '$sb' ] && [ -n '$odom' ] && [ '$odom' != '$bdom' ]"
check free-set-decode-in-its-domain "[ \"\$(where | awk '\$1 == \"decode\" {print \$2 \$3}' | sort | tr '\n' ' ')\" = '$((2 * so))$odom $((2 * so + 1))$odom ' ]"
check full-set-waits "[ \"\$(job $dec 'd[\"units\"][\"pending\"] >= 2')\" = True ]"

api POST "/v1/jobs/$batch/cancel" >/dev/null
check all-decode-ready wait_until 20 "[ \$(where | grep -c '^decode') = 4 ]"
sets=$(for s in 0 1; do
  d=$(where | awk -v s=$s '$1 == "prefill" && $2 == s {print $3}')
  echo "$((2 * s))$d $((2 * s + 1))$d"
done | tr '\n' ' ')
check every-set-together "[ \"\$(where | awk '\$1 == \"decode\" {print \$2 \$3}' | sort | tr '\n' ' ')\" = '$sets' ]"
check cli-endpoints-role "G endpoints $head 2>/dev/null | grep -E '^decode +3 '"
check cli-show-role "G show $dec | grep -E 'role: +decode of job $head \\(prefill $head, decode $dec\\), 2 per set'"

# A gantryd killed and started again keeps the group, its pairing and its endpoints.
kill -9 "$CTLD_PID"
start_ctld || exit 1
check group-after-restart wait_until 15 "[ \"\$(job $dec 'd[\"group\"][\"head\"]')\" = $head ]"
check endpoints-after-restart wait_until 20 "[ \$(where | wc -l) = 6 ]"

# Bad input: each refused with the part at fault named; nothing submitted.
n_before=$(api GET '/v1/jobs?limit=1000' | cut -d' ' -f2- | jq_py 'len(d["jobs"])')
bad() { # NAME BODY NEEDLE
  local r
  r=$(api POST /v1/jobs "$2")
  check "bad-$1" "[ ${r%% *} -ge 400 ] && [ ${r%% *} -lt 500 ] && echo '$r' | grep -qF \"$3\""
}
bad unknown-role '{"kind":"serve","command":["true"],"ratio":{"x":1},"roles":[{"name":"a"}]}' 'ratio.x: no role of that name'
bad role-tenant '{"kind":"serve","command":["true"],"roles":[{"name":"a","tenant":"b"}]}' 'roles[0].tenant: set for the whole service'
bad forged-role '{"kind":"serve","command":["true"],"role":{"name":"a"}}' 'role: set by gantry'
bad train-roles '{"command":["true"],"roles":[{"name":"a"}]}' 'roles: only for kind serve'
bad role-no-command '{"kind":"serve","roles":[{"name":"a","command":["true"]},{"name":"b"}]}' 'role b'
bad too-big '{"kind":"serve","command":["true"],"roles":[{"name":"a"},{"name":"b","gpus":64}]}' 'roles[1] (b)'
check nothing-submitted "[ \"\$(api GET '/v1/jobs?limit=1000' | cut -d' ' -f2- | jq_py 'len(d[\"jobs\"])')\" = $n_before ]"
cat >"$T/bad.json" <<'J'
{"kind": "serve", "command": ["true"], "ratio": {"a": 0}, "roles": [{"name": "a"}]}
J
check cli-bad-ratio "G submit '$T/bad.json' 2>&1 | grep -F 'ratio.a: expected an integer from 1 to 1000'"

# Cancelling one role ends the whole service.
api POST "/v1/jobs/$dec/cancel" >/dev/null
check cancel-all wait_until 10 "job_state_is $head cancelled && job_state_is $dec cancelled"
check no-endpoints wait_until 10 "[ \$(where | grep -c .) = 0 ]"
stop_all
finish
