# Stand in for systemd's notification socket (sd_notify(3)), for tests.
#   python3 notify_listen.py SOCKET OUT [CMD ...]
# Binds a Unix datagram socket at SOCKET and appends every message it receives to OUT,
# one line each (the message's newlines become spaces). At the first message with READY=1
# it runs CMD (when given) at once and appends "on-ready: exit N": what the daemon claims
# to be ready for must hold by then. Runs until killed.
import os
import socket
import subprocess
import sys

path, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path + ".tmp")
os.rename(path + ".tmp", path)  # the socket appears ready to receive
ready = False
while True:
    msg = s.recv(4096).decode(errors="replace")
    with open(out, "a") as f:
        f.write(msg.replace("\n", " ") + "\n")
    if not ready and "READY=1" in msg.split("\n"):
        ready = True
        rc = subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if cmd else 0
        with open(out, "a") as f:
            f.write("on-ready: exit %d\n" % rc)
