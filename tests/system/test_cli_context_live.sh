#!/usr/bin/env bash
# Where the CLI and the agent get their controller, token and name, against real daemons on
# loopback: no token is taken from the command line (gantry and gantry-agent refuse --token,
# read --token-file or the environment, and the token is not in the agent's argv);
# gantry-agent's --node defaults to GANTRY_NODE, else the short host name, as gantryd's
# embedded config names its node; contexts in $XDG_CONFIG_HOME/gantry/config (gantry config
# set-context / use-context / get-contexts / current-context, --context, GANTRY_CONTEXT),
# with the command line and the environment winning over them, and every mistake an exit 2
# that names the file:line or the option.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init cli-config
write_config 2
host=$(GANTRY_NODE='' "$GT_BIN/gantryd" --print-default-config | sed -n 's/.*{name: "\([^"]*\)".*/\1/p')
# A third node named after this machine, for an agent started without --node.
echo "  - {name: \"$host\", gpus: 4, gpu_model: fake, cpus: ${NODE_CPUS:-2}, memory_gb: 1}" \
  >>"$T/cluster.yaml"
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
cd "$T" || exit 1
unset GANTRY_SERVER GANTRY_TOKEN GANTRY_TOKEN_FILE GANTRY_NODE_TOKEN GANTRY_CONTEXT GANTRY_NODE
export XDG_CONFIG_HOME=$T/xdg
gantry() { "$GT_BIN/gantry" "$@"; }
exits() { # CODE COMMAND...: the command exits with CODE
  local want=$1 rc=0
  shift
  "$@" || rc=$?
  [ "$rc" -eq "$want" ] || { echo "exit $rc, want $want"; return 1; }
}
says() { # TEXT COMMAND...: the command exits 2 and TEXT is in its output
  local text=$1 rc=0 out
  shift
  out=$("$@" 2>&1) || rc=$?
  echo "$out"
  [ "$rc" -eq 2 ] && grep -qF -- "$text" <<<"$out"
}
echo "$TOK_ADMIN" >admin.token
echo "$TOK_A" >a.token
chmod 600 admin.token a.token

# ---- no token on the command line -------------------------------------------------------------
no_arg="--token: a token is never taken from the command line (ps shows it to every user)"
check cli-token-refused says "$no_arg; use --token-file PATH or GANTRY_TOKEN" \
  gantry --server "$URL" --token "$TOK_ADMIN" jobs
check cli-token-eq-refused says "$no_arg" gantry --server "$URL" jobs --token="$TOK_ADMIN"
check cli-token-after-spec-refused says "$no_arg" \
  gantry --server "$URL" submit "$GT_SRC/examples/jobs/cpu-job.json" --token "$TOK_ADMIN"
check cli-token-refused-sends-nothing "[ \$(api GET /healthz | cut -d' ' -f2- | jq_py \"d['jobs']\") = 0 ]"
check cli-token-file exits 0 gantry --server "$URL" --token-file admin.token nodes
check cli-env-token exits 0 env GANTRY_TOKEN="$TOK_ADMIN" "$GT_BIN/gantry" --server "$URL" nodes
check cli-env-token-file exits 0 env GANTRY_TOKEN_FILE=admin.token "$GT_BIN/gantry" --server "$URL" nodes
check cli-token-file-missing says "cannot read a token from 'nope.token' (No such file or directory)" \
  gantry --server "$URL" --token-file nope.token nodes
check agent-token-refused says "$no_arg; use --token-file FILE or GANTRY_NODE_TOKEN" \
  "$GT_BIN/gantry-agent" --server "$URL" --token "$TOK_NODE" --node n2
check agent-token-file-missing says "--token-file: no token in 'nope.token' (No such file or directory)" \
  "$GT_BIN/gantry-agent" --server "$URL" --token-file nope.token --node n2
check agent-no-token says "no node token: pass --token-file FILE or set GANTRY_NODE_TOKEN" \
  "$GT_BIN/gantry-agent" --server "$URL" --node n2
# An agent given its token in a file: up, and the token is nowhere in its argv.
echo "$TOK_NODE" >node.token
"$GT_BIN/gantry-agent" --server "$URL" --token-file node.token --node n2 --state-dir "$T/agent-n2" \
  --cpus "${NODE_CPUS:-2}" --memory-mb 2048 --fake-gpus 4 --cgroup-parent "$CG_PARENT" \
  ${AGENT_PORTS:+--ports "$AGENT_PORTS"} >>"$T/agent-n2.log" 2>&1 &
n2=$!
PIDS+=("$n2")
check agent-token-file-up wait_until 10 node_state_is n2 up
check agent-argv-no-token "! tr '\\0' ' ' </proc/$n2/cmdline | grep -qF -- '$TOK_NODE'"

# ---- gantry-agent --node defaults to the host name ----------------------------------------------
check default-config-host-node "[ -n '$host' ] && [ '$host' = \"\$(hostname | cut -d. -f1 | tr -c 'A-Za-z0-9._\\n-' _)\" ]"
check default-config-gantry-node "GANTRY_NODE=rack7-n3 $GT_BIN/gantryd --print-default-config | grep -qF '{name: \"rack7-n3\",'"
GANTRY_NODE_TOKEN=$TOK_NODE "$GT_BIN/gantry-agent" --server "$URL" --state-dir "$T/agent-host" \
  --cpus "${NODE_CPUS:-2}" --memory-mb 2048 --fake-gpus 4 --cgroup-parent "$CG_PARENT" \
  ${AGENT_PORTS:+--ports "$AGENT_PORTS"} >>"$T/agent-host.log" 2>&1 &
PIDS+=("$!")
check agent-default-node-is-host wait_until 10 node_state_is "$host" up
check agent-help-node "$GT_BIN/gantry-agent --help | grep -q -- '--node NAME .*default: the short host name'"

# ---- contexts ----------------------------------------------------------------------------------
cfg=$XDG_CONFIG_HOME/gantry/config
check ctx-none-is-fine exits 10 gantry --server http://127.0.0.1:1 jobs # no file: no error
check ctx-missing-file says "--context: no context 'lab': there is no configuration file '$cfg'" \
  gantry --context lab jobs
check ctx-get-missing-file says "there is no configuration file '$cfg'" gantry config get-contexts
check ctx-set exits 0 gantry config set-context lab --server "$URL" --token-file admin.token --tenant a
check ctx-set-user exits 0 gantry config set-context user-a --server "$URL" --token-file "$T/a.token"
check ctx-file-mode "[ \$(stat -c %a '$cfg') = 600 ] && [ \$(stat -c %a '$XDG_CONFIG_HOME/gantry') = 700 ]"
check ctx-token-file-absolute "grep -qx 'token-file = $T/admin.token' '$cfg'"
check ctx-no-current says "no current-context in '$cfg'" gantry config current-context
check ctx-use-unknown says "no context 'nope' in '$cfg'" gantry config use-context nope
check ctx-use exits 0 gantry config use-context lab
check ctx-current "[ \"\$(gantry config current-context)\" = lab ]"
check ctx-get "gantry config get-contexts | grep -E '^\\*  +lab +$URL +$T/admin.token +a\$'"
check ctx-get-json "gantry config get-contexts --json | jq_py \"[c['name'] for c in d['contexts'] if c['current']]\" | grep -qx \"\\['lab'\\]\""
# The context gives the server, the token and the tenant.
check ctx-nodes "gantry nodes | grep -q '^n1 .* up '"
id=$(gantry submit -G 0 -c 1 -- true)
check ctx-tenant "[ \"\$(job_field '$id' tenant)\" = a ]"
check ctx-tenant-dry-run "gantry submit --dry-run --duration 1 | grep -q '\"tenant\": \"a\"'"
# What the command line and the environment say wins.
check ctx-flag-tenant "gantry submit --dry-run --duration 1 --tenant b | grep -q '\"tenant\": \"b\"'"
check ctx-flag-server exits 10 gantry --server http://127.0.0.1:1 jobs
check ctx-env-server exits 10 env GANTRY_SERVER=http://127.0.0.1:1 "$GT_BIN/gantry" jobs
check ctx-env-token exits 8 env GANTRY_TOKEN=no-such-token-0123456789 "$GT_BIN/gantry" jobs
echo no-such-token-0123456789 >bad.token
check ctx-flag-token-file exits 8 gantry --token-file bad.token jobs
# Another context: by --context, by GANTRY_CONTEXT, then by use-context.
check ctx-flag-context exits 9 gantry --context user-a drain n1 --reason x
check ctx-env-context exits 9 env GANTRY_CONTEXT=user-a "$GT_BIN/gantry" drain n1 --reason x
check ctx-flag-context-unknown says "--context: no context 'nope' in '$cfg'" gantry --context nope jobs
check ctx-env-context-unknown says "GANTRY_CONTEXT: no context 'nope' in '$cfg'" \
  env GANTRY_CONTEXT=nope "$GT_BIN/gantry" jobs
check ctx-use-user exits 0 gantry config use-context user-a
check ctx-user-forbidden exits 9 gantry drain n1 --reason x
check ctx-set-update exits 0 gantry config set-context user-a --token-file admin.token
check ctx-updated-admin exits 0 gantry nodes
check ctx-updated-kept-server "grep -A3 '^\\[context user-a\\]' '$cfg' | grep -qx 'server = $URL'"
rm -f "$T/admin.token.moved"
mv admin.token admin.token.moved
check ctx-token-file-unreadable says "cannot read a token from '$T/admin.token', the token-file of context 'user-a' ($cfg:" \
  gantry nodes
mv admin.token.moved admin.token
# Bad files: exit 2, FILE:LINE, nothing sent.
printf 'current-context = lab\n\n[context lab]\nserver = ftp://x\n' >"$cfg"
check ctx-bad-server says "$cfg:4: server: expected a URL like http://HOST:PORT, got 'ftp://x'" gantry jobs
printf '[context lab]\nserver = %s\ntoken = %s\n' "$URL" "$TOK_ADMIN" >"$cfg"
check ctx-bad-key says "$cfg:3: unknown key 'token' in a context (server, token-file, tenant)" gantry jobs
printf 'current-context = gone\n[context lab]\n' >"$cfg"
check ctx-current-unknown says "$cfg:1: current-context 'gone': no such context in the file" gantry jobs
printf '[context lab]\n[context lab]\n' >"$cfg"
check ctx-twice says "$cfg:2: context 'lab' given twice (first at line 1)" gantry config get-contexts
printf '[context lab]\ntoken-file = rel/tok\n' >"$cfg"
check ctx-relative-token-file says "$cfg:2: token-file: expected an absolute path or ~/PATH, got 'rel/tok'" gantry jobs
check ctx-bad-name says "set-context: expected a context name" gantry config set-context 'a b'
check ctx-bad-sub says "unknown subcommand 'frob'" gantry config frob
check ctx-bad-submit-sends-nothing "[ \$(api GET /healthz | cut -d' ' -f2- | jq_py \"d['jobs']\") = 1 ]"
# ~/ in a token-file is HOME's.
mkdir -p "$T/home" && cp admin.token "$T/home/admin.token"
printf 'current-context = home\n[context home]\nserver = %s\ntoken-file = ~/admin.token\n' "$URL" >"$cfg"
check ctx-home-token-file exits 0 env HOME="$T/home" "$GT_BIN/gantry" nodes
# XDG_CONFIG_HOME unset: ~/.config/gantry/config.
mkdir -p "$T/home/.config/gantry" && cp "$cfg" "$T/home/.config/gantry/config"
check ctx-home-config exits 0 env -u XDG_CONFIG_HOME HOME="$T/home" "$GT_BIN/gantry" nodes

finish
