#!/usr/bin/python3
# Test app for the supervisor's --watchdog: records "start PID MONOTONIC_MS WATCHDOG_USEC WATCHDOG_PID"
# in $EVENTS and sends WATCHDOG=1 on $NOTIFY_SOCKET every 0.3 s; the first incarnation (no
# $EVENTS yet) stops after $PINGS of them and hangs, and records the supervisor's SIGABRT
# ("ABRT PID MONOTONIC_MS") but lives on until the SIGKILL that follows --stop-timeout later.
import os, signal, socket, time

pid = os.getpid()
ev = os.environ["EVENTS"]
first = not os.path.exists(ev)


def record(line):
    with open(ev, "a") as f:
        f.write(line + "\n")


record("start %d %d %s %s" % (pid, time.monotonic() * 1000, os.environ.get("WATCHDOG_USEC"),
                              os.environ.get("WATCHDOG_PID")))
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if first:
    signal.signal(signal.SIGABRT, lambda *_: record("ABRT %d %d" % (pid, time.monotonic() * 1000)))
# Later incarnations keep sending: only the first one hangs.
for _ in range(int(os.environ.get("PINGS", "4")) if first else 1 << 30):
    s.sendto(b"WATCHDOG=1", addr)
    time.sleep(0.3)
while True:
    time.sleep(10)
