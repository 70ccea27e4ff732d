#!/usr/bin/env bash
# Idempotent submissions (POST /v1/jobs with an Idempotency-Key header): a retry with the
# same key and spec gets the same job (200), never a second one; the same key with another
# spec is refused (409); keys are per tenant; bad keys are refused naming the header. The
# keys survive a kill -9 (journal replay) and a clean stop (the snapshot).
. "$(dirname "$0")/lib/cluster.sh"
cluster_init idem
write_config 1
start_ctld || exit 1

post() { # KEY BODY [TOKEN]: "STATUS BODY"
  curl -s -o "$T/idem.body" -w '%{http_code}' -X POST -H "Authorization: Bearer ${3:-$TOK_ADMIN}" \
    -H "Idempotency-Key: $1" --data-binary "$2" "$URL/v1/jobs"
  printf ' '
  cat "$T/idem.body"
}
id_of() { sed -n 's/^[0-9]* {"id":\([0-9]*\),.*/\1/p'; }
spec='{"name":"once","gpus":0,"cpus":1,"command":["sleep","600"]}'
first=$(post retry-7f3a "$spec")
check first-201 "[ '${first%% *}' = 201 ]"
a=$(echo "$first" | id_of)
check again-200 "post retry-7f3a '$spec' | grep -q '^200 {\"id\":$a,'"
njobs() { api GET '/v1/jobs?limit=100' | sed 's/^[0-9]* //' | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["jobs"]))'; }
check one-job "[ \"\$(njobs)\" = 1 ]"
check other-spec-409 "post retry-7f3a '{\"name\":\"twice\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"]}' | grep -q '^409 .*Idempotency-Key'"
b=$(post retry-7f3a "$spec" "$TOK_A" | id_of)
check per-tenant "[ -n '$b' ] && [ '$b' != '$a' ]"
check bad-space "post 'a b' '$spec' | grep -q '^400 .*Idempotency-Key'"
long=$(printf 'k%.0s' $(seq 201))
check bad-long "post '$long' '$spec' | grep -q '^400 .*Idempotency-Key'"
check no-key-new-job "api POST /v1/jobs '$spec' | grep -q '^201 '"

# "The same spec" is the one submitted: a rolling update of the service since changes
# nothing for a retry. A service of several roles takes no key yet (refused, not ignored).
svc='{"name":"svc","kind":"serve","gpus":0,"cpus":1,"command":["sleep","600"]}'
s=$(post svc-key "$svc" | id_of)
check svc-updated "api PATCH /v1/jobs/$s '{\"env\":{\"A\":\"1\"}}' | grep -q '^200 '"
check svc-retry-after-update "post svc-key '$svc' | grep -q '^200 {\"id\":$s,'"
roles=$(tr -d '\n' <"$GT_SRC/examples/jobs/serve-roles.json")
check roles-refuse-key "post roles-key '$roles' | grep -q '^400 .*Idempotency-Key'"

# The CLI: --idempotency-key makes a script's re-run submit nothing new; without it each
# run is a new job (a new key, kept for its retries).
k1=$(G submit --idempotency-key cli-key-1 -G 0 -c 1 -- sleep 600 2>&1)
k2=$(G submit --idempotency-key cli-key-1 -G 0 -c 1 -- sleep 600 2>&1)
check cli-same-job "[[ '$k1' =~ ^[0-9]+$ ]] && [ '$k1' = '$k2' ]"
k3=$(G submit -G 0 -c 1 -- sleep 600 2>&1)
k4=$(G submit -G 0 -c 1 -- sleep 600 2>&1)
check cli-new-key-each-run "[[ '$k3' =~ ^[0-9]+$ ]] && [ '$k3' != '$k4' ]"
check cli-bad-key "G submit --idempotency-key 'a b' -G 0 -c 1 -- true 2>&1 | grep -q 'idempotency-key: 1 to 200'"

kill -9 "$CTLD_PID"
start_ctld || exit 1
check kept-after-kill9 "post retry-7f3a '$spec' | grep -q '^200 {\"id\":$a,'"
kill -TERM "$CTLD_PID"
check clean-stop wait_until 10 bash -c "! kill -0 $CTLD_PID"
start_ctld || exit 1
check kept-after-snapshot "post retry-7f3a '$spec' | grep -q '^200 {\"id\":$a,'"
check tenant-kept "post retry-7f3a '$spec' '$TOK_A' | grep -q '^200 {\"id\":$b,'"
stop_all
finish
