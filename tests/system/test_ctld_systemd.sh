#!/usr/bin/env bash
# The daemons under systemd, without systemd (dist/systemd/*.service, docs/operations.md):
#  - Type=notify: with NOTIFY_SOCKET set (a stand-in socket, lib/notify_listen.py),
#    gantryd sends READY=1 once its API answers (/healthz answers the moment READY=1
#    arrives) and gantry-agent once it has registered (its node is up by then); an agent
#    that cannot register (a wrong token) sends nothing; each sends STOPPING=1 on SIGTERM;
#  - the journal: with JOURNAL_STREAM naming their stderr, log lines carry the syslog
#    priority ("<6>" info, "<5>" a node down) instead of "NAME: "; naming
#    another file (what a child inherits), the lines are as without it.
source "$(dirname "$0")/lib/cluster.sh"
cluster_init systemd
write_config 1

listen() { # NAME [CMD...]: a notification socket $T/NAME.sock, messages in $T/NAME.notify
  local name=$1
  shift
  : >"$T/$name.notify"
  python3 "$GT_SRC/tests/system/lib/notify_listen.py" "$T/$name.sock" "$T/$name.notify" "$@" &
  PIDS+=("$!")
  wait_until 10 test -S "$T/$name.sock"
}
stream_of() { # FILE: JOURNAL_STREAM's value for FILE ("DEVICE:INODE")
  python3 -c 'import os, sys; s = os.stat(sys.argv[1]); print(f"{s.st_dev}:{s.st_ino}")' "$1"
}
notified() { # NAME PATTERN
  grep -q "$2" "$T/$1.notify"
}

# gantryd: ready once the API answers.
listen ctld curl -sf "http://127.0.0.1:$PORT/healthz"
: >"$T/ctld.log"
NOTIFY_SOCKET=$T/ctld.sock JOURNAL_STREAM=$(stream_of "$T/ctld.log") start_ctld
check "gantryd sends READY=1 with its status" \
  "wait_until 10 notified ctld 'READY=1 STATUS=listening on 127.0.0.1:$PORT (port $PORT)'"
check "gantryd's API answers when READY=1 arrives" "wait_until 5 notified ctld 'on-ready: exit 0'"
check "gantryd sends READY=1 once" "[ \$(grep -c READY=1 '$T/ctld.notify') = 1 ]"

# An agent that cannot register is not ready; its stderr is not the stream JOURNAL_STREAM
# names, so its lines are the usual ones.
listen bad
: >"$T/other.log"
NOTIFY_SOCKET=$T/bad.sock JOURNAL_STREAM=$(stream_of "$T/other.log") \
  GANTRY_NODE_TOKEN=bad-token-0123456789 "$GT_BIN/gantry-agent" --server "$URL" --node n1 \
  --state-dir "$T/agent-bad" --cpus 2 --memory-mb 2048 --fake-gpus 4 \
  --cgroup-parent "$CG_PARENT" >>"$T/agent-bad.log" 2>&1 &
bad=$!
PIDS+=("$bad")
check "an agent refused logs a plain line" \
  "wait_until 10 grep -q '^gantry-agent: registration refused (401)' '$T/agent-bad.log'"
kill -TERM "$bad"
wait "$bad" 2>/dev/null
check "an agent that never registered sent nothing" "[ ! -s '$T/bad.notify' ]"

# gantry-agent: ready once registered, its node up.
listen agent bash -c "curl -sf -H 'Authorization: Bearer $TOK_ADMIN' $URL/v1/nodes/n1 |
  grep -q '\"state\":\"up\"'"
: >"$T/agent-n1.log"
NOTIFY_SOCKET=$T/agent.sock JOURNAL_STREAM=$(stream_of "$T/agent-n1.log") start_agent n1
check "gantry-agent sends READY=1 with its status" \
  "wait_until 15 notified agent 'READY=1 STATUS=registered 1 node(s) with $URL'"
check "its node is up when READY=1 arrives" "wait_until 5 notified agent 'on-ready: exit 0'"

# Log lines with their priority, for the journal.
check "gantry-agent's info lines carry <6>" "grep -q '^<6>registered 1 node(s) with $URL' '$T/agent-n1.log'"
check "no plain lines from gantry-agent" "! grep -q '^gantry-agent:' '$T/agent-n1.log'"
check "gantryd's info lines carry <6>" "grep -q '^<6>agent .* registered 1 node(s)' '$T/ctld.log'"

# SIGTERM: STOPPING=1 from each; the node goes down (a notice) once the agent is gone.
kill -TERM "${AGENT_PID[n1]}"
check "gantry-agent sends STOPPING=1" "wait_until 10 notified agent STOPPING=1"
check "gantry-agent's last line carries <6>" "wait_until 10 grep -q '^<6>stopped' '$T/agent-n1.log'"
check "a node down is a notice: <5>" \
  "wait_until 15 grep -q '^<5>node n1 down: no heartbeat' '$T/ctld.log'"
kill -TERM "$CTLD_PID"
check "gantryd sends STOPPING=1" "wait_until 15 notified ctld STOPPING=1"
check "gantryd stops cleanly" "wait_until 15 '! kill -0 $CTLD_PID'"
finish
