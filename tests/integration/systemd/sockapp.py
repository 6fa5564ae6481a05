#!/usr/bin/python3
# Test server for socket activation and hot restarts: takes its listening socket from fd 3
# (LISTEN_FDS, LISTEN_PID), waits $DELAY seconds (a slow start: clients queue meanwhile), says
# READY=1 on $NOTIFY_SOCKET, then answers every connection with "hello from PID". Records
# "start PID fds=N pid-ok=BOOL" and "TERM PID" in $EVENTS; on TERM answers the connection in
# hand and exits 0; exits 2 without a socket.
import os, signal, socket, sys, time

pid = os.getpid()


def record(line):
    with open(os.environ.get("EVENTS", "/dev/null"), "a") as f:
        f.write(line + "\n")


stopping = False


def on_term(*_):
    # A graceful stop: the connection in hand is answered, then the loop ends (raising here
    # could drop a connection accepted but not yet answered).
    global stopping
    record("TERM %d" % pid)
    stopping = True


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
listener.settimeout(0.1)  # to look at `stopping` between connections
while not stopping:
    try:
        conn, _ = listener.accept()
    except socket.timeout:
        continue
    conn.settimeout(None)
    conn.sendall(b"hello from %d\n" % pid)
    conn.close()
