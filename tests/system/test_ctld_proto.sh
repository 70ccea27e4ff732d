#!/usr/bin/env bash
# The controller <-> agent protocol across versions (docs/api.md, "Protocol versions"):
#  - gantryd takes a registration in the JSON of agents from before the version field
#    (version 1), and refuses one of a version it does not speak with 409 proto_version,
#    saying which side to upgrade; a malformed one gets 400 naming the field;
#  - gantry-agent works with a controller from before the field (a stand-in that answers
#    as gantryd did: no "proto"), starting what it is given and reporting the exit; and it
#    refuses a controller of a newer version, saying so, without starting anything.
source "$(dirname "$0")/lib/cluster.sh"
cluster_init proto
write_config 2
start_ctld

# 1. gantryd with agents of other versions (curl stands in for them).
old='{"agent":"old-1","url":"","nodes":[{"name":"n1","gpus":4,"gpu_model":"fake","cpus":2,"memory_mb":1024}]}'
check "old agent registers as version 1" \
  "api POST /v1/agent/register '$old' $TOK_NODE | grep -q '^200 .*\"proto\":1,\"session\"'"
new='{"proto":99,"agent":"new-1","url":"","nodes":[{"name":"n2","gpus":4,"cpus":2,"memory_mb":1024}]}'
check "newer agent refused with 409" \
  "api POST /v1/agent/register '$new' $TOK_NODE | grep -q '^409 .*proto_version.*the agent speaks protocol version 99, this gantryd speaks 1 to 2: upgrade gantryd'"
bad='{"agent":"x","nodes":[{"name":"n2","gpus":"four"}]}'
check "malformed registration names the field" \
  "api POST /v1/agent/register '$bad' $TOK_NODE | grep -q '^400 .*\"where\":\"nodes\\[0\\].gpus\"'"
check "malformed events name the field" \
  "api POST /v1/agent/events '{\"agent\":\"old-1\",\"session\":1,\"events\":[{\"type\":\"exited\",\"job\":-1}]}' $TOK_NODE | grep -q '^400 .*events\\[0\\].job'"
check "the refused agent's node was not registered" \
  "api GET /v1/nodes/n2 | grep -q '\"agent\":null'"

# 2. gantry-agent with controllers of other versions: a stand-in on a free port.
fake_port=$(free_port)
cat >"$T/fake.py" <<'PY'
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# The start item gantryd sent before the version field (items.c's json_pack), verbatim
# but for the command.
item = {"op": "start", "job": 5, "unit": 0, "gen": 0, "node": "n9",
        "ranks": [{"rank": 0, "local_rank": 0, "gpus": [0], "cpus": 1}], "world_size": 1,
        "local_world_size": 1, "node_rank": 0, "nnodes": 1, "master_addr": "127.0.0.1",
        "master_port": 29400, "hosts": [{"host": "127.0.0.1", "slots": 1}], "cpus": 1,
        "restarts": 0, "name": "old", "tenant": "a", "kind": "train",
        "command": ["sh", "-c", "echo ran-under-old-controller > " + out + "/ran; "
                    "echo \"$GANTRY_HOSTFILE\" >> " + out + "/ran; cat \"$GANTRY_HOSTFILE\" >> "
                    + out + "/ran; exit 3"],
        "workdir": "/tmp"}
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, body):
        b = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/v1/agent/register":
            with open(out + "/registers", "a") as f:
                f.write(body.decode() + "\n")
            w = {"session": 1, "heartbeat_s": 1, "seq": 0, "items": [item] if mode == "old" else []}
            if mode == "new":
                w["proto"] = 99
            self.reply(w)
        elif self.path == "/v1/agent/events":
            with open(out + "/events", "a") as f:
                f.write(body.decode() + "\n")
            self.reply({})
        else:
            self.reply({})
    def do_GET(self):
        time.sleep(0.5)
        self.reply({"seq": 0, "items": []})
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
run_fake() { # MODE: start the stand-in and an agent for node n9 against it
  mkdir -p "$T/$1"
  chmod 777 "$T/$1"
  python3 "$T/fake.py" "$fake_port" "$1" "$T/$1" 2>>"$T/fake-$1.log" &
  FAKE_PID=$!
  PIDS+=("$FAKE_PID")
  wait_until 10 "curl -sf -X POST http://127.0.0.1:$fake_port/v1/agent/heartbeat"
  # A relative --state-dir (the default is one too): every path a job gets is absolute.
  # A proxy in the environment (a dead one) must not stand between it and 127.0.0.1.
  (cd "$T" && http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 GANTRY_NODE_TOKEN=x exec "$GT_BIN/gantry-agent" --server "http://127.0.0.1:$fake_port" \
    --node n9 --state-dir "agent-$1" --cpus 2 --memory-mb 2048 --fake-gpus 4 \
    --cgroup-parent "$CG_PARENT" >>"$T/agent-$1.log" 2>&1) &
  FAKE_AGENT=$!
  PIDS+=("$FAKE_AGENT")
}
stop_fake() {
  kill -TERM "$FAKE_AGENT" 2>/dev/null
  wait_until 10 "! kill -0 $FAKE_AGENT"
  kill "$FAKE_PID" 2>/dev/null
}

run_fake old
check "agent registers with an old controller" \
  wait_until 20 "grep -q 'registered 1 node(s) with .* (protocol 1)' '$T/agent-old.log'"
check "agent sends its version" "grep -q '\"proto\":2,' '$T/old/registers'"
check "agent runs an old controller's start item" \
  wait_until 20 "grep -q ran-under-old-controller '$T/old/ran'"
check "the job's GANTRY_HOSTFILE is absolute and readable" \
  "sed -n 2p '$T/old/ran' | grep -qx '$T/agent-old/runs/5-0-0-n9/hostfile' && sed -n 3p '$T/old/ran' | grep -qx '127.0.0.1 slots=1'"
check "agent reports the exit in the old format" \
  wait_until 20 "grep -q '\"type\":\"exited\",\"job\":5,\"unit\":0,\"gen\":0,\"node\":\"n9\",\"rank\":0,\"exit_code\":3' '$T/old/events'"
stop_fake

run_fake new
check "agent refuses a newer controller" \
  wait_until 20 "grep -q 'cannot use the registration.s answer: proto: the gantryd speaks protocol version 99, this agent speaks 1 to 2: upgrade the agent' '$T/agent-new.log'"
sleep 2
check "and does not register with it" "! grep -q 'registered 1 node' '$T/agent-new.log'"
check "and waits before trying again (one try in 2 s)" "[ \$(wc -l <'$T/new/registers') -eq 1 ]"
stop_fake

finish
