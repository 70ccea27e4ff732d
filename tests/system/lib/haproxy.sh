# HAProxy in front of a gantry service, for system tests and benchmarks (source this file
# after cluster.sh and cluster_init):
#
#   haproxy_require          exit 77 (skip) without Debian's haproxy ($HAPROXY names it)
#   haproxy_config [SLOTS]   $T/haproxy.cfg: a frontend on a free port ($HP), a backend
#                            `model` of SLOTS (8) disabled server slots, no health checks
#                            (gantry's readiness probe is the health check), retries on
#                            another server; its runtime API at $T/haproxy.sock
#   start_haproxy            HAProxy in the foreground of a background job: sets $HAP_PID
#                            (not inside check: it sets PIDS)
#   start_sync JOB [OPTS]    examples/serve/haproxy_sync.py for JOB, logging to $T/sync.log:
#                            sets $SYNC_PID
#   hap_up                   the backend's slots, one a line ("r1 127.0.0.1:20000 ready")
#   hap_ports STATE          the ports of the slots in that state, sorted, on one line
#   hap_retries              the backend's retries and redispatches so far ("R D")
#   load N|Ns [THREADS]      N requests (or N seconds of them) through HAProxy from THREADS
#                            (4) clients: load_gen.py's JSON line; none starts once the
#                            file \$LOAD_STOP (when set) exists
#   failed FILE, served FILE REPLICA, no_failures FILE, say PHASE FILE: about a load's result
HAPROXY=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
SYNC=$GT_SRC/examples/serve/haproxy_sync.py

haproxy_require() {
  [ -x "$HAPROXY" ] && return 0
  echo "SKIP: no haproxy at $HAPROXY (Debian package haproxy: apt-get install haproxy)"
  exit 77
}

haproxy_config() {
  HP=$(free_port)
  cat >"$T/haproxy.cfg" <<EOF
global
    stats socket $T/haproxy.sock mode 600 level admin
    nbthread 1
    maxconn 256
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
frontend fe
    bind 127.0.0.1:$HP
    default_backend model
backend model
    balance roundrobin
    server-template r ${1:-8} 127.0.0.1:1 disabled
EOF
}

start_haproxy() {
  "$HAPROXY" -db -f "$T/haproxy.cfg" >>"$T/haproxy.log" 2>&1 &
  HAP_PID=$!
  PIDS+=("$HAP_PID")
}

start_sync() { # JOB [more options]
  local j=$1
  shift
  [ -f "$T/admin.token" ] || echo "$TOK_ADMIN" >"$T/admin.token"
  python3 "$SYNC" --server "$URL" --token-file "$T/admin.token" --socket "$T/haproxy.sock" \
    --backend model "$@" "$j" >>"$T/sync.log" 2>&1 &
  SYNC_PID=$!
  PIDS+=("$SYNC_PID")
}

hap_up() { python3 "$SYNC" --socket "$T/haproxy.sock" --backend model --show; }

hap_ports() { # STATE
  hap_up | awk -v s="$1" '$3 == s { sub(/.*:/, "", $2); print $2 }' | sort -n | xargs
}

hap_retries() {
  python3 - "$T/haproxy.sock" <<'EOF'
import csv, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
rows = csv.DictReader(s.makefile().read().lstrip("# ").splitlines())
print(*[(r["wretr"], r["wredis"]) for r in rows
        if r["pxname"] == "model" and r["svname"] == "BACKEND"][0])
EOF
}

load() { # N, or Ns for N seconds; [THREADS]; $LOAD_STOP: a file that ends it sooner
  local n=(--requests "$1")
  [ "${1%s}" != "$1" ] && n=(--seconds "${1%s}")
  python3 "$GT_SRC/tests/system/lib/load_gen.py" "http://127.0.0.1:$HP/generate" "${n[@]}" \
    --threads "${2:-4}" ${LOAD_STOP:+--stop-file "$LOAD_STOP"}
}

failed() { jq_py 'd["failed"]' <"$1"; }

served() { # FILE REPLICA: requests answered by that replica (answers "... replica R ...")
  jq_py "sum(n for k, n in d['replicas'].items() if k.split()[3] == '$2')" <"$1"
}

no_failures() { [ "$(failed "$1")" = 0 ] || { cat "$1"; return 1; }; }

say() { # PHASE FILE: one line of what the load saw
  jq_py "'$1: %d requests in %.1f s, %d failed, per replica %s' % (d['requests'],
    d['seconds'], d['failed'], {k.split()[3] + ' restart ' + k.split()[5]: n
    for k, n in sorted(d['replicas'].items())})" <"$2"
}
