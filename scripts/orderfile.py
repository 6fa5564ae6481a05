#!/usr/bin/env python3
"""Regenerates cmake/supervisor.order, the order in which the static link lays out functions.
Resident code counts in 64 KiB windows (the kernel maps the cached pages around each page
fault), so code that runs scattered among code that never runs keeps the whole binary
resident. The order puts first, together, every function the supervisor runs to start and
idle; then what it runs to forward a signal, restart the app and stop; then the rest.

  scripts/orderfile.py BUILD_DIR     (a static Release build, e.g. build-bench;
                                      needs valgrind and perf)

1. valgrind --tool=callgrind lists the functions run in each phase: the complete list, but under
   valgrind's CPU, which has no AVX-512: glibc picks its AVX2 string functions there.
2. Natively, under `perf record -e page-faults`, the binary is relinked until no instruction
   fetch faults outside its phase's part of the order; each round adds the functions that
   faulted: this CPU's string functions (the EVEX ones where there is AVX-512), and the child
   between clone and exec, which valgrind does not follow. Both families of string functions
   are then in the order; a CPU that picks a third family pays a window or two more.
"""
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = os.path.join(ROOT, "cmake", "supervisor.order")
WINDOW_SHIFT = 16  # 64 KiB: the kernel's fault-around


def OTHER_PHASES(sup):  # noqa: N802 - a constant list, given the binary
    """Besides start, idle, a forwarded signal and stop: restarts and giving up; a short run."""
    return ([sup, "-e", "-l", "0", "--max-restarts=1", "--", "/bin/false"],
            [sup, "--", "/bin/true"])


def start(prefix, argv):
    """Starts argv under prefix and returns once the supervisor has said it started the app."""
    p = subprocess.Popen(prefix + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    for line in p.stderr:
        if " started " in line:
            return p
    raise SystemExit(f"orderfile: {' '.join(argv)} did not start")


def finish(p):
    for _ in p.stderr:
        pass
    p.wait(timeout=60)


def run(prefix, argv):
    subprocess.run(prefix + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)


def leave_stale(sup):
    """What a supervisor killed by SIGKILL leaves for the next one to clean up at its start: its
    cgroup, with a process that escaped the tree in it, and its notify socket. The start-up of a
    supervisor after a crash, or in a test suite, runs that clean-up too."""
    p = start([], [sup, "--", "/bin/sh", "-c", "sleep 60 & exec sleep 60"])
    time.sleep(0.2)
    p.kill()
    p.wait()
    p.stderr.close()  # not read to its end: the escaped sleep holds it open


def callgrind_functions(sup):
    """(functions run to start and idle, functions run in all phases), each in first-seen order."""
    def read(paths):
        names = []
        for path in paths:
            for line in open(path, errors="replace"):
                if line.startswith("fn=") and not line.startswith(("fn=(", "fn=0x")):
                    names.append(line[3:].strip().split("'")[0])
        return names

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg")
        grind = ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no"]
        leave_stale(sup)
        p = start(grind + ["--callgrind-out-file=" + out], [sup, "--", "/bin/sleep", "60"])
        time.sleep(2)  # idle
        subprocess.run(["callgrind_control", "-d", str(p.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        idle = read(glob.glob(out + "*"))
        p.send_signal(signal.SIGHUP)  # forwarded: the app dies of it, the supervisor stops
        finish(p)
        for i, argv in enumerate(OTHER_PHASES(sup)):
            run(grind + [f"--callgrind-out-file={out}.more{i}"], argv)
        return idle, read(sorted(glob.glob(out + "*")))


def symbols(binary):
    """name -> (address, size) of the binary's functions."""
    out = subprocess.run(["nm", "-S", binary], capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwWiI":
            syms.setdefault(f[3], (int(f[0], 16), int(f[1], 16)))
        elif len(f) == 3 and f[1] in "tTwWiI":  # no size: crtbegin's frame_dummy, run at start
            syms.setdefault(f[2], (int(f[0], 16), 0))
    return syms


def faulted_code(sup, idle_only):
    """(instruction address, function) of each instruction fetch that faulted natively: while
    starting and idling (the supervisor then killed), or in every phase."""
    with tempfile.NamedTemporaryFile(suffix=".perf") as data:
        def rec(path):
            return ["perf", "record", "-q", "-e", "page-faults", "-c", "1", "-o", path, "--"]

        if idle_only:
            leave_stale(sup)
        p = start(rec(data.name), [sup, "--", "/bin/sleep", "60"])
        time.sleep(0.5)
        sup_pid = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
        os.kill(sup_pid, signal.SIGKILL if idle_only else signal.SIGHUP)
        finish(p)
        if idle_only:  # the next supervisor cleans up after this one, out of the record
            run([], [sup, "--", "/bin/true"])
        runs = [data.name]
        if not idle_only:
            for i, argv in enumerate(OTHER_PHASES(sup)):
                runs.append(f"{data.name}.{i}")
                run(rec(runs[-1]), argv)
        faults = []
        for path in runs:
            script = subprocess.run(["perf", "script", "-i", path, "--no-demangle", "-F",
                                     "comm,ip,sym"], capture_output=True, text=True).stdout
            for line in script.splitlines():
                f = line.split()
                if len(f) >= 3 and f[0] == os.path.basename(sup)[:15]:
                    faults.append((int(f[1], 16), f[2].split("+")[0]))
        for path in runs[1:]:
            os.unlink(path)
        return faults


def dedup(names):
    seen = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    sup = os.path.join(build, "supervisor")

    def relink(idle, rest):
        # Sorted within each phase: all of a phase runs anyway, and the file then changes only
        # where the functions do.
        with open(ORDER, "w") as f:
            f.write("".join(n + "\n" for n in sorted(set(idle)) + sorted(set(rest) - set(idle))))
        subprocess.run(["cmake", "--build", build, "--target", "supervisor"], check=True,
                       stdout=subprocess.DEVNULL)
        return symbols(sup)

    relink([], [])
    idle, everything = callgrind_functions(sup)
    rest = [n for n in everything if n not in set(idle)]
    # Until neither phase adds anything: what the later phases add goes after the idle part and
    # pushes the unordered code behind it (crtbegin's frame_dummy, run at every start) further
    # out, maybe into a window of its own, so the idle part is checked again.
    for _ in range(5):
        added = False
        for phase_idle in (True, False):
            for _ in range(30):
                syms = relink(idle, rest)
                part = dedup(idle) if phase_idle else dedup(idle + rest)
                # Sized functions only: a sizeless name may be a stub the link puts last (the
                # IFUNC PLT's strcmp), which no order moves.
                end = max(syms[n][0] + syms[n][1] for n in part if n in syms and syms[n][1])
                more = dedup(name for ip, name in faulted_code(sup, phase_idle)
                             if ip >> WINDOW_SHIFT > end >> WINDOW_SHIFT and name in syms
                             and name not in part)
                print(f"orderfile: {'idle' if phase_idle else 'all'}: {len(part)} functions;"
                      f" faulted beyond them: {' '.join(more) or 'none'}")
                if not more:
                    break
                added = True
                if phase_idle:
                    idle += more
                else:
                    rest += more
            else:
                sys.exit("orderfile: still faulting beyond the order after 30 rounds")
        if not added:
            break
    else:
        sys.exit("orderfile: the phases kept adding to each other")
    relink(idle, rest)


if __name__ == "__main__":
    main()
