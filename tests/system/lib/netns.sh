# shellcheck shell=bash
# Several hosts on one machine, for system tests (source this file after cluster.sh).
#
# Each host is a network namespace with one veth pair into a bridge in the root namespace;
# the namespace's end is called eth0 on every host, so that one job environment (say
# GLOO_SOCKET_IFNAME=eth0) works everywhere. Addresses come from the benchmarking range
# 198.18.0.0/15 (never a real network): the bridge is 198.18.S.1, host K is 198.18.S.(10+K),
# S picked at random among the /24s no route of this machine uses yet. gantryd listens on
# the bridge's address, one gantry-agent runs inside each namespace (entered with nsenter
# --net, not `ip netns exec`, which would remount /sys and hide the cgroup hierarchies from
# the agent: only the network is the host's own here). The names carry the
# suffix of $T, so that runs side by side do not meet; netns_cleanup (on exit) kills every
# process left in the namespaces and removes them and the bridge.
#
#   netns_require [torch] [mpi]   exit with SKIP_CODE (77, the tests' SKIP_RETURN_CODE)
#                                 and "SKIP: why" unless this can run: root, `ip netns`
#                                 works, and with `torch` / `mpi` Debian's python3-torch /
#                                 openmpi-bin are there (the apt-get line is printed)
#   netns_init NAME               cluster_init NAME, and netns_cleanup on exit
#   netns_up N                    bridge + hosts 1..N: sets NS[K], ADDR[K], BR, BR_ADDR
#   netns_start_ctld              write_config N (nodes n1..nN) and gantryd on BR_ADDR
#   netns_start_agent K           the agent of node nK inside host K: sets AGENT_PID[nK]
#   netns_link K up|down          cut host K off the network, or bring it back
#   host_of_node NODE             prints K for a node name nK
SKIP_CODE=77
NET_PY=/usr/bin/python3 # Debian's interpreter, the one python3-torch installs into
declare -A NS ADDR
NET_ID="" BR="" BR_ADDR="" NET_N=0

netns_skip() { # WHY...
  echo "SKIP: $*"
  exit "$SKIP_CODE"
}

netns_require() { # [torch] [mpi]
  [ "$(id -u)" -eq 0 ] || netns_skip "needs root (network namespaces, cgroups)"
  command -v ip >/dev/null || netns_skip "no ip(8); run: ${GT_SRC}/scripts/deps.sh multihost"
  local probe="gt-probe-$$" missing=() w
  ip netns add "$probe" 2>/dev/null || netns_skip "cannot create network namespaces (ip netns add)"
  ip netns del "$probe"
  for w in "$@"; do
    case "$w" in
      torch) "$NET_PY" -c 'import torch.distributed' 2>/dev/null || missing+=(python3-torch) ;;
      mpi)
        command -v mpirun >/dev/null || missing+=(openmpi-bin)
        command -v mpicc >/dev/null && [ -n "$(mpicc --showme:incdirs 2>/dev/null)" ] &&
          [ -f "$(mpicc --showme:incdirs | cut -d' ' -f1)/mpi.h" ] || missing+=(libopenmpi-dev)
        ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] ||
    netns_skip "missing packages; run: apt-get install -y --no-install-recommends ${missing[*]}" \
      "(or ${GT_SRC}/scripts/deps.sh multihost)"
}

netns_up() { # N
  local n=$1 k s used
  NET_ID=${T##*.}
  BR="gtb-$NET_ID"
  used=$(ip -4 route show | grep -o '^198\.1[89]\.[0-9]*' | sort -u)
  for _ in $(seq 50); do
    s=$((RANDOM % 250 + 2))
    grep -qx "198\.18\.$s" <<<"$used" || break
  done
  BR_ADDR=198.18.$s.1
  NET_N=$n
  ip link add "$BR" type bridge || return 1
  ip addr add "$BR_ADDR/24" dev "$BR" && ip link set "$BR" up || return 1
  for k in $(seq 1 "$n"); do
    NS[$k]="gt-$NET_ID-h$k"
    ADDR[$k]=198.18.$s.$((10 + k))
    ip netns add "${NS[$k]}" || return 1
    ip link add "gtv-$NET_ID-$k" type veth peer name eth0 netns "${NS[$k]}" || return 1
    ip link set "gtv-$NET_ID-$k" master "$BR" up || return 1
    ip -n "${NS[$k]}" addr add "${ADDR[$k]}/24" dev eth0 || return 1
    ip -n "${NS[$k]}" link set lo up && ip -n "${NS[$k]}" link set eth0 up || return 1
  done
}

netns_start_ctld() {
  write_config "$NET_N"
  start_ctld --listen "$BR_ADDR:$PORT" || return 1
  URL=http://$BR_ADDR:$PORT
  wait_until 10 curl -sf "$URL/healthz"
}

netns_start_agent() { # K
  local k=$1 node="n$1"
  GANTRY_NODE_TOKEN=$TOK_NODE nsenter --net="/run/netns/${NS[$k]}" "$GT_BIN/gantry-agent" --server "$URL" \
    --node "$node" --listen "${ADDR[$k]}:0" --advertise "${ADDR[$k]}" \
    --state-dir "$T/agent-$node" --cpus 2 --memory-mb 2048 --fake-gpus 4 \
    --cgroup-parent "$CG_PARENT" >>"$T/agent-$node.log" 2>&1 &
  AGENT_PID[$node]=$! # nsenter execs the agent: this is its PID
  disown "$!"
  PIDS+=("${AGENT_PID[$node]}")
}

netns_link() { # K up|down
  ip -n "${NS[$1]}" link set eth0 "$2"
}

host_of_node() { # NODE (nK): prints K
  echo "${1#n}"
}

netns_cleanup() { # also under `set -e` (a trap): nothing in here may stop it
  local k
  for k in "${!NS[@]}"; do
    ip netns pids "${NS[$k]}" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
  for k in "${!NS[@]}"; do
    ip netns del "${NS[$k]}" 2>/dev/null || true
    ip link del "gtv-$NET_ID-$k" 2>/dev/null || true # would go with the namespace, but later
  done
  if [ -n "$BR" ]; then ip link del "$BR" 2>/dev/null || true; fi
  NS=()
  BR=""
}

netns_init() { # NAME: cluster_init, with the namespaces cleaned up first on exit
  cluster_init "$1"
  trap 'netns_cleanup; cluster_cleanup' EXIT
  trap 'exit 130' INT TERM
}
