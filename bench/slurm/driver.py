#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measurement driver for bench/slurm_compare.sh: runs one phase against gantry or a Slurm
cluster that the shell script has started, and prints the figures as one JSON document.

  driver.py throughput --system gantry|slurm --via cli|api --jobs N --clients P
      N one-CPU `true` jobs submitted by P concurrent clients (one CLI process per job, or
      keep-alive HTTP connections for --via api); reports the submission rate (jobs / time
      until the last submission returned) and the end-to-end rate (jobs / time from the
      first submission until no job is pending or running). With --backlog every node is
      held back first (gantry: nodes drained; Slurm: partition DOWN) and let go once all are
      submitted: the rate is counted from that moment.
  driver.py latency --system gantry|slurm --via cli|api --jobs N --dir DIR
      N jobs `sh -c 'date +%s.%N > DIR/K'`, each submitted on its own: the job writes the
      time its process started, the driver takes the time just before it starts the
      submission; latency = started - submitted.  --mode open (default): arrivals at random
      (exponential) gaps of mean --interval s, so they fall at random phases of any
      periodic scheduler tick; --mode closed: the next job is submitted only when the
      previous one has run and nothing is pending or running.
  driver.py array --system gantry|slurm --tasks N [--max-running M]
      ONE submission (one CLI process) of one array of N one-CPU `true` tasks (gantry
      submit --tasks N / sbatch --array=0-(N-1)), at most M running at once if given;
      the rate is N / time from the submission until every task has finished (gantry:
      GET /v1/jobs/ID says completed, failed or cancelled; Slurm: squeue -j ID lists no
      task of the array any more), polled every --poll s.
  driver.py report --dir DIR --json OUT
      merges the phase results under DIR into OUT and prints the table.

Environment: gantry: GANTRY_URL, GANTRY_TOKEN, GANTRY_CLI; slurm: SLURM_CONF (sbatch and
squeue on PATH), SLURM_JOBDIR (the working folder of sbatch: the jobs' slurm-%j.out files).
"""
import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

POLL_S = 0.1  # how often "all finished" is checked, the same for both systems
CLK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("driver: " + msg, file=sys.stderr, flush=True)


def pct(values, p):
    """Percentile p (0..100) by linear interpolation between closest ranks."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary_ms(values):
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": pct(values, 50) * 1e3, "p90_ms": pct(values, 90) * 1e3,
            "p99_ms": pct(values, 99) * 1e3, "mean_ms": sum(values) / len(values) * 1e3,
            "min_ms": min(values) * 1e3, "max_ms": max(values) * 1e3}


def machine_busy_s():
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / CLK


def pid_cpu_s(pid):
    """CPU seconds of a process and of the children it has waited for."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            f_ = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in f_[11:15]) / CLK
    except (OSError, ValueError, IndexError):
        return 0.0


class CpuMeter:
    """How busy the machine was during a phase, and how much of that was not this benchmark
    (its daemons from DAEMON_PIDS, the driver and the CLI processes it ran): other work on a
    shared machine skews the figures, so every phase reports it."""

    def __init__(self):
        self.pids = [int(x) for x in os.environ.get("DAEMON_PIDS", "").split() if x.isdigit()]
        self.cgroup = os.environ.get("BENCH_CGROUP") or None
        self.t = time.time()
        self.busy = machine_busy_s()
        self.ours = self._ours()
        self.load = os.getloadavg()[0]

    def _ours(self):
        if self.cgroup:
            try:
                with open(os.path.join(self.cgroup, "cpuacct.usage")) as f:
                    return int(f.read()) / 1e9
            except (OSError, ValueError):
                self.cgroup = None
        import resource
        r = resource.getrusage(resource.RUSAGE_SELF)
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime +
                sum(pid_cpu_s(p) for p in self.pids))

    def result(self):
        wall = time.time() - self.t
        busy = machine_busy_s() - self.busy
        ours = self._ours() - self.ours
        cores = os.cpu_count() or 1
        others = max(0.0, busy - ours)
        return {"wall_s": wall, "cores": cores, "machine_busy_pct": 100 * busy / (wall * cores),
                "ours_cpu_s": ours, "others_cpu_s": others,
                "others_pct": 100 * others / (wall * cores), "loadavg1_start": self.load,
                "ours_from": "cgroup" if self.cgroup else "pids"}


class Gantry:
    def __init__(self):
        self.url = os.environ["GANTRY_URL"]
        self.token = os.environ["GANTRY_TOKEN"]
        self.cli = os.environ.get("GANTRY_CLI", "gantry")
        u = urllib.parse.urlparse(self.url)
        self.host, self.port = u.hostname, u.port
        self.hdr = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        self._poll = None

    def conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def cli_argv(self, argv):
        return [self.cli, "--server", self.url, "submit", "--gpus", "0", "--cpus", "1",
                "--"] + argv

    def cli_submit(self, argv):
        # The token goes in the environment: gantry takes none on its command line.
        r = subprocess.run(self.cli_argv(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=120, env=dict(os.environ, GANTRY_TOKEN=self.token))
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    def api_submit(self, conn, argv):
        body = json.dumps({"gpus": 0, "cpus": 1, "command": argv})
        conn.request("POST", "/v1/jobs", body, self.hdr)
        r = conn.getresponse()
        data = r.read()
        return r.status == 201, data.decode(errors="replace")[:300]

    def get(self, path):
        for attempt in range(3):
            try:
                if self._poll is None:
                    self._poll = self.conn()
                self._poll.request("GET", path, headers=self.hdr)
                r = self._poll.getresponse()
                data = r.read()
                if r.status != 200:
                    raise RuntimeError("GET %s: %d %s" % (path, r.status, data[:200]))
                return json.loads(data)
            except (OSError, http.client.HTTPException):
                self._poll = None
                if attempt == 2:
                    raise
                time.sleep(0.2)

    def counts(self):
        return self.get("/v1/cluster")["jobs"]

    def post(self, path):
        c = self.conn()
        c.request("POST", path, "", self.hdr)
        r = c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError("POST %s: %d %s" % (path, r.status, data[:200]))

    def nodes(self):
        return [n["name"] for n in self.get("/v1/nodes")["nodes"]]

    def pause(self):  # drain every node: submitted jobs stay pending
        for n in self.nodes():
            self.post("/v1/nodes/%s/drain" % n)

    def resume(self):
        for n in self.nodes():
            self.post("/v1/nodes/%s/resume" % n)

    def unfinished(self):
        j = self.counts()
        return j.get("pending", 0) + j.get("running", 0)

    def array_submit(self, tasks, max_running):
        spec = str(tasks) + ("%%%d" % max_running if max_running else "")
        argv = self.cli_argv(["true"])
        argv[argv.index("submit") + 1:argv.index("submit") + 1] = ["--tasks", spec]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120, env=dict(os.environ, GANTRY_TOKEN=self.token))
        out = (r.stdout + r.stderr).strip()
        return (out if r.returncode == 0 and out.isdigit() else None), out

    def array_left(self, job):
        """(tasks of the array not finished yet, what that is); 0 once the job is
        completed, failed or cancelled."""
        j = self.get("/v1/jobs/%s" % job)
        if j["state"] in ("completed", "failed", "cancelled"):
            return 0, ""
        u = j["units"]
        return max(1, u.get("pending", 0) + u.get("running", 0)), "tasks pending or running"

    def array_counts(self, job):
        j = self.get("/v1/jobs/%s" % job)
        u = j["units"]
        return {"state": j["state"], "done": u.get("done", 0), "failed": u.get("failed", 0),
                "cancelled": u.get("cancelled", 0)}


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Slurm:
    REST = "/slurm/v0.0.38/job/submit"

    def __init__(self):
        self.jobdir = os.environ.get("SLURM_JOBDIR") or os.getcwd()
        self.rest = os.environ.get("SLURM_REST_SOCKET")
        self.rest_jobdir = os.environ.get("SLURM_REST_JOBDIR") or self.jobdir

    def conn(self):
        if not self.rest:
            raise SystemExit("driver: no SLURM_REST_SOCKET (slurmrestd) for --via api")
        return UnixHTTPConnection(self.rest)

    def api_submit(self, conn, argv):
        # slurmrestd (rest_auth/local): the same batch script sbatch --wrap makes.
        text = argv[2] if argv[:2] == ["sh", "-c"] else " ".join(argv)
        body = json.dumps({"script": "#!/bin/sh\n" + text + "\n",
                           "job": {"tasks": 1, "cpus_per_task": 1,
                                   "current_working_directory": self.rest_jobdir,
                                   "environment": {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}}})
        conn.request("POST", self.REST, body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        ok = r.status == 200
        if ok:
            try:
                d = json.loads(data)
                ok = not d.get("errors") and d.get("job_id") is not None
            except ValueError:
                ok = False
        return ok, data.decode(errors="replace")[:300]

    def cli_argv(self, argv):
        # One task, one CPU; the batch script (#!/bin/sh) runs the command: `true`, or for
        # the latency jobs the shell text that gantry gets as ["sh", "-c", TEXT]. The job's
        # output goes to Slurm's default slurm-%j.out in the working folder.
        text = argv[2] if argv[:2] == ["sh", "-c"] else " ".join(argv)
        return ["sbatch", "--parsable", "-n1", "-c1", "--wrap=" + text]

    def cli_submit(self, argv):
        r = subprocess.run(self.cli_argv(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, cwd=self.jobdir, timeout=120)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    def unfinished(self):
        r = subprocess.run(["squeue", "-h", "-o", "%i", "-t",
                            "PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED,REQUEUED,RESIZING"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("squeue: " + r.stderr.strip())
        return len([x for x in r.stdout.split() if x])

    def counts(self):
        # Without accounting Slurm forgets finished jobs (MinJobAge); every job that ran has
        # left its slurm-%j.out, so those files count the jobs that started.
        n = 0
        for d in {self.jobdir, self.rest_jobdir}:
            try:
                n += sum(1 for f in os.listdir(d) if f.startswith("slurm-"))
            except OSError:
                pass
        return {"outputs": n}

    def partitions(self, state):
        # A DOWN partition queues jobs but starts none (drained nodes would make Slurm
        # refuse the submissions outright); UP lets the scheduler at them.
        parts = subprocess.run(["sinfo", "-h", "-o", "%R"], stdout=subprocess.PIPE,
                               text=True, timeout=60).stdout.split()
        for p in parts:
            args = ["scontrol", "update", "PartitionName=" + p, "State=" + state]
            r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=60)
            if r.returncode != 0:
                raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))

    def pause(self):
        self.partitions("DOWN")

    def resume(self):
        self.partitions("UP")

    def array_submit(self, tasks, max_running):
        spec = "0-%d" % (tasks - 1) + ("%%%d" % max_running if max_running else "")
        argv = self.cli_argv(["true"])
        argv[1:1] = ["--array=" + spec]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=self.jobdir, timeout=120)
        out = (r.stdout + r.stderr).strip()
        job = r.stdout.strip().split(";")[0]
        self.array = {"tasks": tasks, "started": 0, "next_squeue": time.time() + 2}
        return (job if r.returncode == 0 and job.isdigit() else None), out

    def _squeue_lines(self, job):
        """Lines squeue lists for the array: its running (and completing) tasks, one line
        for all of its pending ones; 0 once none is left. Without -r (one line a task) and
        one job id, so that slurmctld packs only that array's records."""
        r = subprocess.run(["squeue", "-h", "-j", str(job), "-o", "%i"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        if r.returncode != 0:
            if "Invalid job id" in r.stderr:  # already purged (MinJobAge): all finished
                return 0
            raise RuntimeError("squeue -j %s: %s" % (job, r.stderr.strip()))
        return len([x for x in r.stdout.split() if x])

    def array_left(self, job):
        """(how many, what): tasks not started yet while some are not, then squeue's lines
        for the array; 0 once none is left. A squeue costs ~20 ms of CPU (the process, and
        slurmctld packing every record of the array, finished ones included: MinJobAge),
        20% of a core at 10 polls a second; so until every task has started only the
        output files are watched (a task creates its slurm-ID_TASK.out when it starts; one
        stat a poll, of the lowest task without one), with a squeue every 2 s in case some
        never appears. Once all have started, squeue at every poll."""
        st = self.array
        while st["started"] < st["tasks"] and os.path.exists(
                os.path.join(self.jobdir, "slurm-%s_%d.out" % (job, st["started"]))):
            st["started"] += 1
        now = time.time()
        if st["started"] < st["tasks"] and now < st["next_squeue"]:
            return st["tasks"] - st["started"], "tasks not started"
        st["next_squeue"] = now + 2
        st["squeues"] = st.get("squeues", 0) + 1
        return self._squeue_lines(job), "lines in squeue"

    def array_counts(self, job):
        # Each task that ran left its slurm-ID_TASK.out (sbatch's default for arrays).
        pre = "slurm-%s_" % job
        try:
            n = sum(1 for f in os.listdir(self.jobdir) if f.startswith(pre))
        except OSError:
            n = 0
        return {"outputs": n, "squeue_polls": self.array.get("squeues", 0)}


def make(system):
    return Gantry() if system == "gantry" else Slurm()


def wait_idle(s, timeout):
    deadline = time.time() + timeout
    while True:
        n = s.unfinished()
        if n == 0:
            return True
        if time.time() > deadline:
            return False
        time.sleep(POLL_S)


def throughput(a):
    s = make(a.system)
    if not wait_idle(s, 60):
        raise SystemExit("driver: the %s cluster is not idle before the run" % a.system)
    if a.backlog:
        s.pause()
    before = s.counts()
    meter = CpuMeter()
    argv = ["true"]
    lock = threading.Lock()
    state = {"next": 0, "errors": 0, "failed": 0, "last_error": ""}
    call_s = []

    def take():
        with lock:
            if state["next"] >= a.jobs:
                return None
            state["next"] += 1
            return state["next"] - 1

    def note_error(msg, final):
        with lock:
            state["errors"] += 1
            state["failed"] += final
            state["last_error"] = msg

    def worker_cli():
        while take() is not None:
            for attempt in range(5):
                t = time.time()
                try:
                    ok, out = s.cli_submit(argv)
                except (OSError, subprocess.SubprocessError) as e:
                    ok, out = False, str(e)
                with lock:
                    call_s.append(time.time() - t)
                if ok:
                    break
                note_error(out, attempt == 4)
                time.sleep(0.1)

    def worker_api():
        c = s.conn()
        while take() is not None:
            for attempt in range(5):
                t = time.time()
                try:
                    ok, out = s.api_submit(c, argv)
                except (OSError, http.client.HTTPException) as e:
                    ok, out = False, str(e)
                    c = s.conn()
                with lock:
                    call_s.append(time.time() - t)
                if ok:
                    break
                note_error(out, attempt == 4)
                time.sleep(0.1)

    target = worker_api if a.via == "api" else worker_cli
    threads = [threading.Thread(target=target, daemon=True) for _ in range(a.clients)]
    t0 = t_start = time.time()
    for t in threads:
        t.start()
    # Progress and "all submitted": the workers are joined with a deadline.
    deadline = t0 + a.timeout
    for t in threads:
        t.join(max(0.0, deadline - time.time()))
    t_sub = time.time()
    submit_timed_out = any(t.is_alive() for t in threads)
    submitted = state["next"] if not submit_timed_out else None
    log("%s via %s: %d jobs submitted in %.2f s (%d errors)" % (
        a.system, a.via, a.jobs, t_sub - t0, state["errors"]))
    if a.backlog:
        # Everything is pending and held back: from here on only the scheduler, the
        # launches and the completions count.
        s.resume()
        t0 = time.time()
        deadline = t0 + a.timeout
    done_timed_out = False
    while not submit_timed_out:
        if s.unfinished() == 0:
            break
        if time.time() > deadline:
            done_timed_out = True
            break
        time.sleep(POLL_S)
    t_done = time.time()
    log("%s via %s: all finished after %.2f s" % (a.system, a.via, t_done - t0))
    after = s.counts()
    res = {"phase": "backlog" if a.backlog else "throughput", "system": a.system,
           "via": a.via, "jobs": a.jobs, "clients": a.clients, "submitted": submitted,
           "e2e_s": t_done - t0, "e2e_rate": a.jobs / (t_done - t0),
           "errors": state["errors"], "lost": state["failed"],
           "last_error": state["last_error"][:300],
           "timed_out": submit_timed_out or done_timed_out, "cpu": meter.result()}
    if a.backlog:
        res["submit_unmeasured_s"] = t_sub - t_start
    else:
        res.update({"submit_s": t_sub - t0, "submit_rate": a.jobs / (t_sub - t0),
                    "submit_call": summary_ms(call_s)})
    if before is not None and after is not None:
        for k in after:  # gantry: completed, failed; Slurm: outputs (jobs that started)
            res[k] = after.get(k, 0) - before.get(k, 0)
        if a.system == "slurm" and res.get("outputs") != a.jobs:
            res["missing_outputs"] = a.jobs - res.get("outputs", 0)
    return res


def array(a):
    """One array of a.tasks `true` tasks, one submission; from the start of the submission
    until every task has finished."""
    s = make(a.system)
    if not wait_idle(s, 60):
        raise SystemExit("driver: the %s cluster is not idle before the run" % a.system)
    meter = CpuMeter()
    t0 = time.time()
    job, out = s.array_submit(a.tasks, a.max_running)
    t_sub = time.time()
    if job is None:
        raise SystemExit("driver: %s: the array's submission failed: %s" % (a.system, out[:300]))
    log("%s: array %s of %d tasks submitted in %.3f s" % (a.system, job, a.tasks, t_sub - t0))
    deadline = t0 + a.timeout
    polls, timed_out, next_log = 0, False, t0 + 10
    while True:
        left, what = s.array_left(job)
        polls += 1
        if left == 0:
            break
        now = time.time()
        if now > deadline:
            timed_out = True
            break
        if now >= next_log:
            log("%s: array %s: %d %s after %.0f s" % (a.system, job, left, what, now - t0))
            next_log = now + 10
        time.sleep(a.poll)
    t_done = time.time()
    cpu = meter.result()
    log("%s: array %s: all %d tasks finished after %.2f s (%.1f tasks/s)" % (
        a.system, job, a.tasks, t_done - t0, a.tasks / (t_done - t0)))
    res = {"phase": "array", "system": a.system, "via": "cli", "tasks": a.tasks,
           "max_running": a.max_running or None, "job": job, "submit_s": t_sub - t0,
           "e2e_s": t_done - t0, "e2e_rate": a.tasks / (t_done - t0), "polls": polls,
           "poll_s": a.poll, "timed_out": timed_out, "cpu": cpu}
    res.update(s.array_counts(job))
    if a.system == "slurm" and res.get("outputs") != a.tasks:
        res["missing_outputs"] = a.tasks - res.get("outputs", 0)
    if a.system == "gantry" and res.get("done") != a.tasks:
        res["not_done"] = a.tasks - res.get("done", 0)
    return res


def read_start(path):
    try:
        with open(path) as f:
            txt = f.read().strip()
        return float(txt) if txt else None
    except (OSError, ValueError):
        return None


def latency(a):
    s = make(a.system)
    os.makedirs(a.dir, exist_ok=True)
    if not wait_idle(s, 60):
        raise SystemExit("driver: the %s cluster is not idle before the run" % a.system)
    rng = random.Random(a.seed)
    meter = CpuMeter()
    conn = s.conn() if a.via == "api" else None
    recs = []  # (path, t_submit, t_returned)
    errors = 0
    t_start = time.time()
    deadline = t_start + a.timeout
    next_t = t_start + 0.2
    lat, lost = [], 0

    def submit(path):
        nonlocal conn, errors
        argv = ["sh", "-c", "date +%s.%N > " + path]
        for attempt in range(5):
            t0 = time.time()
            try:
                ok, out = (s.api_submit(conn, argv) if a.via == "api" else s.cli_submit(argv))
            except (OSError, http.client.HTTPException) as e:
                ok, out = False, str(e)
                conn = s.conn()
            if ok:
                return t0, time.time()
            errors += 1
            log("submission failed: " + out[:200])
            time.sleep(0.1)
        return None, None

    for i in range(a.jobs):
        if time.time() > deadline:
            log("latency: the time budget ran out after %d jobs" % i)
            break
        path = os.path.join(a.dir, "%s-%s-%d" % (a.tag, a.via, i))
        if a.mode == "closed":
            if not wait_idle(s, 60):
                log("latency: cluster not idle after 60 s")
                break
            time.sleep(rng.uniform(0, 0.05))
            t0, t1 = submit(path)
            if t0 is None:
                continue
            job_deadline = time.time() + 60
            while read_start(path) is None and time.time() < job_deadline:
                time.sleep(0.001)
            st = read_start(path)
            if st is None:
                lost += 1
            else:
                lat.append(st - t0)
            recs.append((path, t0, t1))
        else:
            now = time.time()
            if next_t > now:
                time.sleep(next_t - now)
            t0, t1 = submit(path)
            if t0 is not None:
                recs.append((path, t0, t1))
            next_t = max(next_t + rng.expovariate(1.0 / a.interval), time.time())
    if a.mode == "open":
        wait_until = time.time() + 120
        pending = list(recs)
        while pending and time.time() < wait_until:
            pending = [r for r in pending if read_start(r[0]) is None]
            if pending:
                time.sleep(0.01)
        for path, t0, _ in recs:
            st = read_start(path)
            if st is None:
                lost += 1
            else:
                lat.append(st - t0)
    wait_idle(s, 60)
    res = {"phase": "latency", "system": a.system, "via": a.via, "mode": a.mode,
           "interval_s": a.interval if a.mode == "open" else None, "jobs": a.jobs,
           "submitted": len(recs), "lost": lost, "errors": errors,
           "wall_s": time.time() - t_start,
           "submit_call": summary_ms([t1 - t0 for _, t0, t1 in recs]),
           "latency": summary_ms(lat), "cpu": meter.result()}
    log("%s via %s latency: n=%d p50 %.1f ms p99 %.1f ms" % (
        a.system, a.via, len(lat), res["latency"].get("p50_ms") or -1,
        res["latency"].get("p99_ms") or -1))
    return res


def quiet(a):
    """Wait (at most --max-wait s) until other work uses under --threshold % of the machine,
    judged over 3 s windows; a warning, not a failure, when it never gets that quiet."""
    deadline = time.time() + a.max_wait
    first = True
    while True:
        m = CpuMeter()
        time.sleep(3)
        r = m.result()
        if r["others_pct"] < a.threshold:
            if not first:
                log("the machine is quiet now (others %.0f%%)" % r["others_pct"])
            return
        if first:
            log("other work uses %.0f%% of the machine; waiting up to %.0f s for it to drop "
                "under %.0f%%" % (r["others_pct"], a.max_wait, a.threshold))
            first = False
        if time.time() > deadline:
            log("WARNING: still %.0f%% busy with other work; measuring anyway (see the "
                "'others' CPU' row)" % r["others_pct"])
            return


# ---- report ----

def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if abs(v) >= 100:
        return "%.0f%s" % (v, unit)
    if abs(v) >= 10:
        return "%.1f%s" % (v, unit)
    return "%.2f%s" % (v, unit)


def report(a):
    runs = {}
    for name in sorted(os.listdir(a.dir)):
        if name.endswith(".json"):
            with open(os.path.join(a.dir, name)) as f:
                r = json.load(f)
            runs.setdefault(r["label"], {})[r["key"]] = r["result"]
    meta = {}
    if a.meta and os.path.exists(a.meta):
        with open(a.meta) as f:
            meta = json.load(f)

    def get(label, key, *path):
        v = runs.get(label, {}).get(key)
        for p in path:
            if v is None:
                return None
            v = v.get(p)
        return v

    labels = [l for l in ("gantry", "slurm-defaults", "slurm-htc") if l in runs]
    rows = [  # (name, key, path, unit, higher_is_better)
        ("submit, CLI (jobs/s)", "cli", ("submit_rate",), True),
        ("  CLI call p50 (ms)", "cli", ("submit_call", "p50_ms"), False),
        ("end to end, CLI (jobs/s)", "cli", ("e2e_rate",), True),
        ("submit, API (jobs/s)", "api", ("submit_rate",), True),
        ("  API call p50 (ms)", "api", ("submit_call", "p50_ms"), False),
        ("end to end, API (jobs/s)", "api", ("e2e_rate",), True),
        ("backlog drain (jobs/s)", "backlog", ("e2e_rate",), True),
        ("latency p50, CLI (ms)", "lat_cli", ("latency", "p50_ms"), False),
        ("latency p99, CLI (ms)", "lat_cli", ("latency", "p99_ms"), False),
        ("latency p50, API (ms)", "lat_api", ("latency", "p50_ms"), False),
        ("latency p99, API (ms)", "lat_api", ("latency", "p99_ms"), False),
        ("array (tasks/s)", "array", ("e2e_rate",), True),
    ]
    info_rows = [  # not compared: how much else ran on the machine during each measurement
        ("others' CPU, CLI run (%)", "cli", ("cpu", "others_pct")),
        ("others' CPU, API run (%)", "api", ("cpu", "others_pct")),
        ("others' CPU, lat. CLI (%)", "lat_cli", ("cpu", "others_pct")),
        ("others' CPU, lat. API (%)", "lat_api", ("cpu", "others_pct")),
        ("others' CPU, array run (%)", "array", ("cpu", "others_pct")),
    ]
    slurms = [l for l in labels if l.startswith("slurm")]
    head = "%-26s" % "measure" + "".join("%15s" % l for l in labels) + "".join(
        "%18s" % ("gantry/" + l[6:] if True else "") for l in slurms)
    print()
    print(head)
    print("-" * len(head))
    ratios = {l: {} for l in slurms}
    for name, key, path, hib in rows:
        vals = [get(l, key, *path) for l in labels]
        if all(v is None for v in vals):
            continue
        line = "%-26s" % name + "".join("%15s" % fmt(v) for v in vals)
        g = get("gantry", key, *path)
        for l in slurms:
            sv = get(l, key, *path)
            # "gantry/slurm" as an advantage factor: throughput gantry/slurm, latency slurm/gantry;
            # where Slurm has no such path, the API figure is compared with Slurm's CLI one.
            if sv is None and key == "api":
                sv = get(l, "cli", *path)
            if sv is None and key == "lat_api":
                sv = get(l, "lat_cli", *path)
            r = None
            if g and sv:
                r = g / sv if hib else sv / g
            ratios[l][name.strip()] = r
            line += "%18s" % (fmt(r, "x") if r is not None else "-")
        print(line)
    for name, key, path in info_rows:
        vals = [get(l, key, *path) for l in labels]
        if not all(v is None for v in vals):
            print("%-26s" % name + "".join("%15s" % fmt(v) for v in vals))
    # CPU this benchmark's processes (daemons, jobs, CLI processes, driver) spent per job,
    # and how many of the cores they kept busy: the machine has only a few.
    for key, what in (("cli", "CLI"), ("api", "API"), ("backlog", "backlog"),
                      ("array", "array")):
        per_job, busy = [], []
        for l in labels:
            r = runs.get(l, {}).get(key)
            c = (r or {}).get("cpu") or {}
            n = (r or {}).get("jobs") or (r or {}).get("tasks")
            ok = r and c.get("ours_cpu_s") is not None and n
            per_job.append(c["ours_cpu_s"] / n * 1e3 if ok else None)
            busy.append(c["ours_cpu_s"] / c["wall_s"] if ok and c.get("wall_s") else None)
            if ok:
                c["ours_ms_per_job"] = per_job[-1]
                c["ours_cores_busy"] = busy[-1]
        if not all(v is None for v in per_job):
            print("%-26s" % ("CPU/%s, %s run (ms)" % ("task" if key == "array" else "job", what)) +
                  "".join("%15s" % fmt(v) for v in per_job))
            print("%-26s" % ("cores busy, %s run" % what) +
                  "".join("%15s" % fmt(v) for v in busy))
    print()
    print("ratios: throughput gantry/slurm, latency slurm/gantry (how many times better gantry is).")
    print("API: gantry's HTTP API (TCP, keep-alive) vs slurmrestd (rest_auth/local, Unix socket,")
    print("keep-alive); where a Slurm run has no API figure the ratio is against its CLI figure.")
    arr = [runs[l]["array"] for l in labels if "array" in runs[l]]
    if arr:
        print("array: ONE array of %d one-CPU `true` tasks%s (gantry submit --tasks /" % (
            arr[0]["tasks"], ", at most %d at once" % arr[0]["max_running"]
            if arr[0].get("max_running") else ""))
        print("sbatch --array), from the submission until every task has finished.")
    floor = {}
    for l in slurms:
        r = ratios[l]
        f = {"e2e_cli_ratio": r.get("end to end, CLI (jobs/s)"),
             "e2e_api_ratio": r.get("end to end, API (jobs/s)"),
             "backlog_ratio": r.get("backlog drain (jobs/s)"),
             "latency_p50_cli_ratio": r.get("latency p50, CLI (ms)"),
             "latency_p50_api_ratio": r.get("latency p50, API (ms)"),
             "array_ratio": r.get("array (tasks/s)")}
        for k in list(f):
            f[k.replace("_ratio", "_ge_10x")] = None if f[k] is None else f[k] >= 10
        floor[l] = f
        print("floor (10x) vs %s: end to end CLI %s, API %s, backlog %s, array %s; median "
              "latency CLI %s, API %s" % (l, fmt(f["e2e_cli_ratio"], "x"),
                                          fmt(f["e2e_api_ratio"], "x"),
                                          fmt(f["backlog_ratio"], "x"),
                                          fmt(f["array_ratio"], "x"),
                                          fmt(f["latency_p50_cli_ratio"], "x"),
                                          fmt(f["latency_p50_api_ratio"], "x")))
    problems = []
    for l in labels:
        for k, r in runs[l].items():
            if r.get("timed_out"):
                problems.append("%s %s: timed out (figures are bounds)" % (l, k))
            if r.get("lost"):
                problems.append("%s %s: %d jobs lost" % (l, k, r["lost"]))
            if r.get("errors"):
                problems.append("%s %s: %d submissions failed and were retried" % (
                    l, k, r["errors"]))
            o = (r.get("cpu") or {}).get("others_pct")
            if o is not None and o > 15:
                problems.append("%s %s: other work used %.0f%% of the machine meanwhile" % (
                    l, k, o))
            if r.get("missing_outputs"):
                problems.append("%s %s: %d %s left no output file (did not run?)" % (
                    l, k, r["missing_outputs"], "tasks" if k == "array" else "jobs"))
            if r.get("failed"):
                problems.append("%s %s: %d %s failed" % (
                    l, k, r["failed"], "tasks" if k == "array" else "jobs"))
            if r.get("not_done"):
                problems.append("%s %s: %d tasks did not complete" % (l, k, r["not_done"]))
    for p in problems:
        print("note: " + p)
    out = {"meta": meta, "results": runs, "ratios": ratios, "floor": floor, "notes": problems}
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=2, sort_keys=True)
        f.write("\n")
    print("figures written to " + a.json)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("throughput", "latency"):
        q = sub.add_parser(name)
        q.add_argument("--system", choices=("gantry", "slurm"), required=True)
        q.add_argument("--via", choices=("cli", "api"), default="cli")
        q.add_argument("--jobs", type=int, required=True)
        q.add_argument("--timeout", type=float, default=600)
        q.add_argument("--label", default=None)
        q.add_argument("--key", default=None)
        q.add_argument("--out", default=None, help="write {label, key, result} here too")
        if name == "throughput":
            q.add_argument("--clients", type=int, default=8)
            q.add_argument("--backlog", action="store_true",
                           help="submit with every node drained, then resume them all and "
                           "time from there until all finished")
        else:
            q.add_argument("--dir", required=True)
            q.add_argument("--tag", default="lat")
            q.add_argument("--mode", choices=("open", "closed"), default="open")
            q.add_argument("--interval", type=float, default=0.25)
            q.add_argument("--seed", type=int, default=1)
    q = sub.add_parser("array")
    q.add_argument("--system", choices=("gantry", "slurm"), required=True)
    q.add_argument("--tasks", type=int, required=True)
    q.add_argument("--max-running", type=int, default=0, help="at most M tasks at once")
    q.add_argument("--poll", type=float, default=POLL_S, help="seconds between the polls")
    q.add_argument("--timeout", type=float, default=600)
    q.add_argument("--label", default=None)
    q.add_argument("--key", default=None)
    q.add_argument("--out", default=None, help="write {label, key, result} here too")
    q = sub.add_parser("quiet")
    q.add_argument("--max-wait", type=float, default=300)
    q.add_argument("--threshold", type=float, default=15)
    q = sub.add_parser("report")
    q.add_argument("--dir", required=True)
    q.add_argument("--json", required=True)
    q.add_argument("--meta", default=None)
    a = p.parse_args()
    if a.cmd == "report":
        report(a)
        return
    if a.cmd == "quiet":
        quiet(a)
        return
    res = {"throughput": throughput, "latency": latency, "array": array}[a.cmd](a)
    doc = {"label": a.label or a.system, "key": a.key or a.cmd, "result": res}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=2)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
