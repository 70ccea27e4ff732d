#!/usr/bin/env python3
"""Keep an HAProxy backend in step with a gantry service's endpoints.

    haproxy_sync.py --socket /run/haproxy/admin.sock --backend model JOB

It watches GET /v1/jobs/JOB/endpoints (a long poll on the endpoints' version, so a change
reaches HAProxy well under a second after gantry commits it) and, through HAProxy's runtime
API (a `stats socket ... level admin`), points the backend's server slots at the ready
replicas: `set server BACKEND/SLOT addr IP port PORT`, then `state ready`. A slot whose
replica left the endpoints is set to `drain` (no new requests; those under way finish) and
to `maint` once it has no sessions left or --drain-s has passed. The backend is declared
with spare slots and no health checks (gantry's readiness probe is the health check):

    backend model
        server-template r 16 127.0.0.1:1 disabled

Design notes
 1. The slots' state is read from HAProxy at every turn (`show servers state`), never
    remembered: a restarted sync, or a restarted HAProxy whose slots all came back
    disabled, is put right at the next turn, at most --watch-s later (a turn follows every
    answer of gantry, a watch that timed out too). Only drain start times live here.
 2. plan() decides, from the slots and the wanted addresses, which commands to send; it
    does no I/O, so the decisions can be read (and tested) as data.
 3. gantry or HAProxy out of reach is never fatal: the error is said once, in plain words,
    and the sync retries (0.5 s doubling to 5 s) while HAProxy keeps its last good state,
    so traffic flows on while gantryd restarts. After a lost connection the next request
    to gantry is a plain GET, not a watch: a restarted gantryd numbers versions from 1
    again. A token refused (401, 403) or a job that does not exist (404) ends the sync
    (exit 2): retrying would not help. --once syncs once and exits (1 when unreachable).
 4. Every turn that changes something logs one line to stderr; quiet otherwise.
 5. A gantryd that has just restarted lists a replica as ready only once the replica's
    agent has registered again (up to a heartbeat later): taken literally, its first
    answers would empty the backend. So for --settle-s after gantry was out of reach (or
    its versions went back), servers are added but none is drained; the removals wait
    for the next turn after that. A replica that died meanwhile costs nothing but
    retries: HAProxy sends its requests to another server (`option redispatch`).

Server and token as the gantry CLI takes them: --server or GANTRY_SERVER (default
http://127.0.0.1:7070); --token-file PATH, GANTRY_TOKEN, GANTRY_TOKEN_FILE, then
./gantry-data/admin.token. Python 3 standard library only."""
import argparse
import csv
import http.client
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

DEFAULT_SERVER = "http://127.0.0.1:7070"
DEFAULT_TOKEN_FILE = "gantry-data/admin.token"
# srv_admin_state bits (HAProxy's enum srv_admin): forced, inherited or DNS maintenance;
# forced or inherited drain. 0x04 (`disabled` in the config) stays set after `state ready`.
ADMIN_MAINT = 0x01 | 0x02 | 0x20
ADMIN_DRAIN = 0x08 | 0x10
ENDED = ("completed", "failed", "cancelled")


class Unreachable(Exception):
    """gantry or HAProxy cannot be reached now: say so and try again."""


class Fatal(Exception):
    """Retrying cannot help (a refused token, no such job or backend)."""


def log(msg):
    sys.stderr.write("haproxy_sync: %s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---- gantry ----

def read_token(args):
    """The token as the gantry CLI finds it; '' when there is none (gantry then says 401)."""
    env_tok, env_file = os.environ.get("GANTRY_TOKEN"), os.environ.get("GANTRY_TOKEN_FILE")
    path = args.token_file
    if not path and env_tok:
        return env_tok.strip()
    path = path or env_file
    if not path:
        if not os.path.exists(DEFAULT_TOKEN_FILE):
            return ""
        path = DEFAULT_TOKEN_FILE
    try:
        with open(path) as f:
            for line in f:
                words = line.split()
                if words and not words[0].startswith("#"):
                    return words[0]
    except OSError as e:
        raise Fatal("cannot read a token from '%s' (%s); pass --token-file PATH or set "
                    "GANTRY_TOKEN" % (path, e.strerror))
    raise Fatal("cannot read a token from '%s' (no token in it)" % path)


class Gantry:
    def __init__(self, server, token, job):
        self.server, self.token, self.job = server.rstrip("/"), token, job

    def endpoints(self, watch, wait_s):
        """The endpoints document; with watch (a version), once the version moves past it
        or wait_s passes."""
        path = "/v1/jobs/%d/endpoints" % self.job
        if watch is not None:
            path += "?watch=%d&timeout_s=%d" % (watch, wait_s)
        req = urllib.request.Request(self.server + path,
                                     headers={"Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(req, timeout=wait_s + 10) as r:
                text = r.read()
        except urllib.error.HTTPError as e:
            raise self.refused(e) from None
        except (OSError, http.client.HTTPException) as e:
            why = getattr(e, "reason", None) or e
            raise Unreachable("cannot reach gantry at %s (%s)" % (self.server, why)) from None
        try:
            doc = json.loads(text)
            int(doc["version"])
            return doc
        except (ValueError, KeyError, TypeError):
            raise Unreachable("%s%s answered something other than an endpoints document: "
                              "is it gantryd?" % (self.server, path.split("?")[0])) from None

    def refused(self, e):
        try:
            msg = json.loads(e.read())["error"]["message"]
        except (ValueError, KeyError, TypeError, OSError):
            msg = e.reason
        text = "gantry at %s answered %d for job %d: %s" % (self.server, e.code, self.job, msg)
        if e.code == 401:
            return Fatal(text + " (pass a token with --token-file PATH or GANTRY_TOKEN)")
        if e.code in (400, 403, 404):
            return Fatal(text)
        return Unreachable(text)


def wanted(doc, port_name):
    """The endpoints as [(ip, port, replica)], by replica; a host name is resolved."""
    out = []
    for e in sorted(doc.get("endpoints", []), key=lambda e: e.get("replica", 0)):
        port = e.get("ports", {}).get(port_name) if port_name else e["port"]
        if port is None:
            log("replica %s has no port named '%s': left out" % (e.get("replica"), port_name))
            continue
        try:
            ip = socket.getaddrinfo(e["host"], port, type=socket.SOCK_STREAM)[0][4][0]
        except OSError as err:
            log("replica %s: cannot resolve host '%s' (%s): left out"
                % (e.get("replica"), e["host"], err))
            continue
        out.append((ip, int(port), e.get("replica")))
    return out


# ---- HAProxy ----

class HAProxy:
    def __init__(self, where):
        self.where = where

    def connect(self):
        if "/" not in self.where and ":" in self.where:
            host, port = self.where.rsplit(":", 1)
            return socket.create_connection((host, int(port)), timeout=5)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(self.where)
        except OSError:
            s.close()
            raise
        return s

    def cmd(self, line):
        """One command (several joined by ';'); HAProxy's answer as text."""
        try:
            with self.connect() as s:
                s.sendall(line.encode() + b"\n")
                chunks = []
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
        except OSError as e:
            raise Unreachable("cannot reach HAProxy's runtime API at %s (%s; haproxy needs "
                              "`stats socket %s level admin` in its global section)"
                              % (self.where, e.strerror or e, self.where)) from None
        out = b"".join(chunks).decode(errors="replace")
        if "Permission denied" in out:
            raise Fatal("HAProxy's runtime API at %s refuses '%s': give the stats socket "
                        "`level admin`" % (self.where, line.split(";")[0]))
        return out

    def slots(self, backend):
        """The backend's servers: [dict(name, addr, port, maint, drain)], in order."""
        out = self.cmd("show servers state " + backend)
        lines = out.splitlines()
        head = next((ln[2:].split() for ln in lines if ln.startswith("# be_id")), None)
        if head is None:
            raise Fatal("HAProxy has no backend '%s' (%s)" % (backend, out.strip()))
        slots = []
        for ln in lines:
            row = ln.split()
            if len(row) != len(head) or ln.startswith("#"):
                continue
            r = dict(zip(head, row))
            admin = int(r["srv_admin_state"])
            slots.append({"name": r["srv_name"], "addr": r["srv_addr"],
                          "port": int(r["srv_port"]), "maint": bool(admin & ADMIN_MAINT),
                          "drain": bool(admin & ADMIN_DRAIN)})
        return slots

    def sessions(self, backend):
        """{server: sessions under way or queued} for the backend."""
        rows = csv.DictReader(self.cmd("show stat").lstrip("# ").splitlines())
        return {r["svname"]: int(r["scur"] or 0) + int(r["qcur"] or 0)
                for r in rows if r.get("pxname") == backend}

    def set(self, backend, slot, what):
        out = self.cmd("set server %s/%s %s" % (backend, slot, what)).strip()
        if out and "changed" not in out and "no need to change" not in out:
            raise Fatal("HAProxy refused 'set server %s/%s %s': %s" % (backend, slot, what, out))


# ---- deciding ----

def plan(slots, want, drain_since, sessions, now, drain_s, remove=True):
    """The commands that bring the slots to `want` ([(ip, port, replica)]), as
    [(slot, "addr IP port P" | "state ready|drain|maint", why)]; with remove False, only
    those that add or re-enable servers. Updates drain_since (slot -> when its drain
    began). No I/O."""
    by_addr, used, cmds = {}, set(), []
    for s in slots:
        by_addr.setdefault((s["addr"], s["port"]), s)
    # Free: in maintenance and not holding an address that is wanted (that slot is reused).
    addrs = {(ip, port) for ip, port, _ in want}
    free = [s for s in slots if s["maint"] and (s["addr"], s["port"]) not in addrs]
    for ip, port, replica in want:
        s = by_addr.get((ip, port))
        if s is None or s["name"] in used:
            s = next((f for f in free if f["name"] not in used), None)
            if s is None:
                log("no free server slot for replica %s at %s:%d: declare more slots "
                    "(server-template)" % (replica, ip, port))
                continue
            cmds.append((s["name"], "addr %s port %d" % (ip, port), "replica %s" % replica))
        used.add(s["name"])
        drain_since.pop(s["name"], None)
        if s["maint"] or s["drain"]:
            cmds.append((s["name"], "state ready", "replica %s %s:%d" % (replica, ip, port)))
    for s in slots:
        if not remove:
            break
        if s["name"] in used or s["maint"]:
            drain_since.pop(s["name"], None)
            continue
        addr = "%s:%d" % (s["addr"], s["port"])
        if not s["drain"]:
            drain_since[s["name"]] = now
            cmds.append((s["name"], "state drain", "%s left the endpoints" % addr))
            continue
        began = drain_since.setdefault(s["name"], now)
        if sessions.get(s["name"], 0) == 0 or now - began >= drain_s:
            drain_since.pop(s["name"])
            cmds.append((s["name"], "state maint", "%s drained" % addr))
    return cmds


def sync(args, hap, doc, drain_since, remove):
    """One turn: read the slots, send what plan() says. Returns the commands sent."""
    slots = hap.slots(args.backend)
    draining = any(s["drain"] and not s["maint"] for s in slots)
    sessions = hap.sessions(args.backend) if draining else {}
    cmds = plan(slots, wanted(doc, args.port_name), drain_since, sessions, time.monotonic(),
                args.drain_s, remove)
    for slot, what, _ in cmds:
        hap.set(args.backend, slot, what)
    if cmds:
        log("job %s version %s, %s ready: %s" % (
            doc.get("job"), doc.get("version"), doc.get("ready"),
            "; ".join("%s %s (%s)" % c for c in cmds)))
    return cmds


# ---- the loop ----

class Outage:
    """Says an error once, then that it is over, and paces the retries."""

    def __init__(self):
        self.msg, self.delay = None, 0.5

    def failed(self, e):
        if str(e) != self.msg:
            log("%s; retrying" % e)
            self.msg = str(e)
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, 5)

    def ok(self, what):
        if self.msg:
            log("%s answers again" % what)
        self.msg, self.delay = None, 0.5


def run(args, gantry, hap):
    version, last, drain_since = None, None, {}
    g_out, h_out = Outage(), Outage()
    h_pending, settle_until = True, 0.0
    while True:
        # Drains, settling and an HAProxy to catch up with are looked at every second.
        now = time.monotonic()
        wait_s = 1 if drain_since or h_pending or now < settle_until else args.watch_s
        try:
            doc = gantry.endpoints(version, wait_s)
        except Unreachable as e:
            if args.once:
                raise
            version = None
            g_out.failed(e)
            continue
        # A gantryd that was out of reach, or whose versions went back, may have restarted:
        # its replicas count as unready until their agents register again (design note 5).
        if g_out.msg or (last is not None and doc["version"] < last):
            settle_until = time.monotonic() + args.settle_s
            if args.settle_s > 0:
                log("gantry may have restarted: for %g s, servers are added but none "
                    "removed" % args.settle_s)
        g_out.ok("gantry at %s" % gantry.server)
        version = last = doc["version"]
        ended = doc.get("state") in ENDED
        try:
            sync(args, hap, doc, drain_since, time.monotonic() >= settle_until)
            h_pending = False
            h_out.ok("HAProxy at %s" % hap.where)
        except Unreachable as e:
            if args.once:
                raise
            h_pending = True
            h_out.failed(e)
            continue
        if (ended or args.once) and not drain_since:
            if ended:
                log("job %s is %s; its slots are drained: stopping" % (doc.get("job"),
                                                                     doc["state"]))
            return 0
        if ended:
            time.sleep(1)  # an ended job's watch is answered at once


def show(hap, backend):
    """--show: the backend's slots, one a line."""
    for s in hap.slots(backend):
        state = "maint" if s["maint"] else "drain" if s["drain"] else "ready"
        print("%s %s:%d %s" % (s["name"], s["addr"], s["port"], state))
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("job", type=int, nargs="?", help="the service's job id")
    p.add_argument("--socket", required=True,
                   help="HAProxy's stats socket (a path, or HOST:PORT), `level admin`")
    p.add_argument("--backend", required=True, help="the backend whose servers are the slots")
    p.add_argument("--server", default=os.environ.get("GANTRY_SERVER") or DEFAULT_SERVER,
                   help="gantryd's URL (env GANTRY_SERVER; default %s)" % DEFAULT_SERVER)
    p.add_argument("--token-file", help="read the token from PATH (else GANTRY_TOKEN, "
                   "GANTRY_TOKEN_FILE, %s)" % DEFAULT_TOKEN_FILE)
    p.add_argument("--port-name", help="route to this named port (default: the first)")
    p.add_argument("--drain-s", type=float, default=30,
                   help="longest drain before a removed slot goes to maint (default 30)")
    p.add_argument("--settle-s", type=float, default=10,
                   help="after gantry was out of reach, remove no server for this long "
                   "(default 10; more than gantryd's heartbeat_s)")
    p.add_argument("--watch-s", type=int, default=10,
                   help="longest wait of one watch request, 1 to 300 (default 10)")
    p.add_argument("--once", action="store_true",
                   help="sync once (waiting out drains) and exit; 1 when unreachable")
    p.add_argument("--show", action="store_true", help="print the backend's slots and exit")
    a = p.parse_args(argv)
    if a.job is None and not a.show:
        p.error("the job id is required")
    if not 1 <= a.watch_s <= 300:
        p.error("--watch-s: expected 1 to 300, got %d" % a.watch_s)
    if not a.server.startswith(("http://", "https://")):
        p.error("--server (GANTRY_SERVER): expected a URL like http://HOST:PORT, got '%s'"
                % a.server)
    return a


def main(argv):
    args = parse_args(argv)
    hap = HAProxy(args.socket)
    try:
        if args.show:
            return show(hap, args.backend)
        gantry = Gantry(args.server, read_token(args), args.job)
        log("job %d at %s -> HAProxy %s, backend %s"
            % (args.job, gantry.server, args.socket, args.backend))
        return run(args, gantry, hap)
    except Unreachable as e:
        log(str(e))
        return 1
    except Fatal as e:
        log(str(e))
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
