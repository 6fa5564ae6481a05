#!/usr/bin/python3
# Test server for socket activation and hot restarts: takes its listening socket from fd 3
# (LISTEN_FDS, LISTEN_PID), waits $DELAY seconds (a slow start: clients queue meanwhile), says
# READY=1 on $NOTIFY_SOCKET, then answers every connection with "hello from PID". Records
# "start PID fds=N pid-ok=BOOL" and "TERM PID" in $EVENTS; exits 0 on TERM, 2 without a socket.
import os, signal, socket, sys, time

pid = os.getpid()


def record(line):
    with open(os.environ.get("EVENTS", "/dev/null"), "a") as f:
        f.write(line + "\n")


def on_term(*_):
    record("TERM %d" % pid)
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)
fds = int(os.environ.get("LISTEN_FDS", "0"))
pid_ok = os.environ.get("LISTEN_PID") == str(pid)
record("start %d fds=%d pid-ok=%s" % (pid, fds, pid_ok))
if fds < 1 or not pid_ok:
    sys.exit(2)
listener = socket.socket(fileno=3)
time.sleep(float(os.environ.get("DELAY", "0")))
addr = os.environ.get("NOTIFY_SOCKET", "")
if addr:
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", addr)
while True:
    conn, _ = listener.accept()
    conn.sendall(b"hello from %d\n" % pid)
    conn.close()
