#!/usr/bin/env python3
"""Why the two-CPU signal-forwarding figure ranks the tools as it does (docs/benchmarks/analysis.md).

Forwards SIGHUPs through each tool to bench/c/sig_app, as bench.py's side-by-side scenario does,
under four conditions: the sender waiting for the app's answer in select(2) (as bench.py does) or
in a blocking read(2), with the kernel's session autogroups on or off
(/proc/sys/kernel/sched_autogroup_enabled, restored afterwards). Prints the median latency from
the sender's kill(2) to the app's handler, per tool and condition, as a markdown table.

  scripts/signal-wakeups.py [--supervisor PATH] [--helpers DIR] [--rounds N] [--per N]

Root only (the sysctl). Each tool runs in a new session, as bench.py starts it.
"""
import argparse
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

AUTOGROUP = "/proc/sys/kernel/sched_autogroup_enabled"


def forward(prefix, sig_app, per, wait):
    """Median ns from kill(tool) to the app's SIGHUP handler, over `per` signals."""
    with tempfile.TemporaryDirectory(prefix="sigwake.") as d:
        path = os.path.join(d, "fifo")
        os.mkfifo(path)
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        if wait == "read":
            os.set_blocking(fd, True)
        tool = subprocess.Popen(prefix + [sig_app, path], start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        buf = b""

        def event(tag):
            nonlocal buf
            while True:
                line, sep, rest = buf.partition(b"\n")
                if sep:
                    buf = rest
                    fields = line.split()
                    if fields[0] == tag:
                        return [int(x) for x in fields[1:]]
                    continue
                if wait == "select" and not select.select([fd], [], [], 5)[0]:
                    raise TimeoutError(f"{prefix[0]}: no {tag.decode()} line within 5 s")
                buf += os.read(fd, 4096)

        try:
            event(b"S")
            time.sleep(0.2)  # start-up work settles
            os.kill(tool.pid, signal.SIGHUP)  # one unmeasured warm-up
            event(b"R")
            lat = []
            for _ in range(per):
                t0 = time.monotonic_ns()
                os.kill(tool.pid, signal.SIGHUP)
                lat.append(event(b"R")[0] - t0)
            return statistics.median(lat)
        finally:
            tool.terminate()
            tool.wait(5)
            os.close(fd)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--supervisor", default=os.path.join(here, "..", "build-bench", "supervisor"))
    ap.add_argument("--helpers", default=os.path.join(here, "..", "build-bench", "bench-helpers"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per", type=int, default=300)
    a = ap.parse_args()
    sig_app = os.path.join(a.helpers, "sig_app")
    tools = {"supervisor": [a.supervisor, "--"]}
    for name, prefix in (("catatonit", ["--"]), ("tini-static", ["-s", "--"]), ("dumb-init", [])):
        if shutil.which(name):
            tools[name] = [shutil.which(name)] + prefix
    conditions = [(ag, wait) for ag in ("1", "0") for wait in ("select", "read")]
    with open(AUTOGROUP) as f:
        before = f.read().strip()
    res = {(c, t): [] for c in conditions for t in tools}
    try:
        for r in range(a.rounds):
            for ag, wait in conditions:
                with open(AUTOGROUP, "w") as f:
                    f.write(ag)
                for name, prefix in tools.items():
                    print(f"round {r + 1}/{a.rounds}: autogroup {ag}, {wait}: {name}",
                          file=sys.stderr)
                    res[((ag, wait), name)].append(forward(prefix, sig_app, a.per, wait))
    finally:
        with open(AUTOGROUP, "w") as f:
            f.write(before)
    print("| sender waits in | autogroup | " + " | ".join(tools) + " |")
    print("| --- | --- |" + " --- |" * len(tools))
    for ag, wait in conditions:
        cells = [f"{statistics.median(res[((ag, wait), t)]) / 1000:.1f} µs" for t in tools]
        print(f"| `{wait}` | {'on' if ag == '1' else 'off'} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
