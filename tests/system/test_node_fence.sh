#!/usr/bin/env bash
# Fencing. Node n1's agent reaches gantryd through a TCP proxy; killing the proxy cuts n1
# off (a network partition) while its gang runs. The agent, hearing nothing for its lease
# (node_timeout 4 s - heartbeat 1 s = 3 s), kills the gang's ranks; gantryd marks n1 down
# only after its node timeout and starts the gang again on n2. A watcher proves the order:
# the old generation's rank was gone before the new one started, so two generations never
# ran at once. When the link comes back, n1 registers again and serves.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init fence
write_config 2
start_ctld || exit 1
W=$T/w
shared_dir "$W"
PPORT=$(free_port)
python3 "$GT_SRC/tests/system/lib/tcp_proxy.py" "$PPORT" "$PORT" &
PROXY=$!
PIDS+=("$PROXY")
sleep 0.3
DIRECT=$URL
URL=http://127.0.0.1:$PPORT start_agent n1
URL=$DIRECT
check n1-up wait_until 10 node_state_is n1 up
j=$(submit "{\"name\":\"gang\",\"gpus\":4,\"cpus\":1,\"command\":[\"sh\",\"-c\",\"echo \$\$ >$W/pid.\$GANTRY_RESTART_COUNT.tmp; mv $W/pid.\$GANTRY_RESTART_COUNT.tmp $W/pid.\$GANTRY_RESTART_COUNT; python3 -c 'import time; print(repr(time.time()))' >$W/start.\$GANTRY_RESTART_COUNT.\$RANK.tmp; mv $W/start.\$GANTRY_RESTART_COUNT.\$RANK.tmp $W/start.\$GANTRY_RESTART_COUNT.\$RANK; exec sleep 300\"]}")
check gen0-runs wait_until 15 "[ -s $W/pid.0 ]"
start_agent n2
check n2-up wait_until 10 node_state_is n2 up

# The watcher: when the first generation's rank was last seen alive, and when it was first
# seen gone (a poll every 10 ms).
python3 - "$(cat "$W/pid.0")" "$W/gone" <<'PY' &
import os, sys, time
pid, out = int(sys.argv[1]), sys.argv[2]
alive = time.time()
while True:
    try:
        os.kill(pid, 0)
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(")")[-1].split()[0] == "Z":
                raise ProcessLookupError
        alive = time.time()
    except (ProcessLookupError, FileNotFoundError):
        open(out, "w").write("%r %r\n" % (alive, time.time()))
        break
    time.sleep(0.01)
PY
watcher=$!
cut=$(date +%s.%N)
kill -9 "$PROXY"
check old-gone wait_until 10 "[ -s $W/gone ]"
check fenced-logged "grep -q 'no answer from the controller for .* (lease 3 s): stopped 1 unit(s)' '$T/agent-n1.log'"
check n1-down wait_until 10 node_state_is n1 down
# Each rank writes its start time to a file of its own (renamed into place: never half
# written); the new generation started with the first of them.
check gen1-starts wait_until 20 "[ -s $W/start.1.0 ]"
check gen1-on-n2 "[ \"\$(job $j 'd[\"placement\"][0][\"nodes\"][0][\"node\"]')\" = n2 ]"
read -r last_alive gone_at <"$W/gone"
started=$(for f in "$W"/start.1.*; do case $f in *.tmp) ;; *) cat "$f" ;; esac; done | sort -g | head -1)
echo "fence: cut at $cut; old rank last alive $last_alive, seen gone $gone_at; new generation started $started"
check never-two-at-once "python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' $gone_at $started"
# (its last answer came up to one heartbeat before the cut: the lease ends 2 to 3 s after it)
check fenced-after-lease "python3 -c 'import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) >= 1.9 else 1)' $cut $last_alive"
wait "$watcher" 2>/dev/null

# The link comes back: n1 registers again and is up.
python3 "$GT_SRC/tests/system/lib/tcp_proxy.py" "$PPORT" "$PORT" &
PIDS+=("$!")
check n1-back wait_until 20 node_state_is n1 up
G cancel "$j" >/dev/null
stop_all
finish
