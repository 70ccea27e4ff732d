#!/usr/bin/env bash
# gantry (the CLI) without gantryd: help, `submit --dry-run` of every example job spec,
# options -> JSON, YAML specs, usage errors (exit 2, naming the option), an unreachable
# controller (exit 10), then every command against a stub controller (a few lines of
# Python answering as docs/api.md says) for exit codes, output, tokens and pagination.
#
# Environment (set by ctest): GT_SRC = source tree, GT_BIN = build tree with gantry.
set -euo pipefail
src=${GT_SRC:?} bin=${GT_BIN:?}/gantry
tmp=$(mktemp -d)
stub_pid=
cleanup() {
  [ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passes=0
unset GANTRY_SERVER GANTRY_TOKEN GANTRY_TOKEN_FILE GANTRY_CONTEXT
# No configuration of the user running the test; and none of this shell's variables in the
# documents submit prints (--export: its own checks below set it).
export XDG_CONFIG_HOME=$tmp/xdg GANTRY_EXPORT=NONE

check() { # name, expected exit, expected text in output, command...
  local name=$1 want=$2 text=$3
  shift 3
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" != "$want" ] || ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $want, text '$text'), output:"
    printf '%s\n' "$out" | head -8
    fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
}

# same_json NAME FILE_A FILE_B: the two files hold equal JSON documents.
same_json() {
  check "$1" 0 "same" python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print("same" if a == b else "differ:\n %s\n %s" % (a, b))' "$2" "$3"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cd "$tmp"
# ---- help ---------------------------------------------------------------------------------
check help 0 "exit codes:" "$bin" --help
check help-lists-commands 0 "  top " "$bin" --help
check help-cmd 0 "--gpus-per-node N" "$bin" help submit
check help-flag 0 "usage: gantry logs" "$bin" logs --help
check help-after-globals 0 "usage: gantry jobs" "$bin" --json jobs -h
check no-command 2 "no command given" "$bin"
check unknown-command 2 "unknown command 'frob'" "$bin" frob
check help-unknown 2 "unknown command 'frob'" "$bin" help frob

# ---- submit --dry-run: every example goes out as written -----------------------------------
# (a command without a workdir gets the folder it is submitted from: the want has it too)
for f in "$src"/examples/jobs/*.json; do
  name=$(basename "$f" .json)
  check "dry-run-$name" 0 "{" "$bin" submit --dry-run "$f"
  "$bin" submit --dry-run "$f" >"$tmp/$name.out"
  python3 -c 'import json, os, sys
d = json.load(open(sys.argv[1]))
if "command" in d and "workdir" not in d:
    d["workdir"] = os.getcwd()
json.dump(d, open(sys.argv[2], "w"))' "$f" "$tmp/$name.want"
  same_json "dry-run-$name-equal" "$tmp/$name.want" "$tmp/$name.out"
done

# ---- options -> JSON ----------------------------------------------------------------------
dry() { # name, expected JSON, submit arguments...
  local name=$1 want=$2
  shift 2
  printf '%s\n' "$want" >"$tmp/want.json"
  if "$bin" submit --dry-run "$@" >"$tmp/got.json" 2>"$tmp/err"; then
    same_json "$name" "$tmp/want.json" "$tmp/got.json"
  else
    echo "FAIL $name: exit $?: $(cat "$tmp/err")"
    fails=$((fails + 1))
  fi
}
dry flags-train '{"name": "llm", "priority": "high", "gpus": 16, "gpus_per_node": 8,
  "memory_mb": 65536, "time_limit_s": 7200, "estimate_s": 5400, "duration_s": 90}' \
  --name llm --priority high --gpus 16 --gpus-per-node 8 --memory 64G --time-limit 2h \
  --estimate 1h30m --duration 90s
dry slurm-time '{"time_limit_s": 5400, "estimate_s": 5400, "duration_s": 1}' \
  -t 90 --estimate 1:30:00 --duration 1
dry slurm-time-days '{"time_limit_s": 131400, "duration_s": 1}' --time 1-12:30 --duration 1
dry slurm-short '{"name": "llm", "gpus": 16, "gpus_per_node": 8, "cpus": 4, "time_limit_s": 3600,
  "duration_s": 1}' -J llm -G 16 -N 2 -c 4 -t 60 --duration 1
dry slurm-tasks '{"tasks": 8, "gpus": 0, "cpus": 1, "duration_s": 1, "kind": "tasks"}' \
  -n 8 -G 0 -c 1 --duration 1
dry flags-serve '{"replicas": {"min": 2, "max": 6}, "gpus": 8, "duration_s": 60, "kind": "serve"}' \
  --replicas 2:6 --gpus 8 --duration 1m
dry flags-tasks '{"tasks": 100, "gpus": 0, "cpus": 2, "memory_mb": 512, "duration_s": 1.5,
  "kind": "tasks"}' --tasks 100 --gpus 0 --cpus 2 --memory 512M --duration 1.5
dry flags-command "{\"gpus\": 1, \"env\": {\"A\": \"1\", \"B\": \"x=y\"}, \"grace_s\": 30,
  \"command\": [\"python3\", \"train.py\", \"--gpus\", \"8\"], \"workdir\": \"$tmp\"}" \
  --gpus 1 --env A=1 --env B=x=y --grace 30s -- python3 train.py --gpus 8
dry flags-workdir '{"workdir": "/data/run", "command": ["ls"]}' --workdir /data/run -- ls
# --export: which of the submitter's variables the job's env gets (HOME, USER and PATH by
# default; GANTRY_EXPORT is its default), under what the spec and --env say.
check export-default 0 '"env": {
    "HOME": "/home/u",
    "USER": "u",
    "PATH": "/usr/bin:/bin"
  }' env GANTRY_EXPORT= HOME=/home/u USER=u PATH=/usr/bin:/bin FOO=1 "$bin" submit --dry-run -G 0 -c 1 -- ls
FOO=1 dry export-list '{"command": ["ls"], "workdir": "/w", "env": {"FOO": "1", "BAR": "x=y"}}' \
  --export FOO,BAR=x=y,UNSET_VARIABLE_XYZ --workdir /w -- ls
HOME=/home/u dry export-env-wins '{"command": ["ls"], "workdir": "/w", "env": {"HOME": "/mine"}}' \
  --export HOME --env HOME=/mine --workdir /w -- ls
dry export-none '{"command": ["ls"], "workdir": "/w"}' --export NONE --workdir /w -- ls
dry export-no-command '{"gpus": 1, "duration_s": 5}' --export ALL --gpus 1 --duration 5
check export-all 0 "[] 2" sh -c "GANTRY_TOKEN=secret FOO=2 $bin submit --dry-run --export ALL -- ls |
  python3 -c 'import json,sys; e=json.load(sys.stdin)[\"env\"]; print(sorted(k for k in e if k.startswith(\"GANTRY\")), e[\"FOO\"])'"
check export-bad 2 "submit: --export: expected ALL, NONE or a list of NAME and NAME=VALUE, got 'A B' in 'A B'" \
  "$bin" submit --export 'A B' -- ls
check export-none-alone 2 "--export: NONE goes alone, got 'NONE,A'" "$bin" submit --export NONE,A -- ls
check export-empty-item 2 "got '' in 'A,'" "$bin" submit --export A, -- ls
check export-env-bad 2 "gantry: GANTRY_EXPORT: expected ALL, NONE or a list" env GANTRY_EXPORT=1X "$bin" submit --dry-run -- ls
printf '#!/bin/sh\n#GANTRY --export=ALL,9=x\ntrue\n' >"$tmp/export.sh"
check export-directive 2 "export.sh:2: --export: expected ALL, NONE or a list" "$bin" submit "$tmp/export.sh"
dry file-and-flags '{"name": "chat-api", "tenant": "inference", "kind": "serve",
  "priority": "low", "gpus": 8, "gpus_per_node": 8, "gpu_model": "H100", "cpus": 32,
  "memory_mb": 262144, "replicas": {"min": 1, "max": 3}, "duration_s": 86400}' \
  "$src/examples/jobs/serve-chat.json" --priority low --replicas 1:3
dry globals-among-options '{"gpus": 2, "duration_s": 5}' --gpus 2 --json --duration 5 \
  --server http://127.0.0.1:1

cat >"$tmp/job.yaml" <<'EOF'
# a job spec in YAML: the same fields as JSON
name: finetune-7b
tenant: research
gpus: 16
gpus_per_node: 8
gpu_model: H100
within: domain
time_limit_s: 21600
command: [torchrun, train.py, --config, ft7b.yaml]
env:
  NCCL_DEBUG: WARN
workdir: /home/alice/ft
grace_s: 120
id: ft-2024-001
EOF
dry yaml-spec "$(cat "$src/examples/jobs/train-command.json")" "$tmp/job.yaml"
dry yaml-stdin '{"gpus": 3, "duration_s": 10}' - <<<$'gpus: 3\nduration_s: 10'
dry json-stdin '{"gpus": 3, "duration_s": 10}' - <<<'{"gpus": 3, "duration_s": 10}'

printf '#!/bin/sh\n#GANTRY -J s -G 2\necho "$@"\n' >"$tmp/s.sh"
dry script "{\"name\": \"x\", \"gpus\": 2, \"command\": [\"/bin/sh\", \"-c\",
  \"#!/bin/sh\\n#GANTRY -J s -G 2\\necho \\\"\$@\\\"\\n\", \"s.sh\", \"--json\", \"a\"],
  \"workdir\": \"$tmp\"}" -J x "$tmp/s.sh" --json a
check script-json-is-its-own 0 '"--json"' "$bin" submit --dry-run "$tmp/s.sh" --json

# ---- usage errors: exit 2, the option named -----------------------------------------------
check bad-unknown 2 "submit: unknown option '--bogus'" "$bin" submit --bogus
check bad-negative 2 "--gpus: must be between 0 and 1048576, got '-1'" "$bin" submit --gpus -1
check bad-garbage 2 "--gpus: expected an integer from 0 to 1048576, got '4x'" "$bin" submit --gpus 4x
check bad-huge 2 "--gpus: expected an integer" "$bin" submit --gpus 99999999999999999999
check bad-missing 2 "--gpus needs a value (N)" "$bin" submit --gpus
check bad-memory 2 "--memory: not a whole number of MiB, got '1.3M'" "$bin" submit --memory 1.3M
check bad-duration 2 "--time-limit: expected a duration like 90, 90s, 30m, 2h" "$bin" submit --time-limit 5y
check bad-time 2 "submit: --time: expected minutes or a time like MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, got '1h:00'" "$bin" submit -t 1h:00
check bad-time-range 2 "--time: minutes and seconds go up to 59" "$bin" submit --time 0:99
check bad-nodes 2 "gantry: --nodes: 3 does not divide gpus (16)" "$bin" submit -G 16 -N 3 --duration 1
check bad-short 2 "submit: unknown option '-x'" "$bin" submit -x out.txt
check help-short 0 "-N, --nodes N" "$bin" help submit
check bad-kind 2 "--kind: expected one of train, serve, tasks, got 'batch'" "$bin" submit --kind batch
check bad-replicas 2 "--replicas: need 1 <= MIN <= MAX <= 100000, got '6:2'" "$bin" submit --replicas 6:2
check bad-env 2 "--env: expected KEY=VALUE, got 'A'" "$bin" submit --env A
check bad-split 2 "gpus_per_node: 3 does not divide gpus (16)" "$bin" submit --dry-run --gpus 16 --gpus-per-node 3
check bad-file 2 "cannot read '$tmp/nope.json'" "$bin" submit --dry-run "$tmp/nope.json"
printf '{"gpus": 8,}' >"$tmp/bad.json"
check bad-json 2 "bad.json:1:12: string or '}' expected" "$bin" submit --dry-run "$tmp/bad.json"
printf 'gpus: 1\ngpus: 2\n' >"$tmp/dup.yaml"
check bad-yaml 2 "dup.yaml:2:1: duplicate key 'gpus'" "$bin" submit --dry-run "$tmp/dup.yaml"
check bad-global 2 "--timeout: expected a duration" "$bin" --timeout soon jobs
check bad-server 2 "--server: expected a URL like http://HOST:PORT, got 'localhost'" "$bin" --server localhost jobs
check bad-id 2 "show: expected a job id (an integer >= 0), got 'x'" "$bin" show x
check bad-nargs 2 "nodes: takes no arguments, got 'extra'" "$bin" nodes extra
check bad-state 2 "jobs: --state: unknown state 'done' (the states: pending, running, completed, failed, cancelled, all; or PD, R, CD, F, CA)" "$bin" jobs --state running,done
check bad-format 2 "jobs: --format: unknown column 'colour' (the columns: id, name, user, tenant, kind, prio, state, gpus, units, progress, age, time, reason, nodelist, nodelist(reason))" "$bin" jobs -o id,colour
check bad-nothing 2 "nothing to run" "$bin" --server http://127.0.0.1:1 submit --gpus 1

# ---- no controller: exit 10 ---------------------------------------------------------------
port=$(free_port)
check unreachable 10 "cannot reach the controller at http://127.0.0.1:$port (Connection refused); is gantryd running?" \
  "$bin" --server "http://127.0.0.1:$port" jobs
check unreachable-env 10 "set --server or GANTRY_SERVER" env GANTRY_SERVER="http://127.0.0.1:$port" "$bin" nodes
check unreachable-submit 10 "cannot reach the controller" "$bin" --server "http://127.0.0.1:$port" submit --gpus 1 -- true

# ---- a stub controller --------------------------------------------------------------------
cat >"$tmp/stub.py" <<'EOF'
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs, unquote

ADMIN, USER = "admin-secret", "user-secret"
polls = {}
def job(i, state="running", **kw):
    j = {"id": i, "name": "job%d" % i, "tenant": "research", "kind": "train",
         "priority": "normal", "state": state, "held": False, "restarts": 0,
         "preemptions": 0, "submit_time": 1764061200.0, "start_time": None, "end_time": None,
         "units": {"total": 1, "pending": 0, "running": 1, "done": 0, "failed": 0},
         "placement": [], "spec": {"gpus": 2}}
    j.update(kw)
    return j

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, doc=None, text=None, headers=()):
        body = text.encode() if text is not None else json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if text is not None else "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def err(self, code, name, msg, where=None):
        e = {"code": name, "message": msg}
        if where: e["where"] = where
        self.send(code, {"error": e})
    def route(self, method):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        tok = self.headers.get("Authorization", "")
        if tok not in ("Bearer " + ADMIN, "Bearer " + USER):
            return self.err(401, "unauthorized", "missing or unknown token")
        admin = tok == "Bearer " + ADMIN
        p = [unquote(x) for x in u.path.rstrip("/").split("/")[1:]]
        polls[u.path] = polls.get(u.path, 0) + 1
        k = polls[u.path]
        if method == "POST" and p == ["v1", "jobs"]:
            if self.headers.get("Content-Type") != "application/json":
                return self.err(400, "invalid", "not JSON", "body")
            open(sys.argv[2], "wb").write(body)
            spec = json.loads(body)
            if spec.get("gpus", 1) > 64:
                return self.err(422, "impossible", "resources: no part of this fleet can ever hold it")
            return self.send(201, job(7, "pending", spec=spec))
        if p == ["v1", "whoami"]:
            return self.send(200, {"tenant": "research", "role": "admin" if admin else "user",
                                   "user": "alice" if admin else None})
        if p == ["v1", "jobs"]:  # pages of 2, filtered by state, as gantryd does
            jobs = [job(1), job(2, "completed"), job(3, "pending", reason="priority"), job(4),
                    job(5, spec={"gpus": 2, "user": "alice"})]
            desc = q.get("order") == "desc"
            after = int(q.get("after", -1))
            sel = [j for j in (jobs[::-1] if desc else jobs)
                   if (after < 0 or (j["id"] < after if desc else j["id"] > after))
                   and q.get("state", j["state"]) == j["state"]]
            return self.send(200, {"jobs": sel[:2], "next": sel[1]["id"] if len(sel) > 2 else None})
        if len(p) >= 3 and p[:2] == ["v1", "jobs"]:
            i = int(p[2])
            states = {7: "completed", 9: "failed", 11: "running",
                      10: "running" if k < 3 else "completed"}
            if i not in states:
                return self.err(404, "not_found", "no job %d" % i)
            if len(p) == 3:
                return self.send(200, job(i, states[i]))
            if p[3] == "cancel":
                if i == 7:
                    return self.err(409, "state", "job 7 has already finished")
                return self.send(200, job(i, "cancelled"))
            if p[3] in ("hold", "release"):
                return self.send(200, job(i, "pending", held=p[3] == "hold"))
            if p[3] == "logs":
                off = int(q.get("offset", 0))
                if q.get("stream") == "stderr":
                    return self.send(200, text="err\n", headers=[("X-Gantry-Offset", "4"), ("X-Gantry-Done", "1")])
                if i == 11:  # still writing: a pause, then the rest
                    lines = {0: ("a\n", 2, 0), 2: ("", 2, 0) if k < 4 else ("b\n", 4, 1)}
                else:
                    lines = {0: ("hello\n", 6, 0), 6: ("world\n", 12, 1), 12: ("", 12, 1)}
                t, o, d = lines[off]
                h = [("X-Gantry-Offset", str(o))] + ([("X-Gantry-Done", "1")] if d else [])
                return self.send(200, text=t, headers=h)
        if p == ["v1", "nodes"]:
            return self.send(200, {"nodes": [{"name": "n1", "path": "cluster/b0/n1", "state": "up",
                "alive": True, "gpus": 8, "gpus_free": 6, "gpu_model": "H100", "cpus": 64,
                "cpus_free": 60, "memory_mb": 65536, "last_heartbeat": None, "agent": None}]})
        if len(p) == 4 and p[:2] == ["v1", "nodes"]:
            if not admin:
                return self.err(403, "forbidden", "drain needs an admin token")
            if p[2] != "n1":
                return self.err(404, "not_found", "no node '%s'" % p[2])
            return self.send(200, {"name": "n1", "state": "draining" if p[3] == "drain" else "up"})
        if p == ["v1", "tenants"]:
            return self.send(200, {"tenants": [{"name": "research", "quota_gpus": 8, "limit_gpus": 0,
                "share": 1, "gpus_held": 2, "cpus_held": 4, "usage_gpu_hours": 1.5, "fairshare": 0.25}]})
        if p == ["v1", "cluster"]:
            return self.send(200, {"levels": [{"level": "cluster", "subtrees": 1, "gpus": 8,
                "gpus_free": 6, "cpus": 64, "cpus_free": 60}],
                "jobs": {"pending": 1, "running": 1}, "nodes": {"up": 1, "draining": 0, "down": 0}})
        self.err(404, "not_found", "no route " + u.path)
    def do_GET(self): self.route("GET")
    def do_POST(self): self.route("POST")

s = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
EOF
python3 "$tmp/stub.py" "$tmp/port" "$tmp/posted.json" &
stub_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
export GANTRY_SERVER="http://127.0.0.1:$(cat "$tmp/port")"
g() { GANTRY_TOKEN=admin-secret "$bin" "$@"; }

check no-token 8 "missing or unknown token; pass a token with --token-file PATH or GANTRY_TOKEN" "$bin" jobs
check bad-token 8 "GANTRY_TOKEN" env GANTRY_TOKEN=nope "$bin" jobs
# A token is never taken from the command line (ps shows argv): --token is refused, before
# the command, among its options, or after a spec file, and nothing is sent.
check token-arg-refused 2 "--token: a token is never taken from the command line" "$bin" --token admin-secret jobs
check token-arg-refused-eq 2 "use --token-file PATH or GANTRY_TOKEN" "$bin" jobs --token=admin-secret
check token-arg-refused-submit 2 "--token: a token is never taken" "$bin" submit "$src/examples/jobs/cpu-job.json" --token admin-secret
check env-token 0 "job1" env GANTRY_TOKEN=admin-secret "$bin" jobs
printf '# comment\n\n  user-secret  \n' >"$tmp/tok"
check token-file 0 "job1" "$bin" --token-file "$tmp/tok" jobs
check env-token-file 0 "job1" env GANTRY_TOKEN_FILE="$tmp/tok" "$bin" jobs
mkdir -p "$tmp/gantry-data" && echo admin-secret >"$tmp/gantry-data/admin.token"
check default-token-file 0 "job1" "$bin" jobs
rm -rf "$tmp/gantry-data"
check forbidden 9 "drain needs an admin token; use a token that may" \
  env GANTRY_TOKEN=user-secret "$bin" drain n1 --reason x

check submit-id 0 "7" g submit --gpus 2 --name x -- python3 -c 'print(1)'
id=$(g submit --gpus 2 --duration 5)
check submit-id-alone 0 "[7]" echo "[$id]"
g submit --dry-run --gpus 2 --name x -- python3 -c 'print(1)' >"$tmp/dry.json"
g submit --gpus 2 --name x -- python3 -c 'print(1)' >/dev/null
same_json submit-sends-dry-run "$tmp/dry.json" "$tmp/posted.json"
check submit-json 0 '"state": "pending"' g submit --json --gpus 2 --duration 5
check submit-impossible 3 "resources: no part of this fleet can ever hold it" g submit --gpus 128 --duration 5

check jobs 0 "5  job5  alice  research  train  normal  running     2    1/1" g jobs
check jobs-all 0 "2  job2  -      research  train  normal  completed" g jobs --all
check jobs-active 0 "5 4 3 1" sh -c "GANTRY_TOKEN=admin-secret $bin jobs -o id --noheader | xargs"
check jobs-states 0 "4 2 1" sh -c "GANTRY_TOKEN=admin-secret $bin jobs --state r,completed -o id --noheader | xargs"
check jobs-state-all 0 "5 4 3 2 1" sh -c "GANTRY_TOKEN=admin-secret $bin jobs --state PD,all -o id --noheader | xargs"
check jobs-limit 0 "the newest 2 jobs shown (--limit)" g jobs --all --limit 2
check jobs-limit-newest 0 "5 4" sh -c "GANTRY_TOKEN=admin-secret $bin jobs --all --limit 2 -o id --noheader | xargs"
check jobs-pending 0 "3  job3" g jobs --all --state pending --tenant "a b"
check jobs-reason 0 "(priority)" g jobs --state pending
check jobs-parsable 0 "ID|STATE|REASON
5|running|-
4|running|-
3|pending|priority" g jobs --parsable -o ID,state,reason
check jobs-me 0 "alice   5" sh -c "GANTRY_TOKEN=admin-secret $bin jobs --me -o user,id --noheader"
check jobs-me-unbound 2 "--me: this token is not bound to a Unix user" env GANTRY_TOKEN=user-secret "$bin" jobs --me
check jobs-all-json 0 "5 [5, 4, 3, 2, 1] None" sh -c "GANTRY_TOKEN=admin-secret $bin jobs --all --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d[\"jobs\"]), [j[\"id\"] for j in d[\"jobs\"]], d[\"next\"])'"
check jobs-json 0 "[5, 4, 3, 1]" sh -c "GANTRY_TOKEN=admin-secret $bin jobs --json | python3 -c 'import json,sys; print([j[\"id\"] for j in json.load(sys.stdin)[\"jobs\"]])'"
check show 0 "state:        completed" g show 7
check show-json 0 '"id": 7' g show 7 --json
check show-missing 4 "gantry: no job 99" g show 99
check cancel 0 "job 9: cancel requested (cancelled)" g cancel 9
check cancel-finished 5 "job 7 has already finished" g cancel 9 7
check cancel-json 0 '"jobs": [' g --json cancel 9
check hold 0 "job 9: held (pending)" g hold 9
check release 0 "job 9: released (pending)" g release 9
check wait-ok 0 "job 7: completed" g wait 7
check wait-failed 1 "job 9: failed" g wait 7 9
check wait-poll 0 "job 10: completed" g wait 10 --interval 0.1
check wait-timeout 124 "1 job(s) still running after 0.3 s (--timeout)" g wait 11 --timeout 0.3 --interval 0.1
check logs 0 "hello
world" g logs 7
check logs-stderr 0 "err" g logs 7 --stderr --unit 0 --rank 0
check logs-follow 0 "a
b" g logs 11 -f
check logs-missing 4 "no job 99" g logs 99
check nodes 0 "n1    up" g nodes
check drain 0 "node n1: draining" g drain n1 --reason "disk"
check resume 0 "node n1: up" g resume n1
check drain-missing 4 "no node 'n 2'" g drain "n 2" -r disk
check drain-needs-reason 2 "--reason: say why" g drain n1
check tenants 0 "research" g tenants
check cluster 0 "nodes: up 1, draining 0, down 0" g cluster
check cluster-json 0 '"levels"' g cluster --json
check top-once 0 "GPUs [########......................] 2/8 used (25%)" g top --once
check top-json 0 '"tenants"' g top --json

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
