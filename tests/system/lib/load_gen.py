#!/usr/bin/env python3
"""A bounded load generator for the service tests: GET requests to URL from a few threads,
each on a connection of its own, N of them or for S seconds, then one JSON line on stdout:

  {"requests": N, "ok": K, "failed": F, "seconds": S,
   "replicas": {"job 1 replica 0 restart 0": 12, ...},   (answers' first lines, counted)
   "errors": ["503 ...", "ConnectionResetError ...", ...]}  (the first 10 failures)

A request fails when it gets no answer within --timeout-s or an answer other than 200.
Usage: load_gen.py URL (--requests N | --seconds S) [--threads T] [--timeout-s S]
[--stop-file PATH]. With --seconds, no request starts after S seconds; with --stop-file,
none once PATH exists (so a test can end the load when what it waits for has happened,
the bound still holding). Standard library only."""
import argparse
import http.client
import json
import os
import threading
import time
import urllib.parse


def one(host, port, path, timeout):
    """(True, first line of the body) or (False, why)."""
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read().decode(errors="replace")
        if r.status != 200:
            return False, "%d %s" % (r.status, body.strip()[:80])
        return True, body.split("\n")[0]
    except (OSError, http.client.HTTPException) as e:
        return False, "%s %s" % (type(e).__name__, e)
    finally:
        c.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--requests", type=int)
    g.add_argument("--seconds", type=float)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--timeout-s", type=float, default=10)
    p.add_argument("--stop-file")
    a = p.parse_args()
    u = urllib.parse.urlsplit(a.url)
    path = u.path or "/"
    lock = threading.Lock()
    left = [a.requests if a.requests is not None else -1]
    t0 = time.monotonic()
    end = t0 + a.seconds if a.seconds is not None else None
    seen, errors, counts = {}, [], {"ok": 0, "failed": 0}

    def worker():
        while True:
            with lock:
                if left[0] == 0 or (end is not None and time.monotonic() >= end) or (
                        a.stop_file and os.path.exists(a.stop_file)):
                    return
                left[0] -= 1
            ok, what = one(u.hostname, u.port or 80, path, a.timeout_s)
            with lock:
                if ok:
                    counts["ok"] += 1
                    seen[what] = seen.get(what, 0) + 1
                else:
                    counts["failed"] += 1
                    if len(errors) < 10:
                        errors.append(what)

    threads = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"requests": counts["ok"] + counts["failed"], "ok": counts["ok"], "failed": counts["failed"],
                      "seconds": round(time.monotonic() - t0, 3), "replicas": seen,
                      "errors": errors}, sort_keys=True))


if __name__ == "__main__":
    main()
