#!/usr/bin/env python3
"""A stand-in for a model server, for gantry's service tests and examples.

It listens on $PORT (gantry gives each replica one) and answers:
  GET /generate   after COST_S seconds of CPU work ("the model"), with the replica's name
  GET /ready      200 once started, 503 while the file $STATE_DIR/unready-$PORT exists
  GET /healthz    200, 500 while the file $STATE_DIR/sick-$PORT exists
  GET /metrics    Prometheus text: requests in flight and served so far

Environment: PORT (required), COST_S (default 0.05), STARTUP_S (seconds before /ready
passes, default 0), MODEL_VERSION (named in each answer), STATE_DIR (default: the working folder). It writes its pid to
$STATE_DIR/pid-$PORT, when it may, so a test can kill it.

On SIGTERM (gantry stops a replica so, then waits its grace_s before SIGKILL) it stops
listening, finishes the requests under way, and exits: a rolling update or a scale-down
then cuts no request that started before the replica left the endpoints. Standard library
only."""
import http.server
import os
import signal
import socketserver
import threading
import time

PORT = int(os.environ["PORT"])
COST_S = float(os.environ.get("COST_S", "0.05"))
STARTUP_S = float(os.environ.get("STARTUP_S", "0"))
STATE = os.environ.get("STATE_DIR", ".")
NAME = "job %s replica %s restart %s version %s" % (
    os.environ.get("GANTRY_JOB_ID", "?"), os.environ.get("GANTRY_UNIT", "?"),
    os.environ.get("GANTRY_RESTART_COUNT", "?"), os.environ.get("MODEL_VERSION", "-"))
BORN = time.monotonic()
lock = threading.Lock()
in_flight = 0
served = 0
busy = 0  # requests read and not yet answered (any path)


def flag(name):
    return os.path.exists(os.path.join(STATE, "%s-%d" % (name, PORT)))


def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffered: an answer leaves in one write once the handler returns, not the headers
    # first and the body after; a replica killed between the two would leave a proxy with
    # a half answer that it can no longer send to another replica.
    wbufsize = -1
    counted = False

    def parse_request(self):
        # Called once a request line is read: from here until its answer is written the
        # request counts as under way (an idle keep-alive connection does not).
        global busy
        with lock:
            busy += 1
        self.counted = True
        return super().parse_request()

    def handle_one_request(self):
        global busy
        try:
            super().handle_one_request()  # (the answer is flushed before it returns)
        finally:
            if self.counted:
                self.counted = False
                with lock:
                    busy -= 1

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        global in_flight, served
        path = self.path.split("?")[0]
        if path == "/ready":
            ok = time.monotonic() - BORN >= STARTUP_S and not flag("unready")
            self.reply(200 if ok else 503, "ready\n" if ok else "not ready\n")
        elif path == "/healthz":
            sick = flag("sick")
            self.reply(500 if sick else 200, "sick\n" if sick else "ok\n")
        elif path == "/metrics":
            with lock:
                text = ("# HELP model_requests_in_flight Requests being served now.\n"
                        "# TYPE model_requests_in_flight gauge\n"
                        "model_requests_in_flight %d\n"
                        "# HELP model_requests_total Requests served.\n"
                        "# TYPE model_requests_total counter\n"
                        "model_requests_total %d\n" % (in_flight, served))
            self.reply(200, text)
        elif path == "/generate":
            with lock:
                in_flight += 1
            try:
                burn(COST_S)
            finally:
                with lock:
                    in_flight -= 1
                    served += 1
            self.reply(200, NAME + "\n")
        else:
            self.reply(404, "no such path\n")

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def drain_and_exit(server):
    """Stop accepting, close the listening socket, wait for the requests under way."""
    server.shutdown()
    server.server_close()
    while True:
        with lock:
            if busy == 0:
                break
        time.sleep(0.01)
    os._exit(0)


if __name__ == "__main__":
    try:
        with open(os.path.join(STATE, "pid-%d" % PORT), "w") as f:
            f.write("%d\n" % os.getpid())
    except OSError:
        pass  # a folder the job may not write to: no pid file, nothing else lost
    srv = Server(("127.0.0.1", PORT), Handler)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # (the accept loop looks for a shutdown every 50 ms: a stopped replica exits that fast)
    threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
    stop.wait()
    drain_and_exit(srv)
