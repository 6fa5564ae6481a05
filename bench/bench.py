#!/usr/bin/env python3
"""The benchmark suite: `supervisor` against its peers, every scenario of issue 5, in one run.

Started by bench/run, which installs the peers, builds `supervisor` (Release) and the C helpers in
bench/c, then runs this file. Python 3 standard library only.

Every time is CLOCK_MONOTONIC, read by the helpers (bench/c) at the moment that matters (an app's
first instruction in main(), a signal handler's entry, the instant before exit) and by this
harness just before it acts (kill(2), a write to a control FIFO). Runs are interleaved: each
repetition runs every tool once, in the same order, before the next repetition starts.

The harness makes itself a child subreaper, so every process a tool loses (orphans of a tool that
is not a subreaper, leftovers of a stop) comes back to it; after each run it kills and reaps
whatever of its own descendants is left, and nothing else.
"""

import argparse
import contextlib
import ctypes
import datetime
import http.client
import json
import os
import platform
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NA = "n/a"


def now():
    return time.monotonic_ns()


# --------------------------------------------------------------------------------------------
# process plumbing


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def children_of(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def descendants(pid):
    out, stack = [], [pid]
    while stack:
        for c in children_of(stack.pop()):
            out.append(c)
            stack.append(c)
    return out


def reap_all():
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


def sweep(deadline_s=5.0):
    """Kill and reap every remaining descendant of this harness (all of them started by us)."""
    me = os.getpid()
    end = time.monotonic() + deadline_s
    while True:
        left = descendants(me)
        reap_all()
        if not left:
            return
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if time.monotonic() > end:
            print(f"bench: warning: {len(left)} processes would not go away", file=sys.stderr)
            return
        time.sleep(0.005)


def wait_pidfd(fd, timeout_s):
    r, _, _ = select.select([fd], [], [], timeout_s)
    return bool(r)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def ppid_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        return int(s[s.rindex(")") + 2:].split()[1])
    except (OSError, ValueError):
        return None


def pgrp_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        return int(s[s.rindex(")") + 2:].split()[2])
    except (OSError, ValueError):
        return None


class Timeout(Exception):
    pass


class Fifo:
    """A FIFO the helpers write "<tag> <ns> <pid> <n>" lines to; held open O_RDWR so writers
    never block and never see EOF."""

    def __init__(self, path):
        os.mkfifo(path)
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        self.buf = b""
        self.seen = {}  # (tag, n) -> the last such event read

    def close(self):
        os.close(self.fd)

    def _line(self):
        i = self.buf.find(b"\n")
        if i < 0:
            return None
        line, self.buf = self.buf[:i], self.buf[i + 1:]
        tag, a, b, c = line.decode().split()
        ev = (tag, int(a), int(b), int(c))
        self.seen[(tag, ev[3])] = ev
        return ev

    def event(self, timeout_s, tags=None, pred=None):
        end = time.monotonic() + timeout_s
        while True:
            ev = self._line()
            while ev is not None:
                if (tags is None or ev[0] in tags) and (pred is None or pred(ev)):
                    return ev
                ev = self._line()
            left = end - time.monotonic()
            if left <= 0:
                raise Timeout(f"no {tags or 'event'} within {timeout_s:g} s")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.buf += os.read(self.fd, 65536)
                except BlockingIOError:
                    pass


class Work:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="supbench.")
        self.n = 0

    def path(self, name):
        self.n += 1
        return os.path.join(self.dir, f"{self.n}-{name}")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# the tools


class Run:
    def __init__(self, tool, proc, pid, **extra):
        self.tool = tool
        self.proc = proc
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.__dict__.update(extra)

    def exited(self, timeout_s):
        return wait_pidfd(self.pidfd, timeout_s)

    def close(self):
        try:
            os.close(self.pidfd)
        except OSError:
            pass


def popen(argv, cwd=None, log=None):
    err = open(log, "ab") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, cwd=cwd, start_new_session=True, close_fds=True)
    finally:
        if log:
            err.close()


class Tool:
    """A supervisor (or the floor) that runs one app given as argv."""

    name = ""
    label = ""
    restarts = False
    exits_with_app = True

    def __init__(self, ctx):
        self.ctx = ctx

    def argv(self, app, scenario):
        raise NotImplementedError

    def start(self, app, scenario):
        p = popen(self.argv(app, scenario), log=self.ctx.log)
        return Run(self, p, p.pid)

    def hup(self, run):
        os.kill(run.pid, signal.SIGHUP)

    def request_stop(self, run):
        os.kill(run.pid, signal.SIGTERM)

    def terminate(self, run):
        try:
            if not run.exited(0):
                self.request_stop(run)
                if not run.exited(3):
                    os.kill(run.pid, signal.SIGKILL)
                    run.exited(2)
        except OSError:
            pass
        run.close()
        sweep()


class Supervisor(Tool):
    name = "supervisor"
    label = "supervisor"
    restarts = True

    def argv(self, app, scenario):
        flags = ["-c", "-e"] if scenario == "restart" else []
        return [self.ctx.sup] + flags + ["--"] + app


class Tini(Tool):
    name = "tini"
    label = "tini -s"

    def argv(self, app, scenario):
        return ["tini", "-s"] + (["-g"] if scenario == "stop" else []) + ["--"] + app


class DumbInit(Tool):
    name = "dumb-init"
    label = "dumb-init"

    def argv(self, app, scenario):
        return ["dumb-init"] + app


class Catatonit(Tool):
    name = "catatonit"
    label = "catatonit"

    def argv(self, app, scenario):
        return ["catatonit"] + (["-g"] if scenario == "stop" else []) + ["--"] + app


class Daemon(Tool):
    name = "daemon"
    label = "daemon -f (libslack)"
    restarts = True

    def argv(self, app, scenario):
        return ["daemon", "-N", "-f"] + (["-r"] if scenario == "restart" else []) + ["--"] + app


class ServiceDirTool(Tool):
    """s6-supervise, runsv, supervise: a service directory whose ./run is a symlink to the helper,
    which then reads its arguments from ./bench.args (no shell in between). Control goes through
    the FIFO supervise/control, exactly the byte the tool's control command writes."""

    restarts = True
    exits_with_app = False
    program = ""
    stop_bytes = b"d"
    exit_bytes = b"dx"

    def start(self, app, scenario):
        d = self.ctx.work.path(self.name + "-svc")
        os.mkdir(d)
        os.symlink(app[0], os.path.join(d, "run"))
        with open(os.path.join(d, "bench.args"), "w") as f:
            f.write("\n".join(app[1:]) + "\n")
        p = popen([self.program, d], cwd=d, log=self.ctx.log)
        run = Run(self, p, p.pid, svcdir=d, ctl=None)
        ctl = os.path.join(d, "supervise", "control")
        end = time.monotonic() + 5
        while run.ctl is None:
            try:
                run.ctl = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                if time.monotonic() > end:
                    raise Timeout(f"{self.program} made no {ctl}")
                time.sleep(0.002)
        return run

    def control(self, run, data):
        os.write(run.ctl, data)

    def hup(self, run):
        self.control(run, b"h")

    def request_stop(self, run):
        self.control(run, self.stop_bytes)

    def terminate(self, run):
        try:
            if not run.exited(0):
                self.control(run, self.exit_bytes)
                if not run.exited(3):
                    os.kill(run.pid, signal.SIGKILL)
                    run.exited(2)
        except OSError:
            pass
        if run.ctl is not None:
            os.close(run.ctl)
        run.close()
        sweep()


class S6(ServiceDirTool):
    name = "s6"
    label = "s6-supervise"
    program = "s6-supervise"
    # 'd': SIGTERM then SIGCONT to the service. This s6-svc (2.11) has no process-group option.


class Runit(ServiceDirTool):
    name = "runit"
    label = "runsv (runit)"
    program = "runsv"


class Daemontools(ServiceDirTool):
    name = "daemontools"
    label = "supervise (daemontools)"
    program = "supervise"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.unix_path)
        self.sock = s


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.unix_path = path

    def make_connection(self, host):
        return UnixHTTPConnection(self.unix_path)


class Supervisord(Tool):
    name = "supervisord"
    label = "supervisord"
    restarts = True
    exits_with_app = False

    def start(self, app, scenario):
        d = self.ctx.work.path("supervisord")
        os.mkdir(d)
        sock = os.path.join(d, "sock")
        conf = os.path.join(d, "supervisord.conf")
        with open(conf, "w") as f:
            f.write(f"""[supervisord]
nodaemon=true
logfile={d}/supervisord.log
pidfile={d}/supervisord.pid
childlogdir={d}
[unix_http_server]
file={sock}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:app]
command={' '.join(app)}
autorestart=true
startretries=100
stopasgroup=true
killasgroup=true
stdout_logfile=NONE
stderr_logfile=NONE
""" + ("startsecs=0\n" if scenario == "zerodowntime" else ""))
        p = popen(["supervisord", "-n", "-c", conf], cwd=d, log=self.ctx.log)
        run = Run(self, p, p.pid, sock=sock, rpc=None)
        return run

    def hup(self, run):
        if run.rpc is None:
            run.rpc = xmlrpc.client.ServerProxy("http://localhost",
                                                transport=UnixTransport(run.sock))
        run.rpc.supervisor.signalProcess("app", "HUP")

    def restart_app(self, run):
        """`supervisorctl restart app`: stop (and wait), then start."""
        if run.rpc is None:
            run.rpc = xmlrpc.client.ServerProxy("http://localhost",
                                                transport=UnixTransport(run.sock))
        run.rpc.supervisor.stopProcess("app", True)
        run.rpc.supervisor.startProcess("app", False)

    def terminate(self, run):
        try:
            if not run.exited(0):
                os.kill(run.pid, signal.SIGTERM)
                if not run.exited(8):
                    os.kill(run.pid, signal.SIGKILL)
                    run.exited(2)
        except OSError:
            pass
        run.close()
        sweep()


class Floor(Tool):
    """No supervisor: the physical floor, whose form depends on the scenario."""

    name = "floor"
    label = "floor"
    restarts = True

    def argv(self, app, scenario):
        if scenario == "restart":
            return [self.ctx.helper("forkexec_floor")] + app
        if scenario in ("reap", "idle"):
            return [self.ctx.helper("reap_floor")] + app
        return app  # signals, stop: the app alone; the harness acts on it directly


ALL_TOOLS = [Floor, Supervisor, Tini, DumbInit, Catatonit, S6, Runit, Daemontools, Supervisord,
             Daemon]


# --------------------------------------------------------------------------------------------
# statistics


def pct(xs, p):
    """Nearest-rank percentile."""
    s = sorted(xs)
    if not s:
        return None
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def summary(xs):
    if not xs:
        return None
    return {
        "n": len(xs),
        "min": min(xs),
        "p25": pct(xs, 25),
        "median": statistics.median(xs),
        "p75": pct(xs, 75),
        "p99": pct(xs, 99),
        "max": max(xs),
    }


# --------------------------------------------------------------------------------------------
# the scenarios


class Context:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.work = Work()
        self.log = os.path.join(self.work.dir, "tools.log")
        self.sup = os.path.abspath(args.supervisor)
        self.helpers = os.path.abspath(args.helpers)
        self.tools = {cls.name: cls(self) for cls in ALL_TOOLS}
        self.results = {}
        self.errors = []

    def helper(self, name):
        return os.path.join(self.helpers, name)

    def tool(self, name):
        return self.tools[name]

    def error(self, scenario, tool, exc):
        msg = f"{scenario}/{tool}: {exc}"
        self.errors.append(msg)
        print(f"  ! {msg}", file=sys.stderr)


def fmt_dur(ns):
    if ns is None:
        return NA
    if ns >= 10_000_000_000:
        return f"{ns / 1e9:.1f} s"
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.2f} s"
    if ns >= 10_000_000:
        return f"{ns / 1e6:.0f} ms"
    if ns >= 1_000_000:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 10_000:
        return f"{ns / 1e3:.0f} µs"
    return f"{ns / 1e3:.1f} µs"


def progress(msg):
    print(msg, flush=True)


# ---- 1. restart latency


RESTART_TOOLS = ["floor", "supervisor", "s6", "runit", "daemontools", "supervisord", "daemon"]


@contextlib.contextmanager
def running(ctx, tool, app, scenario):
    """Starts app(fifo path) under tool with a new FIFO; yields (run, fifo), then terminates
    the tool and closes the FIFO whatever happened."""
    fifo = Fifo(ctx.work.path("fifo"))
    try:
        run = tool.start(app(fifo.path), scenario)
    except BaseException:
        fifo.close()
        raise
    try:
        yield run, fifo
    finally:
        tool.terminate(run)
        fifo.close()


def restart_once(ctx, tool, kind, deaths, run_ms, per_event_s):
    counter = ctx.work.path("counter")
    app = lambda fifo: [ctx.helper("stamp_app"), fifo, kind, str(deaths), str(run_ms),  # noqa: E731
                        counter]
    with running(ctx, tool, app, "restart") as (run, fifo):
        starts, deaths_at = [], []
        ev = fifo.event(15, tags=("S",))
        starts.append(ev)
        for i in range(deaths):
            deaths_at.append(fifo.event(per_event_s + run_ms / 1000, tags=("D",)))
            starts.append(fifo.event(per_event_s, tags=("S",)))
        return [starts[i + 1][1] - deaths_at[i][1] for i in range(deaths)]


def scen_restart(ctx):
    q = ctx.quick
    reps = 1 if q else 5
    seq_reps = 1 if q else 2
    k = 2 if q else 4
    seq_kinds = ("exit",) if q else ("exit", "segv")
    run_ms = 1100
    res = {"first": {}, "sequence": {}, "run_ms": run_ms, "k": k, "reps": reps,
           "seq_reps": seq_reps}
    for kind in ("exit", "segv"):
        res["first"][kind] = {t: [] for t in RESTART_TOOLS}
        res["sequence"][kind] = {t: [] for t in RESTART_TOOLS}
    for rep in range(reps):
        for kind in ("exit", "segv"):
            for name in RESTART_TOOLS:
                progress(f"  restart first {kind} rep {rep + 1}/{reps}: {name}")
                try:
                    res["first"][kind][name] += restart_once(ctx, ctx.tool(name), kind, 1, run_ms, 10)
                except Exception as e:  # noqa: BLE001 - one tool's failure is a result
                    ctx.error("restart", name, e)
    for rep in range(seq_reps):
        for kind in seq_kinds:
            for name in RESTART_TOOLS:
                progress(f"  restart sequence {kind} rep {rep + 1}/{seq_reps}: {name}")
                try:
                    lat = restart_once(ctx, ctx.tool(name), kind, k, 0, 12)
                    res["sequence"][kind][name].append(lat)
                except Exception as e:  # noqa: BLE001
                    ctx.error("restart-sequence", name, e)
    ctx.results["restart"] = res


# ---- 2. successor hand-over


def scen_successor(ctx):
    q = ctx.quick
    reps, per = (2, 10) if q else (4, 50)
    resend_s = 0.0002
    tool = ctx.tool("supervisor")
    lat, sends = [], []
    for rep in range(reps):
        progress(f"  successor rep {rep + 1}/{reps}: supervisor")
        fifo = Fifo(ctx.work.path("fifo"))
        try:
            run = tool.start([ctx.helper("sig_app"), fifo.path, "upgrade", "0"], "successor")
        except Exception as e:  # noqa: BLE001
            ctx.error("successor", "supervisor", e)
            fifo.close()
            break
        try:
            ev = fifo.event(10, tags=("S",))
            main_pid, gen = ev[2], 0
            for _ in range(per):
                pidfd = os.pidfd_open(main_pid)
                try:
                    os.kill(run.pid, signal.SIGUSR2)
                    if not wait_pidfd(pidfd, 5):
                        raise Timeout("the old main did not exit after SIGUSR2")
                finally:
                    os.close(pidfd)
                n, got, end = 0, None, time.monotonic() + 2
                while got is None:
                    os.kill(run.pid, signal.SIGHUP)
                    n += 1
                    try:
                        got = fifo.event(resend_s, tags=("R",),
                                         pred=lambda e, g=gen + 1: e[3] == g)
                    except Timeout:
                        if time.monotonic() > end:
                            raise Timeout("no signal reached the new main within 2 s")
                # the old main wrote its D before exiting, so it was read before this R
                lat.append(got[1] - fifo.seen[("D", gen)][1])
                sends.append(n)
                main_pid, gen = got[2], gen + 1
        except Exception as e:  # noqa: BLE001
            ctx.error("successor", "supervisor", e)
        finally:
            tool.terminate(run)
            fifo.close()
    ctx.results["successor"] = {"latency": lat, "sends": sends, "resend_us": resend_s * 1e6,
                                "reps": reps, "per": per}


# ---- 3. signal forwarding


SIGNAL_TOOLS = ["floor", "supervisor", "tini", "dumb-init", "catatonit", "s6", "runit",
                "daemontools", "supervisord"]


def scen_signals(ctx):
    q = ctx.quick
    # Quick: one run per tool; the side-by-side scenario measures the small inits again.
    reps = 1 if q else 5
    per = 100 if q else 300
    per_sd = 20 if q else 60
    res = {t: [] for t in SIGNAL_TOOLS}
    for rep in range(reps):
        for name in SIGNAL_TOOLS:
            progress(f"  signals rep {rep + 1}/{reps}: {name}")
            tool = ctx.tool(name)
            fifo = Fifo(ctx.work.path("fifo"))
            try:
                run = tool.start([ctx.helper("sig_app"), fifo.path], "signals")
            except Exception as e:  # noqa: BLE001
                ctx.error("signals", name, e)
                fifo.close()
                sweep()
                continue
            try:
                app_pid = fifo.event(15, tags=("S",))[2]
                if name == "floor":
                    send = lambda: os.kill(app_pid, signal.SIGHUP)  # noqa: E731
                else:
                    send = lambda: tool.hup(run)  # noqa: E731
                send()  # one unmeasured warm-up (supervise ignores commands for 1 s after a start)
                fifo.event(5, tags=("R",))
                for _ in range(per_sd if name == "supervisord" else per):
                    t0 = now()
                    send()
                    ev = fifo.event(5, tags=("R",))
                    res[name].append(ev[1] - t0)
            except Exception as e:  # noqa: BLE001
                ctx.error("signals", name, e)
            finally:
                tool.terminate(run)
                fifo.close()
    ctx.results["signals"] = {"latency": res, "reps": reps, "per": per, "per_supervisord": per_sd}


# ---- 4. idle cost


IDLE_TOOLS = ["floor", "supervisor", "tini", "dumb-init", "catatonit", "s6", "runit",
              "daemontools", "supervisord", "daemon"]


def ctxt(pid):
    st = proc_status(pid)
    return int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"])


def scen_idle(ctx):
    window = 5.0 if ctx.quick else 60.0
    runs = {}
    progress(f"  idle: starting every tool side by side, then a {window:g} s window")
    for name in IDLE_TOOLS:
        fifo = Fifo(ctx.work.path("fifo"))
        try:
            run = ctx.tool(name).start([ctx.helper("sig_app"), fifo.path], "idle")
            runs[name] = (run, fifo)
        except Exception as e:  # noqa: BLE001
            ctx.error("idle", name, e)
            fifo.close()
    res = {}
    try:
        for name, (run, fifo) in list(runs.items()):
            try:
                fifo.event(15, tags=("S",))
            except Exception as e:  # noqa: BLE001
                ctx.error("idle", name, e)
                del runs[name]
        time.sleep(1.0)  # let start-up work settle
        before = {n: ctxt(r.pid) for n, (r, _) in runs.items()}
        t0 = time.monotonic()
        time.sleep(window)
        dt = time.monotonic() - t0
        for name, (run, _) in runs.items():
            st = proc_status(run.pid)
            res[name] = {
                "switches": ctxt(run.pid) - before[name],
                "per_min": (ctxt(run.pid) - before[name]) * 60.0 / dt,
                "rss_kib": int(st["VmRSS"].split()[0]),
                "pss_kib": pss_kib(run.pid),
                "window_s": dt,
            }
    finally:
        for name, (run, fifo) in runs.items():
            try:
                run.tool.terminate(run)
            except Exception:  # noqa: BLE001
                pass
            fifo.close()
        sweep()
    ctx.results["idle"] = {"tools": res, "window_s": window}


# ---- 5. start-up overhead


STARTUP_TOOLS = ["floor", "supervisor", "tini", "dumb-init", "catatonit", "daemon"]


def startup_argv(ctx, name):
    true = shutil.which("true") or "/bin/true"
    true = "/bin/true" if os.path.exists("/bin/true") else true
    return {
        "floor": [true],
        "supervisor": [ctx.sup, "--", true],
        "tini": [shutil.which("tini"), "-s", "--", true],
        "dumb-init": [shutil.which("dumb-init"), true],
        "catatonit": [shutil.which("catatonit"), "--", true],
        "daemon": [shutil.which("daemon"), "-N", "-f", "--", true],
    }[name]


def scen_startup(ctx):
    reps, per = (3, 20) if ctx.quick else (10, 50)
    res = {t: [] for t in STARTUP_TOOLS}
    for rep in range(reps):
        progress(f"  start-up rep {rep + 1}/{reps}")
        for name in STARTUP_TOOLS:
            try:
                out = subprocess.run([ctx.helper("runloop"), str(per)] + startup_argv(ctx, name),
                                     capture_output=True, text=True, timeout=120, check=True)
                res[name] += [int(x) for x in out.stdout.split()]
            except Exception as e:  # noqa: BLE001
                ctx.error("startup", name, e)
            sweep()
    ctx.results["startup"] = {"wall": res, "reps": reps, "per": per}


# ---- 6. reaping storm


REAP_TOOLS = ["floor", "supervisor", "tini", "dumb-init", "catatonit", "s6", "runit",
              "daemontools", "supervisord", "daemon"]


def storm_once(ctx, tool, n, timeout_s):
    fifo = Fifo(ctx.work.path("fifo"))
    ctl = Fifo(ctx.work.path("ctl"))
    pidfile = ctx.work.path("pids")
    run = tool.start([ctx.helper("orphan_storm"), fifo.path, pidfile, ctl.path, str(n)], "reap")
    fds, ep = [], select.epoll()
    try:
        fifo.event(120, tags=("S",))
        with open(pidfile) as f:
            pids = [int(x) for x in f.read().split()]
        parents = {ppid_of(pids[0]), ppid_of(pids[-1])}
        if parents != {run.pid}:
            return {"reparented_to": sorted(p for p in parents if p is not None)}
        for p in pids:
            fd = os.pidfd_open(p)
            fds.append(fd)
            ep.register(fd, select.EPOLLHUP)
        left = len(fds)
        os.write(ctl.fd, b"g")
        t_go = fifo.event(10, tags=("G",))[1]
        end = time.monotonic() + timeout_s
        t_last = None
        while left:
            evs = ep.poll(max(0.0, end - time.monotonic()), len(fds))
            if not evs:
                raise Timeout(f"{left} of {n} orphans not reaped after {timeout_s:g} s")
            t = now()
            for fd, mask in evs:
                if mask & select.EPOLLHUP:
                    ep.unregister(fd)
                    left -= 1
            t_last = t
        return {"ns": t_last - t_go}
    finally:
        ep.close()
        for fd in fds:
            os.close(fd)
        tool.terminate(run)
        fifo.close()
        ctl.close()


def pidfd_reports_reap():
    """True if this kernel reports a reaped process through its pidfd (EPOLLHUP)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    fd = os.pidfd_open(pid)
    try:
        while not wait_pidfd(fd, 5):
            pass
        os.waitpid(pid, 0)
        ep = select.epoll()
        ep.register(fd, select.EPOLLHUP)
        evs = ep.poll(0.5)
        ep.close()
        return bool(evs and evs[0][1] & select.EPOLLHUP)
    finally:
        os.close(fd)


def scen_reap(ctx):
    q = ctx.quick
    n = 1000 if q else 10000
    reps = 1 if q else 3
    res = {"n": n, "reps": reps, "ns": {}, "na": {}}
    if not pidfd_reports_reap():
        res["skipped"] = "this kernel does not report reaping through pidfds (EPOLLHUP)"
        ctx.results["reap"] = res
        return
    able = []
    for name in REAP_TOOLS:
        try:
            r = storm_once(ctx, ctx.tool(name), 4, 10)
        except Exception as e:  # noqa: BLE001
            ctx.error("reap-probe", name, e)
            continue
        if "reparented_to" in r:
            res["na"][name] = "not a subreaper: orphans are reparented past it (to the harness)"
        else:
            able.append(name)
            res["ns"][name] = []
    for rep in range(reps):
        for name in able:
            progress(f"  reaping storm ({n} orphans) rep {rep + 1}/{reps}: {name}")
            try:
                r = storm_once(ctx, ctx.tool(name), n, 60)
                res["ns"][name].append(r["ns"])
            except Exception as e:  # noqa: BLE001
                ctx.error("reap", name, e)
    ctx.results["reap"] = res


# ---- 7. stop


STOP_TOOLS = ["floor", "supervisor", "tini", "dumb-init", "catatonit", "s6", "runit",
              "daemontools", "supervisord", "daemon"]


def stop_once(ctx, tool, shape, deadline_s):
    fifo = Fifo(ctx.work.path("fifo"))
    pidfile = ctx.work.path("pids")
    b, l, every = shape
    run = tool.start([ctx.helper("proc_tree"), fifo.path, pidfile, str(b), str(l), str(every)],
                     "stop")
    fds, ep = {}, select.epoll()
    try:
        fifo.event(60, tags=("S",))
        with open(pidfile) as f:
            pids = [int(x) for x in f.read().split()]
        group = pgrp_of(pids[0])
        in_group = {p for p in pids if pgrp_of(p) == group}
        for p in pids:
            fd = os.pidfd_open(p)
            fds[fd] = p
            ep.register(fd, select.EPOLLIN)
        left, left_group = set(pids), set(in_group)
        t0 = now()
        if tool.name == "floor":
            for fd in fds:
                signal.pidfd_send_signal(fd, signal.SIGTERM)
        else:
            tool.request_stop(run)
        end = time.monotonic() + deadline_s
        t_all = t_group = None
        while left:
            evs = ep.poll(max(0.0, end - time.monotonic()), len(fds))
            if not evs:
                break
            t = now()
            for fd, _ in evs:
                ep.unregister(fd)
                p = fds[fd]
                left.discard(p)
                if p in left_group:
                    left_group.discard(p)
                    if not left_group:
                        t_group = t - t0
            if not left:
                t_all = t - t0
        if not left_group and t_group is None:
            t_group = t_all
        for fd, p in fds.items():
            if p in left:
                try:
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
                except OSError:
                    pass
        tool_exit = tool.name != "floor" and run.exited(0.5 if left else 2.0)
        return {"all_ns": t_all, "group_ns": t_group, "survivors": len(left), "total": len(pids),
                "setsid": len(pids) - len(in_group), "tool_exited": bool(tool_exit)}
    finally:
        ep.close()
        for fd in fds:
            os.close(fd)
        tool.terminate(run)
        fifo.close()


def scen_stop(ctx):
    q = ctx.quick
    reps = 1 if q else 3
    shape = (9, 110, 10)  # 1 + 9 * (1 + 110) = 1000 processes, 99 of them setsid'd
    deadline = 1.0 if q else 3.0
    res = {"shape": shape, "reps": reps, "deadline_s": deadline, "runs": {t: [] for t in STOP_TOOLS}}
    for rep in range(reps):
        for name in STOP_TOOLS:
            progress(f"  stop rep {rep + 1}/{reps}: {name}")
            try:
                res["runs"][name].append(stop_once(ctx, ctx.tool(name), shape, deadline))
            except Exception as e:  # noqa: BLE001
                ctx.error("stop", name, e)
    ctx.results["stop"] = res


# ---- 8. zero downtime


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ZdMode:
    """One way to run bench/c/zd_server under a tool, for the zero-downtime scenario: how it is
    started (`argv` or a peer's Tool.start) and how a deployment (a restart on purpose) is
    asked for."""

    def __init__(self, name, label, tool, argv=None, deploy="term-app"):
        self.name, self.label, self.tool, self.argv, self.deploy = name, label, tool, argv, deploy


def zd_modes(ctx, port, scenario):
    sup = ctx.sup
    # -l 0: restart at once every time (the default backoff doubles up to 80 s in a crash loop,
    # which with --listen only delays the queued clients, and without it refuses them longer).
    on_crash = ["-c", "-l", "0"]
    always = ["--restart=always", "-l", "0"]
    listen = [f"--listen=127.0.0.1:{port}"]
    modes = []
    if scenario == "crash":
        modes += [
            ZdMode("supervisor-listen", "supervisor --listen", ctx.tool("supervisor"),
                   [sup] + on_crash + listen + ["--"]),
            ZdMode("supervisor", "supervisor (app binds)", ctx.tool("supervisor"),
                   [sup] + on_crash + ["--"]),
        ]
    else:
        modes += [
            ZdMode("supervisor-hot", "supervisor --listen --hot-restart", ctx.tool("supervisor"),
                   [sup, "--ready=notify", "--hot-restart=HUP"] + on_crash + listen + ["--"],
                   deploy="hup"),
            ZdMode("supervisor-listen", "supervisor --listen (kill, restart)",
                   ctx.tool("supervisor"), [sup] + always + listen + ["--"]),
            ZdMode("supervisor", "supervisor (app binds; kill, restart)", ctx.tool("supervisor"),
                   [sup] + always + ["--"]),
        ]
    if ctx.quick:
        return modes + [ZdMode("daemon", "daemon -r", ctx.tool("daemon"),
                               ["daemon", "-N", "-f", "-r", "--idiot", "-A", "10000", "--"])]
    modes += [
        ZdMode("s6", "s6-supervise", ctx.tool("s6"), deploy="control-t"),
        ZdMode("runit", "runsv (runit)", ctx.tool("runit"), deploy="control-t"),
        ZdMode("daemontools", "supervise (daemontools)", ctx.tool("daemontools"),
               deploy="control-t"),
        ZdMode("supervisord", "supervisord", ctx.tool("supervisord"), deploy="rpc-restart"),
        # --idiot -A 10000: no 300 s pause after 5 runs shorter than --acceptable (300 s).
        ZdMode("daemon", "daemon -r (libslack)", ctx.tool("daemon"),
               ["daemon", "-N", "-f", "-r", "--idiot", "-A", "10000", "--"]),
    ]
    return modes


def zd_stats(records, t_from, t_to):
    """records: (start ns, latency ns, errno, pid) of the requests started in [t_from, t_to]."""
    rs = [r for r in records if t_from <= r[0] <= t_to]
    ok = [r for r in rs if r[2] == 0]
    lat = [r[1] for r in ok]
    kinds = {}
    for r in rs:
        if r[2]:
            k = {111: "refused", 104: "reset", 32: "reset", 11: "timeout"}.get(r[2], f"errno {r[2]}")
            kinds[k] = kinds.get(k, 0) + 1
    # the longest time without a reply: between the ends of two served requests in a row
    ends = sorted(r[0] + r[1] for r in ok)
    gap = max((b - a for a, b in zip(ends, ends[1:])), default=None)
    return {
        "requests": len(rs), "served": len(ok), "failed": len(rs) - len(ok), "kinds": kinds,
        "p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat) if lat else None,
        "longest_gap": gap, "pids": len({r[3] for r in ok}),
        "seconds": (t_to - t_from) / 1e9,
    }


def zd_once(ctx, mode, scenario, events, every, interval_us):
    """Runs zd_server under the mode, a client loop against it, and `events` crashes (the
    server dies after every `every` requests) or deployments; returns the client's figures."""
    port = free_port()
    fifo = Fifo(ctx.work.path("fifo"))
    out = ctx.work.path("client.txt")
    crash_every = every if scenario == "crash" else 0
    app = [ctx.helper("zd_server"), fifo.path, str(port), str(crash_every)]
    modes = {m.name: m for m in zd_modes(ctx, port, scenario)}
    mode = modes[mode.name]  # with this run's port
    tool = mode.tool
    if mode.argv:
        p = popen(mode.argv + app, log=ctx.log)
        run = Run(tool, p, p.pid)
    else:
        run = tool.start(app, "zerodowntime")
    client = None
    try:
        pid = fifo.event(15, tags=("S",))[2]
        client = subprocess.Popen([ctx.helper("zd_client"), str(port), str(interval_us), out],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        # Deployments are spaced: a while of normal service after each (supervise, runsv and
        # s6-supervise also take their control byte only a second after a start).
        settle = 0.3 if ctx.quick else 1.2
        if scenario == "restart":
            time.sleep(settle)
        for i in range(events):
            if scenario == "restart":
                if mode.deploy == "hup":
                    os.kill(run.pid, signal.SIGHUP)
                elif mode.deploy == "control-t":
                    tool.control(run, b"t")
                elif mode.deploy == "rpc-restart":
                    tool.restart_app(run)
                else:
                    os.kill(pid, signal.SIGTERM)
            else:
                fifo.event(15, tags=("D",))
            pid = fifo.event(15, tags=("S",), pred=lambda e, old=pid: e[2] != old)[2]
            if scenario == "restart":
                time.sleep(settle)
        time.sleep(0.1)
        t_to = now()
        client.send_signal(signal.SIGTERM)
        client.wait(30)
        records = []
        with open(out) as f:
            for line in f:
                a, b, c, d = line.split()
                records.append((int(a), int(b), int(c), int(d)))
        return zd_stats(records, records[0][0] if records else t_to, t_to)
    finally:
        if client and client.poll() is None:
            client.kill()
            client.wait()
        tool.terminate(run)
        fifo.close()


def scen_zerodowntime(ctx):
    q = ctx.quick
    crashes, every = (3, 20) if q else (25, 20)
    restarts = 3 if q else 10
    interval_us = 1000
    res = {"crashes": crashes, "every": every, "restarts": restarts, "interval_us": interval_us,
           "crash": {}, "restart": {}, "labels": {"crash": {}, "restart": {}}}
    for scenario, events in (("crash", crashes), ("restart", restarts)):
        for mode in zd_modes(ctx, 0, scenario):
            progress(f"  zero downtime, {events} {scenario}es: {mode.label}" if scenario == "crash"
                     else f"  zero downtime, {events} restarts: {mode.label}")
            res["labels"][scenario][mode.name] = mode.label
            try:
                res[scenario][mode.name] = zd_once(ctx, mode, scenario, events, every, interval_us)
            except Exception as e:  # noqa: BLE001 - one tool's failure is a result
                ctx.error(f"zerodowntime-{scenario}", mode.name, e)
    ctx.results["zerodowntime"] = res


# ---- 9. side by side (issue 11)


class Prefixed(Tool):
    """A tool given as a command prefix: PREFIX + app argv."""

    def __init__(self, ctx, name, prefix):
        super().__init__(ctx)
        self.name = self.label = name
        self.prefix = prefix

    def argv(self, app, scenario):
        return self.prefix + app


SIDE_TOOLS = ["raw", "supervisor", "supervisor-none", "catatonit", "tini-static", "dumb-init"]
SIDE_RESTARTS = ["raw", "supervisor", "supervisor-none"]


def side_tools(ctx):
    """name -> (prefix for start-up, signals and idle; prefix for immediate restarts or None).
    raw: no tool for start-up (bare /bin/true) and signals (kill(2) to the app itself); the
    fork+exec+waitpid loop for restarts and idle memory."""
    sup = [ctx.sup]
    none = [ctx.sup, "--cgroup=none"]
    loop = [ctx.helper("forkexec_floor")]
    # -l 0: every restart immediate (the default backoff doubles from the second one on).
    again = ["-c", "-e", "-l", "0", "--"]
    return {
        "raw": ([], loop),
        "supervisor": (sup + ["--"], sup + again),
        "supervisor-none": (none + ["--"], none + again),
        "catatonit": ([shutil.which("catatonit") or "catatonit", "--"], None),
        "tini-static": ([shutil.which("tini-static") or "tini-static", "-s", "--"], None),
        "dumb-init": ([shutil.which("dumb-init") or "dumb-init"], None),
    }


def side_signals_and_rss(ctx, name, prefix, per):
    """Starts sig_app under the tool, reads the tool's VmRSS once the app is up, then forwards
    `per` SIGHUPs one at a time (raw: sent to the app itself), then `per` more with the sender,
    the tool and the app on one CPU; returns (rss_kib, [ns], [ns on one CPU]).
    Why one CPU as well: on two, each wake-up may land on the idle CPU (an IPI and a wake from
    idle, some 20 us here) or on the waker's, as the scheduler decides from one run to the next;
    the same C forwarder measured 13 or 30 us by whether one clock_gettime preceded its kill(2)
    (docs/benchmarks/analysis.md). On one CPU every tool's path is measured the same way."""
    app = lambda fifo: [ctx.helper("sig_app"), fifo]  # noqa: E731
    with running(ctx, Prefixed(ctx, name, prefix), app, "signals") as (run, fifo):
        app_pid = fifo.event(15, tags=("S",))[2]
        time.sleep(0.2)  # start-up work settles
        rss = int(proc_status(run.pid)["VmRSS"].split()[0])
        target = app_pid if name == "raw" else run.pid

        def forward():
            os.kill(target, signal.SIGHUP)  # one unmeasured warm-up
            fifo.event(5, tags=("R",))
            lat = []
            for _ in range(per):
                t0 = now()
                os.kill(target, signal.SIGHUP)
                lat.append(fifo.event(5, tags=("R",))[1] - t0)
            return lat

        spread = forward()
        mine = os.sched_getaffinity(0)
        one = {max(mine)}
        try:
            for pid in {0, run.pid, app_pid}:
                os.sched_setaffinity(pid, one)
            pinned = forward()
        finally:
            os.sched_setaffinity(0, mine)
        return rss, spread, pinned


def scen_side(ctx):
    q = ctx.quick
    reps = 1 if q else 5
    per_sig, deaths, per_start = (50, 20, 20) if q else (200, 40, 50)
    true = "/bin/true" if os.path.exists("/bin/true") else shutil.which("true")
    tools = side_tools(ctx)
    res = {"reps": reps, "per_signal": per_sig, "deaths": deaths, "per_startup": per_start,
           "rss_kib": {t: [] for t in SIDE_TOOLS}, "signal": {t: [] for t in SIDE_TOOLS},
           "signal_1cpu": {t: [] for t in SIDE_TOOLS},
           "startup": {t: [] for t in SIDE_TOOLS}, "restart": {t: [] for t in SIDE_RESTARTS}}
    for rep in range(reps):
        for name in SIDE_TOOLS:
            progress(f"  side by side rep {rep + 1}/{reps}: {name}")
            start_prefix, restart_prefix = tools[name]
            try:
                rss, lat, pinned = side_signals_and_rss(
                    ctx, name, restart_prefix if name == "raw" else start_prefix, per_sig)
                res["rss_kib"][name].append(rss)
                res["signal"][name] += lat
                res["signal_1cpu"][name] += pinned
                if restart_prefix:
                    res["restart"][name] += restart_once(
                        ctx, Prefixed(ctx, name, restart_prefix), "exit", deaths, 0, 10)
                loop = [ctx.helper("runloop"), str(per_start)] + start_prefix + [true]
                out = subprocess.run(loop, capture_output=True, text=True, timeout=120, check=True)
                res["startup"][name] += [int(x) for x in out.stdout.split()]
            except Exception as e:  # noqa: BLE001 - one tool's failure is a result
                ctx.error("side", name, e)
            sweep()
    ctx.results["side"] = res


SCENARIOS = {
    "restart": scen_restart,
    "successor": scen_successor,
    "signals": scen_signals,
    "idle": scen_idle,
    "startup": scen_startup,
    "reap": scen_reap,
    "stop": scen_stop,
    "zerodowntime": scen_zerodowntime,
    "side": scen_side,
}


# --------------------------------------------------------------------------------------------


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1048576:.0f} GiB"
    except (OSError, ValueError):
        pass
    versions = {}
    for pkg in ("tini", "dumb-init", "catatonit", "s6", "runit", "daemontools", "supervisor",
                "daemon"):
        try:
            versions[pkg] = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                                           capture_output=True, text=True).stdout.strip() or "?"
        except OSError:
            versions[pkg] = "?"
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        rev = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem": mem,
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", "?")
        if hasattr(platform, "freedesktop_os_release") else "?",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg": open("/proc/loadavg").read().split()[:3],
        "versions": versions,
        "commit": rev,
        # Both decide where a wake-up lands on two CPUs (docs/benchmarks/analysis.md).
        "scheduler": scheduler_facts(),
    }


def scheduler_facts():
    def read(path):
        try:
            with open(path) as f:
                return f.read().strip()
        except OSError:
            return "?"
    autogroup = {"0": "off", "1": "on"}.get(read("/proc/sys/kernel/sched_autogroup_enabled"), "?")
    idle = read("/sys/devices/system/cpu/cpuidle/current_driver")
    return f"session autogroups {autogroup}, cpuidle driver {idle}"


def supervisor_backend(sup):
    """What tracking backend supervisor picks here, from its --debug line."""
    try:
        p = subprocess.run([sup, "--debug", "--", "/bin/true"], capture_output=True, text=True,
                           timeout=10)
        for line in p.stderr.splitlines():
            if "cgroup backend" in line:
                return line.split("cgroup backend", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def merge_into_published(data, chosen):
    """With --only: the published results (docs/benchmarks/results.json) with the scenarios
    of this run replaced, each stamped with this run's machine block, so that the document is
    rewritten with the other scenarios' figures unchanged. Without published results: this
    run alone."""
    path = os.path.join(ROOT, "docs", "benchmarks", "results.json")
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return data
    merged = {"machine": old["machine"], "results": dict(old["results"]),
              "errors": [e for e in old.get("errors", [])
                         if not any(e.startswith(s) for s in chosen)]}
    for name in chosen:
        if name in data["results"]:
            merged["results"][name] = dict(data["results"][name], machine=data["machine"])
    merged["errors"] += data["errors"]
    return merged


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few seconds a scenario")
    ap.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    ap.add_argument("--only", default="", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    ap.add_argument("--supervisor", default="")
    ap.add_argument("--helpers", default="")
    ap.add_argument("--json", default="", help="also write the raw results here")
    ap.add_argument("--report-from", default="", help="only rewrite the docs from a --json file")
    args = ap.parse_args()
    if args.report_from:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import report

        with open(args.report_from) as f:
            data = json.load(f)
        print(report.headline(data))
        report.write_docs(data, os.path.join(ROOT, "docs"))
        return 0
    if not args.supervisor or not args.helpers:
        ap.error("--supervisor and --helpers are required (bench/run passes them)")

    become_subreaper()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 40000
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard > 0 else want, hard))
        except (ValueError, OSError):
            pass
    ctx = Context(args)
    chosen = [s for s in args.only.split(",") if s] or list(SCENARIOS)
    t_start = time.monotonic()
    info = machine()
    info["backend"] = supervisor_backend(ctx.sup)
    progress(f"bench: {'quick' if args.quick else 'full'} mode, scenarios: {', '.join(chosen)}")
    try:
        for name in chosen:
            t = time.monotonic()
            progress(f"== {name}")
            try:
                SCENARIOS[name](ctx)
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                ctx.error(name, "suite", e)
            sweep()
            progress(f"   ({time.monotonic() - t:.0f} s)")
    finally:
        sweep()
        ctx.work.cleanup()
    info["duration_s"] = time.monotonic() - t_start
    info["mode"] = "quick" if args.quick else "full"
    data = {"machine": info, "results": ctx.results, "errors": ctx.errors}
    import report  # bench/report.py

    docs_data = data
    if set(chosen) != set(SCENARIOS) and not args.no_docs:
        docs_data = merge_into_published(data, chosen)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)
    headline = report.headline(data)
    print()
    print(headline)
    side = report.side_table(data)
    if side:
        print()
        print(side)
    if not args.no_docs:
        report.write_docs(docs_data, os.path.join(ROOT, "docs"))
        progress("bench: wrote docs/benchmarks.md and docs/benchmarks/*.png")
    if ctx.errors:
        print(f"bench: {len(ctx.errors)} run(s) failed:", file=sys.stderr)
        for e in ctx.errors:
            print(f"  {e}", file=sys.stderr)
    progress(f"bench: done in {info['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
