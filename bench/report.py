"""Turns the suite's results into the headline table, docs/benchmarks.md and the gnuplot plots."""

import os
import shutil
import statistics
import subprocess
import tempfile

NA = "n/a"

LABELS = {
    "floor": "floor",
    "supervisor": "**supervisor**",
    "tini": "tini",
    "dumb-init": "dumb-init",
    "catatonit": "catatonit",
    "s6": "s6-supervise",
    "runit": "runsv (runit)",
    "daemontools": "supervise (daemontools)",
    "supervisord": "supervisord",
    "daemon": "daemon (libslack)",
    "raw": "raw fork+exec+waitpid loop",
    "supervisor-none": "**supervisor --cgroup=none**",
    "tini-static": "tini-static",
}
PEERS = ["tini", "dumb-init", "catatonit", "s6", "runit", "daemontools", "supervisord", "daemon"]
SMALL_INITS = ["tini", "dumb-init", "catatonit"]


def pct(xs, p):
    s = sorted(xs)
    if not s:
        return None
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def med(xs):
    return statistics.median(xs) if xs else None


def dur(ns):
    if ns is None:
        return NA
    if ns >= 10e9:
        return f"{ns / 1e9:.1f} s"
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 10e6:
        return f"{ns / 1e6:.0f} ms"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 10e3:
        return f"{ns / 1e3:.0f} µs"
    return f"{ns / 1e3:.1f} µs"


def ratio(a, b):
    if a is not None and b is not None and a == 0 and b == 0:
        return "equal (0)"
    if a is None or b is None or b <= 0:
        return NA
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def best_of(values, names):
    """(name, value) of the smallest value among names that have one."""
    cands = [(values[n], n) for n in names if values.get(n) is not None]
    if not cands:
        return None, None
    v, n = min(cands)
    return n, v


# --------------------------------------------------------------------------------------------
# per-scenario numbers, shared by the headline, the tables and the targets


def restart_first(res, kind):
    r = res.get("restart")
    if not r:
        return {}
    return {t: (med(xs) if xs else None) for t, xs in r["first"][kind].items()}


def signal_medians(res):
    r = res.get("signals")
    if not r:
        return {}, {}
    lat = r["latency"]
    return ({t: med(xs) for t, xs in lat.items() if xs},
            {t: pct(xs, 99) for t, xs in lat.items() if xs})


def startup_overheads(res):
    r = res.get("startup")
    if not r or not r["wall"].get("floor"):
        return {}
    base = med(r["wall"]["floor"])
    return {t: med(xs) - base for t, xs in r["wall"].items() if xs and t != "floor"}


def reap_medians(res):
    r = res.get("reap")
    if not r:
        return {}
    return {t: med(xs) for t, xs in r.get("ns", {}).items() if xs}


def stop_medians(res):
    """Median time until every process of the app was gone; None where some survived."""
    r = res.get("stop")
    if not r:
        return {}
    out = {}
    for t, runs in r["runs"].items():
        if not runs:
            continue
        if any(x["survivors"] for x in runs):
            out[t] = None
        else:
            out[t] = med([x["all_ns"] for x in runs])
    return out


def idle_values(res):
    r = res.get("idle")
    return r["tools"] if r else {}


def side_values(res):
    """Issue 11's side-by-side figures: name -> {rss, startup, restart, signal} medians."""
    r = res.get("side")
    if not r:
        return {}
    return {t: {"rss": med(r["rss_kib"].get(t, [])), "startup": med(r["startup"].get(t, [])),
                "restart": med(r["restart"].get(t, [])), "signal": med(r["signal"].get(t, [])),
                "signal_1cpu": med(r.get("signal_1cpu", {}).get(t, []))}
            for t in r["rss_kib"]}


SIDE_PEERS = ["catatonit", "tini-static", "dumb-init"]


def side_table(data):
    """One table, one run: idle RSS, start-up, immediate restart, signal forwarding."""
    v = side_values(data["results"])
    if not v:
        return ""
    cat = v.get("catatonit", {}).get("startup")
    raw = v.get("raw", {}).get("restart")
    rows = []
    for t, x in v.items():
        restart = (NA if x["restart"] is None
                   else f"{dur(x['restart'])} ({ratio(x['restart'], raw)})")
        startup = ("bare /bin/true " if t == "raw" else "") + dur(x["startup"])
        to_app = "kill(2) to the app " if t == "raw" else ""
        rows.append([LABELS[t], NA if x["rss"] is None else f"{x['rss']:.0f} KiB",
                     f"{startup} ({ratio(x['startup'], cat)})", restart,
                     to_app + dur(x["signal"]), to_app + dur(x["signal_1cpu"])])
    return md_table(["tool", "idle RSS", "start-up `X /bin/true` (÷ catatonit)",
                     "immediate restart (÷ raw loop)", "signal forwarding",
                     "signal forwarding, one CPU"], rows)


def side_targets(res):
    """(target, this run, met) rows for issue 11's goals."""
    v = side_values(res)
    if not v:
        return []
    out = []
    raw = v.get("raw", {}).get("restart")
    for t, limit, what in (("supervisor", 1.2, "default backend"),
                           ("supervisor-none", 1.5, "--cgroup=none")):
        x = v.get(t, {}).get("restart")
        out.append((f"immediate restart ({what}) within {limit}× the raw loop",
                    f"{ratio(x, raw)} ({dur(x)} vs {dur(raw)})",
                    x is not None and raw is not None and x <= limit * raw))
    cat = v.get("catatonit", {}).get("startup")
    sup = v.get("supervisor", {}).get("startup")
    out.append(("start-up within 1.2× catatonit", f"{ratio(sup, cat)} ({dur(sup)} vs {dur(cat)})",
                 sup is not None and cat is not None and sup <= 1.2 * cat))
    for key, where in (("signal", ""), ("signal_1cpu", ", on one CPU")):
        name, best = best_of({t: x[key] for t, x in v.items()}, SIDE_PEERS)
        sig = v.get("supervisor", {}).get(key)
        out.append((f"signal forwarding median{where} no worse than the best of tini, "
                    "dumb-init, catatonit",
                    f"{ratio(sig, best)} ({dur(sig)} vs {dur(best)}, {name})",
                    sig is not None and best is not None and sig <= best))
    return out


def side_section(data, targets):
    """Section 9 of the document, and issue 11's targets appended to targets."""
    sd = data["results"].get("side")
    if not sd:
        return []
    targets += side_targets(data["results"])
    m = sd.get("machine")  # set when merged from a run of --only side
    when = (f"Measured in a separate **{m['mode']}** run of `bench/run --only side` "
            f"({m['date']}, commit {m['commit']}, load average {' '.join(m['loadavg'])} at its "
            "start), on the machine above. " if m else "")
    intro = (when + "The figures of issue 11 in one scenario, each tool's runs interleaved "
             f"with the others' ({sd['reps']} rounds). Idle RSS: `VmRSS` of the tool once "
             "`bench/c/sig_app.c` runs under it. Start-up: `X /bin/true` by `bench/c/runloop.c`, "
             f"{sd['per_startup']} a round, median wall time. Immediate restart: `stamp_app` "
             f"exits with 1 at once, {sd['deaths']} times a round, under `supervisor -c -e -l 0` "
             "(no backoff) and under the raw loop (`bench/c/forkexec_floor.c`); death to the "
             f"next incarnation's `main()`. Signal forwarding: SIGHUP to the tool, "
             f"{sd['per_signal']} a round, to the app's handler; then as many with the sender, "
             "the tool and the app on one CPU, where the scheduler's choice of CPU for each "
             "wake-up does not decide the figure. Where the remaining time goes: "
             "[benchmarks/analysis.md](benchmarks/analysis.md#issue-11-the-restart-path).\n")
    return ["## 9. Side by side: supervisor, the container inits and the raw loop\n", intro,
            side_table(data), ""]


# --------------------------------------------------------------------------------------------


def headline(data):
    res = data["results"]
    rows = []

    def add(scenario, sup, peers_vals, fmt, best_names=PEERS):
        name, val = best_of(peers_vals, best_names)
        rows.append((scenario, fmt(sup), f"{fmt(val)} ({LABELS[name].strip('*')})" if name else NA,
                     ratio(sup, val) if sup is not None else NA))

    for kind, label in (("exit", "first restart, exit(1)"), ("segv", "first restart, SIGSEGV")):
        v = restart_first(res, kind)
        if v:
            add(label, v.get("supervisor"), v, dur)
    s = res.get("successor")
    if s:
        lat = s["latency"]
        rows.append(("successor hand-over (median)", dur(med(lat)), "n/a (no peer follows one)",
                     NA))
    m, p99 = signal_medians(res)
    if m:
        add("signal forwarding, median", m.get("supervisor"), m, dur, SMALL_INITS)
        add("signal forwarding, p99", p99.get("supervisor"), p99, dur, SMALL_INITS)
    idle = idle_values(res)
    if idle:
        sup = idle.get("supervisor", {})
        add("idle wake-ups per minute", sup.get("per_min"),
            {t: v["per_min"] for t, v in idle.items()}, lambda x: NA if x is None else f"{x:.1f}")
        add("idle RSS", sup.get("rss_kib"), {t: v["rss_kib"] for t, v in idle.items()},
            lambda x: NA if x is None else f"{x} KiB")
    o = startup_overheads(res)
    if o:
        add("start-up overhead", o.get("supervisor"), o, dur, SMALL_INITS + ["daemon"])
    r = reap_medians(res)
    if r:
        n = res["reap"]["n"]
        add(f"reaping {n} orphans", r.get("supervisor"), r, dur)
    st = stop_medians(res)
    if st:
        if best_of(st, PEERS)[0] is None:
            rows.append(("stop of 1,000 processes", dur(st.get("supervisor")),
                         "n/a: every peer left processes running", NA))
        else:
            add("stop of 1,000 processes", st.get("supervisor"), st, dur)
    zd_headline_rows(res, add)
    v = side_values(res)
    if v:
        raw = v.get("raw", {}).get("restart")
        for t, label in (("supervisor", "immediate restart"),
                         ("supervisor-none", "immediate restart, --cgroup=none")):
            x = v.get(t, {}).get("restart")
            rows.append((label, dur(x), f"{dur(raw)} (raw fork+exec+waitpid loop)", ratio(x, raw)))
        add("start-up `X /bin/true`, side by side", v.get("supervisor", {}).get("startup"),
            {t: x["startup"] for t, x in v.items()}, dur, SIDE_PEERS)
        add("signal forwarding median, side by side", v.get("supervisor", {}).get("signal"),
            {t: x["signal"] for t, x in v.items()}, dur, SIDE_PEERS)
        add("signal forwarding median, side by side, one CPU",
            v.get("supervisor", {}).get("signal_1cpu"),
            {t: x["signal_1cpu"] for t, x in v.items()}, dur, SIDE_PEERS)
    out = ["| scenario | supervisor | best peer | ratio |", "| --- | --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# gnuplot


def gnuplot(script, outdir):
    if not shutil.which("gnuplot"):
        return False
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, cwd=outdir)
    if p.returncode != 0:
        print("report: gnuplot failed:\n" + p.stderr)
        return False
    return True


TERM = "set terminal pngcairo size 900,480 font 'DejaVu Sans,10' noenhanced\n"


def candles(outdir, name, title, ylabel, series, unit_ns, logscale=True):
    """series: list of (label, [values in ns])."""
    series = [(lbl, xs) for lbl, xs in series if xs]
    if not series:
        return None
    dat = os.path.join(outdir, name + ".dat")
    with open(dat, "w") as f:
        for i, (lbl, xs) in enumerate(series):
            v = [x / unit_ns for x in xs]
            f.write(f"{i} {min(v)} {pct(v, 25)} {statistics.median(v)} {pct(v, 75)} "
                    f"{pct(v, 99) if len(v) >= 20 else max(v)} \"{lbl}\"\n")
    script = TERM + f"""set output '{name}.png'
set title "{title}"
set ylabel "{ylabel}"
set boxwidth 0.5
set style fill solid 0.35
set xrange [-0.7:{len(series) - 0.3}]
set xtics rotate by -30
set grid ytics
set key top left
{"set logscale y" if logscale else "set yrange [0:*]"}
plot '{name}.dat' using 1:3:2:6:5:xticlabels(7) with candlesticks whiskerbars lc rgb '#3060a0' \
title 'box: p25-p75, whiskers: min to p99 (max if n < 20)', \
     '' using 1:4:4:4:4 with candlesticks lt -1 lw 2 title 'median'
"""
    ok = gnuplot(script, outdir)
    os.remove(dat)
    return name + ".png" if ok else None


def bars(outdir, name, title, ylabel, rows, logscale=False, fmt="%.0f"):
    """rows: list of (label, value or None)."""
    rows = [(lbl, v) for lbl, v in rows if v is not None]
    if not rows:
        return None
    dat = os.path.join(outdir, name + ".dat")
    with open(dat, "w") as f:
        for i, (lbl, v) in enumerate(rows):
            f.write(f"{i} {v} \"{lbl}\"\n")
    script = TERM + f"""set output '{name}.png'
set title "{title}"
set ylabel "{ylabel}"
set boxwidth 0.6
set style fill solid 0.5
set xrange [-0.7:{len(rows) - 0.3}]
set xtics rotate by -30
set grid ytics
{"set logscale y" if logscale else "set yrange [0:*]"}
plot '{name}.dat' using 1:2:xticlabels(3) with boxes lc rgb '#3060a0' notitle, \
     '' using 1:2:(sprintf("{fmt}", $2)) with labels offset 0,0.7 notitle
"""
    ok = gnuplot(script, outdir)
    os.remove(dat)
    return name + ".png" if ok else None


def sequence_plot(outdir, name, title, seq, k):
    lines = [(t, xs) for t, xs in seq.items() if xs]
    if not lines:
        return None
    dat = os.path.join(outdir, name + ".dat")
    with open(dat, "w") as f:
        for t, runs in lines:
            f.write(f"# {t}\n")
            for i in range(k):
                vals = [r[i] for r in runs if len(r) > i]
                if vals:
                    f.write(f"{i + 1} {max(statistics.median(vals) / 1e6, 0.001)}\n")
            f.write("\n\n")
    plots = ", ".join(f"'{name}.dat' index {j} using 1:2 with linespoints lw 2 title '{t}'"
                      for j, (t, _) in enumerate(lines))
    script = TERM + f"""set output '{name}.png'
set title "{title}"
set xlabel "restart number in a crash loop"
set ylabel "death to next start (ms, log)"
set logscale y
set xtics 1
set key outside right
set grid
plot {plots}
"""
    ok = gnuplot(script, outdir)
    os.remove(dat)
    return name + ".png" if ok else None


# ---- zero downtime


ZD_ORDER = ["supervisor-hot", "supervisor-listen", "supervisor", "s6", "runit", "daemontools",
            "supervisord", "daemon"]
ZD_PEERS = ["s6", "runit", "daemontools", "supervisord", "daemon"]
ZD_PLOT_LABELS = {"supervisor-hot": "supervisor --listen --hot-restart",
                  "supervisor-listen": "supervisor --listen", "supervisor": "supervisor (app binds)",
                  "s6": "s6-supervise", "runit": "runsv", "daemontools": "supervise",
                  "supervisord": "supervisord", "daemon": "daemon"}


def zd_values(res, scenario, key):
    z = res.get("zerodowntime")
    if not z:
        return {}
    return {m: v.get(key) for m, v in z.get(scenario, {}).items()}


def zd_headline_rows(res, add):
    z = res.get("zerodowntime")
    if not z:
        return
    for scenario, sup, what in (("crash", "supervisor-listen", f"{z['crashes']} crashes"),
                                ("restart", "supervisor-hot", f"{z['restarts']} restarts")):
        failed = zd_values(res, scenario, "failed")
        p99 = zd_values(res, scenario, "p99")
        if sup not in failed:
            continue
        mode = "--listen" if scenario == "crash" else "--hot-restart"
        add(f"failed connections across {what} ({mode})", failed.get(sup), failed,
            lambda x: NA if x is None else str(x), ZD_PEERS)
        add(f"p99 latency across {what} ({mode})", p99.get(sup), p99, dur, ZD_PEERS)


def zd_plot(outdir, name, title, ylabel, z, key, unit, labels=ZD_PLOT_LABELS):
    """Two bars per mode (crash, restart), log scale; a 0 is drawn as an empty bar, labelled."""
    modes = [m for m in ZD_ORDER if m in z.get("crash", {}) or m in z.get("restart", {})]
    if not modes:
        return None
    dat = os.path.join(outdir, name + ".dat")
    floor = 0.5 if unit == 1 else 0.01
    top = floor
    with open(dat, "w") as f:
        for i, m in enumerate(modes):
            vals = []
            for sc in ("crash", "restart"):
                v = z.get(sc, {}).get(m, {}).get(key)
                vals.append(NA if v is None else v / unit)
                top = max(top, 0 if v is None else v / unit)
            cells = " ".join(
                "- -" if v == NA else f"{max(v, floor)} \"{v:.0f}\"" if unit == 1
                else f"{max(v, floor)} \"{v:.1f}\"" for v in vals)
            f.write(f"{i} \"{labels.get(m, m)}\" {cells}\n")
    script = TERM + f"""set output '{name}.png'
set title "{title}"
set ylabel "{ylabel}"
set boxwidth 0.35
set style fill solid 0.5
set xrange [-0.7:{len(modes) - 0.3}]
set yrange [{floor}:{top * 4}]
set logscale y
set xtics rotate by -30
set grid ytics
set key outside top center horizontal
set datafile missing '-'
plot '{name}.dat' using ($1-0.18):3:xticlabels(2) with boxes lc rgb '#3060a0' title 'crash every {z['every']} requests ({z['crashes']} crashes)', \
     '' using ($1+0.18):5 with boxes lc rgb '#c06030' title '{z['restarts']} restarts on purpose', \
     '' using ($1-0.18):3:4 with labels offset 0,0.7 font ',8' notitle, \
     '' using ($1+0.18):5:6 with labels offset 0,0.7 font ',8' notitle
"""
    ok = gnuplot(script, outdir)
    os.remove(dat)
    return name + ".png" if ok else None


def zd_section(res, tmp, plots, img, targets):
    z = res.get("zerodowntime")
    if not z:
        return []
    L = ["## 8. Zero downtime: crashes and restarts under a client loop\n"]
    m = z.get("machine")
    if m:
        L.append(f"Measured in a separate **{m['mode']}** run of `bench/run --only zerodowntime` "
                 f"({m['date']}, commit {m['commit']}, {m['duration_s'] / 60:.1f} minutes, load "
                 f"average {' '.join(m['loadavg'])} at its start), on the machine above.\n")
    L.append(
        f"`bench/c/zd_server.c` is a one-connection-at-a-time TCP server on 127.0.0.1 that "
        f"answers each request with its PID. Given a socket (`LISTEN_FDS`, fd 3) it uses it; "
        f"otherwise it binds the port itself (`SO_REUSEADDR`). It sends `READY=1` when it "
        f"listens (used by `--ready=notify`), stops gracefully on SIGTERM (finishes the "
        f"connection in hand, exits 0) and, in the crash case, kills itself with SIGKILL after "
        f"every {z['every']} connections. `bench/c/zd_client.c` is one client that starts a "
        f"request (connect, send a line, read the reply to EOF; 10 s timeout) every "
        f"{z['interval_us'] / 1000:g} ms, or at once after a slower one, for the whole run; "
        f"every request counts: refused, reset or timed out is **failed**, latency is over the "
        f"served ones.\n\n"
        f"- **crash**: {z['crashes']} crashes in a row (a crash every {z['every']} requests). "
        f"Every tool restarts at once where it can: supervisor with `-c -l 0` (no backoff; the "
        f"default backoff would double the wait up to 80 s in such a crash loop), supervisord "
        f"with `startsecs=0`, daemon with `--idiot -A 10000` (no 300 s pause after 5 short "
        f"runs); s6-supervise, runsv and supervise have no setting for their 1 s pause.\n"
        f"- **restart**: {z['restarts']} restarts on purpose (a deployment), each followed by "
        f"{'1.2' if m is None or m['mode'] == 'full' else '0.3'} s of normal service. "
        f"supervisor `--listen --hot-restart=HUP --ready=notify`: SIGHUP to the supervisor (the "
        f"new server starts beside the old one, which gets SIGTERM at the new one's READY=1). "
        f"Without hot restart (`--restart=always -l 0`, with and without `--listen`) and for "
        f"daemon: SIGTERM to the server, which the tool restarts. s6-supervise, runsv, "
        f"supervise: control byte `t` (`s6-svc -t`, `sv term`, `svc -t`). supervisord: "
        f"`supervisor.stopProcess` then `startProcess` over XML-RPC (`supervisorctl restart`).\n")
    for scenario, title in (("crash", f"{z['crashes']} crashes, one every {z['every']} requests"),
                            ("restart", f"{z['restarts']} restarts on purpose")):
        runs = z.get(scenario, {})
        if not runs:
            continue
        labels = z.get("labels", {}).get(scenario, {})
        rows = []
        for mname in ZD_ORDER:
            v = runs.get(mname)
            if not v:
                continue
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(v["kinds"].items())) or "—"
            rows.append([labels.get(mname, mname).replace("supervisor", "**supervisor**", 1)
                         if mname in ("supervisor-hot", "supervisor-listen", "supervisor")
                         else LABELS.get(mname, mname),
                         v["requests"], f"**{v['failed']}**", kinds, dur(v["p50"]),
                         dur(v["p99"]), dur(v["max"]), dur(v["longest_gap"]),
                         f"{v['seconds']:.1f} s"])
        L.append(f"### {title}\n")
        L.append(md_table(["tool", "requests", "failed", "how", "p50", "p99", "max",
                           "longest without a reply", "run"], rows))
        L.append("")
    sup_c = z.get("crash", {}).get("supervisor-listen")
    if sup_c:
        targets.append((f"no failed connection across {z['crashes']} crash restarts "
                        f"(--listen)", f"{sup_c['failed']} of {sup_c['requests']}",
                        sup_c["failed"] == 0))
    sup_r = z.get("restart", {}).get("supervisor-hot")
    if sup_r:
        targets.append((f"no failed connection across {z['restarts']} hot restarts",
                        f"{sup_r['failed']} of {sup_r['requests']}", sup_r["failed"] == 0))
    plots["zerodowntime-failed"] = zd_plot(tmp, "zerodowntime-failed",
                                           "Failed connections (refused, reset, timed out)",
                                           "failed requests (log)", z, "failed", 1)
    plots["zerodowntime-p99"] = zd_plot(tmp, "zerodowntime-p99",
                                        "p99 latency of the served requests", "ms (log)", z,
                                        "p99", 1e6)
    L.append(img("zerodowntime-failed"))
    L.append(img("zerodowntime-p99"))
    L.append("Without `--listen` the port belongs to the server process, so every tool, "
             "supervisor included, refuses connections from the server's death until the next "
             "one has bound it again, and resets those already queued in the dead one's backlog; "
             "how many fail depends on how long the tool waits before restarting (s6-supervise, "
             "runsv and supervise: 1 s; supervisord: its 1 s poll) and on the client's rate. "
             "With `--listen` the socket stays open in the supervisor: a connection made while "
             "no server runs waits in the backlog and is served by the next one, so the outage "
             "shows as latency, not as failures. The latency columns cover the served "
             "requests only, so a tool that refuses during an outage is not charged for it "
             "there (s6-supervise's low p99 in the restart table): read them beside the failed "
             "column.\n")
    return L


# --------------------------------------------------------------------------------------------
# the document


NOTES = """\
## How the peers behave (read this before the numbers)

What follows was observed in these runs (the tables above) and, where it says so, taken from
the tools' documentation.

- **floor**: no supervisor at all. For restarts, a C loop of `fork`, `execv`, `waitpid`
  (`bench/c/forkexec_floor.c`); for reaping and idle, a C subreaper that waits for SIGCHLD with
  `sigwaitinfo()` and reaps with `waitpid(-1, WNOHANG)` until nothing is left
  (`bench/c/reap_floor.c`; a loop blocked in `waitpid(-1)` instead wakes, and rescans every
  child, once per exit, and was about 2.5 times slower with 10,000 orphans); for signals, `kill(2)` straight to the app; for stop, `SIGTERM` sent
  by the harness to each of the 1,000 processes through its pidfd; for start-up, bare
  `/bin/true`. It is what the kernel costs, not a tool anyone would deploy.
- **tini**, **dumb-init**, **catatonit** are container inits: they run one child, forward
  signals and exit with it. They never restart anything and never follow a successor (when the
  child exits, they exit), so their restart and hand-over rows are n/a. tini is run with `-s`
  (subreaper; it is not PID 1 here) and catatonit registers as a subreaper by itself, so both
  get the storm's orphans; dumb-init does not when it is not PID 1, so its orphans go past it
  (to the harness) and its reaping row is n/a. tini wakes up once a second while idle (its main
  loop waits for signals with a 1 s timeout: the 60 wake-ups a minute in the idle table).
  dumb-init runs the child in a new session and forwards signals to its whole process group;
  tini and catatonit forward to the child only, or to its process group with `-g` (used for the
  stop scenario). None of them can reach the `setsid()` members of the stop scenario.
- **s6-supervise** (s6 2.11), **runsv** (runit), **supervise** (daemontools) are service
  supervisors driven by a service directory: `./run` is started and restarted for ever. They
  are controlled by writing one byte to the FIFO `supervise/control` (what `s6-svc`, `sv` and
  `svc` do; the harness writes the byte itself, so no command start-up is counted). They do
  not forward signals sent to them, so the signal rows use the control byte `h` (the tool then
  calls `kill(SIGHUP)` on the service) and are labelled so.
  Restart delays: s6-supervise waited 1 s after every death, however long the service had
  run (1.1 s in the first-restart scenario; 2.5 s in a manual check); runsv and supervise
  restart at once a service that ran for more than a second, and wait 1 s in a crash loop.
  supervise also ignores its control FIFO for about a second after each start (one unmeasured
  warm-up signal per run absorbs that). None of the three is a subreaper, and to stop, `d`
  sends SIGTERM and SIGCONT to the service process only: this s6-svc has no process-group
  option, runit and daemontools none either, so the app's other 999 processes stay.
- **supervisord** (Python) runs programs from a config file (here `autorestart=true`,
  `startretries=100`, `stopasgroup=true`, `killasgroup=true`, everything else default). It
  noticed each death about 1 s late (its main loop polls with a 1 s timeout) and, in a crash
  loop, waited 1 to 4 s, growing but not regularly (a program that dies before `startsecs`, 1 s
  by default, is retried after a growing BACKOFF delay, counted in its 1 s ticks). Its stop of the process group also came about 1 s after the
  SIGTERM. It does not forward signals (SIGHUP to it reloads its config); the signal rows use
  its XML-RPC call `supervisor.signalProcess` over its UNIX socket (what `supervisorctl signal`
  does, minus starting a Python interpreter), labelled so, with fewer samples.
- **daemon** (libslack 0.8, `-f` to stay in the foreground, `-r` to respawn) restarts at once;
  its documentation says a client that ran less than `--acceptable` (300 s) counts as a
  failure and that after 5 of those it waits `--delay` (300 s), which the 4-death sequence
  here does not reach. It forwards only SIGTERM (and then exits), so it has no signal row (its
  `--signal` option signals the client by PID from a pidfile, not through the daemon). It is
  not a subreaper, and it signals the client only, not its process group, when stopped.
- **supervisor** runs with its defaults (`-c -e` for the restart scenario), its cgroup backend
  chosen by itself (here: {backend}), and its messages on stderr sent to `/dev/null`, like every
  other tool's.
"""


SOAK_INTRO = """## Soak

Thousands of immediate restarts (`--restart=always --delay-limit=0 -- /bin/true`) with a storm
of steering signals (HUP USR1 USR2 WINCH URG, 20 rounds) sent to the supervisor every 250
restarts, while its open fds (`/proc/PID/fd`), resident memory (`VmRSS`) and CPU time
(`utime + stime`) are sampled: nothing may grow with the number of restarts. `bench/soak` runs
it (`--markdown docs/benchmarks/soak.md` refreshes this section); CI runs a short version, the
end-to-end test `Soak.ImmediateRestartsAndSignalStormsKeepFdsAndRssFlat` (450 restarts per
backend, fds flat, RSS within 64 kB from the first quarter of the samples to the last). Faults
other than load are in [faults.md](faults.md). Under `--cgroup=none` each restart walks
`/proc` (to find leftovers), so its CPU time per restart grows with the number of processes on
the machine: many times v2's on a busy one.

From the last soak run:

"""


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def write_docs(data, docs):
    res = data["results"]
    m = data["machine"]
    pngdir = os.path.join(docs, "benchmarks")
    os.makedirs(pngdir, exist_ok=True)
    for f in os.listdir(pngdir):
        if f.endswith(".png"):
            os.remove(os.path.join(pngdir, f))
    tmp = tempfile.mkdtemp(prefix="supbench-plots.")
    plots = {}

    def img(name):
        p = plots.get(name)
        return f"\n![{name}](benchmarks/{p})\n" if p else ""

    L = []
    L.append("# Benchmarks: supervisor against its peers\n")
    L.append("Written by `bench/run` (do not edit by hand; run it again). "
             f"This is a **{m['mode']}** run"
             + (" (quick mode: few samples, indicative only)" if m["mode"] == "quick" else "")
             + f", {m['duration_s'] / 60:.1f} minutes in all.\n")
    L.append(md_table(["machine", ""], [
        ["date", m["date"]],
        ["CPU", f"{m['cpu']}, {m['cores']} cores"],
        ["memory", m["mem"]],
        ["kernel", m["kernel"]],
        ["OS", m["os"]],
        ["load average at start", " ".join(m["loadavg"])],
    ] + ([["scheduler", m["scheduler"]]] if "scheduler" in m else []) + [
        ["supervisor", f"commit {m['commit']}, Release build"],
        ["peers (Debian packages)", ", ".join(f"{k} {v}" for k, v in m["versions"].items())],
    ]))
    L.append("\nThe machine is shared: other work may have run at the same time, which shows in "
             "the tails more than in the medians. Every run of every tool is interleaved with "
             "the others (A B C … A B C …), so a slow moment hurts all of them alike.\n")
    L.append("## Headline\n")
    L.append(headline(data))
    L.append("\nRatios are supervisor ÷ the best peer in the same run (below 1 means supervisor "
             "is ahead). Signal forwarding and start-up compare with the best of tini, dumb-init "
             "and catatonit (plus daemon for start-up), the tools that do the same job the same "
             "way; the other rows with every peer that can do the scenario.\n")

    targets = []

    # ---- restart
    r = res.get("restart")
    if r:
        L.append("## 1. Restart latency\n")
        L.append(f"From the instant the app's incarnation dies (stamped by the app right before "
                 f"`exit(1)` or before a NULL store that raises SIGSEGV) to the first instruction "
                 f"of `main()` in the next incarnation (`bench/c/stamp_app.c`, statically linked, "
                 f"timestamps to a FIFO). **First restart**: each incarnation runs "
                 f"{r['run_ms']} ms before it dies, past the peers' 1 s throttles, and a fresh "
                 f"supervisor is started for every sample ({r['reps']} samples per tool and "
                 f"kind). Tail = the slowest sample. Tools that never restart (tini, dumb-init, "
                 f"catatonit exit with their child) are n/a.\n")
        series = []
        for kind, title in (("exit", "exit(1)"), ("segv", "SIGSEGV")):
            vals = restart_first(res, kind)
            floor = vals.get("floor")
            bn, bv = best_of(vals, PEERS)
            rows = []
            for t, xs in r["first"][kind].items():
                rows.append([LABELS[t], len(xs), dur(med(xs)), dur(max(xs) if xs else None),
                             f"{dur(min(xs))} – {dur(max(xs))}" if xs else NA,
                             ratio(med(xs), floor) if xs else NA,
                             ratio(med(xs), bv) if xs and t not in ("floor",) else ""])
                series.append((f"{t} {kind}", xs))
            for t in SMALL_INITS:
                rows.append([LABELS[t], 0, NA, NA, "never restarts: exits with its child", "", ""])
            L.append(f"### First restart after {title}\n")
            L.append(md_table(["tool", "n", "median", "tail (max)", "spread (min – max)",
                               "÷ floor", "÷ best peer"], rows))
            L.append("")
            sup = vals.get("supervisor")
            if sup is not None and floor:
                ok = sup <= 1.5 * floor
                targets.append((f"first restart ({title}) within 1.5× the fork+exec+wait floor",
                                f"{ratio(sup, floor)} ({dur(sup)} vs {dur(floor)})", ok))
        plots["restart"] = candles(tmp, "restart", "First restart: death to next start",
                                   "ms (log)", series, 1e6)
        L.append(img("restart"))
        L.append(f"### The crash-loop sequence\n\nEach incarnation dies at once ({r['k']} deaths "
                 f"in a row, then it stays up); median over {r['seq_reps']} run(s) per tool and "
                 f"kind. supervisor's backoff is 0, 1, 2, 4 … s by design; s6, runit and "
                 f"daemontools hold a fixed 1 s; supervisord's waits grow but irregularly (1 to 4 s: its BACKOFF delay "
                 f"counted in ticks of its 1 s poll); daemon restarts at once (its "
                 f"documented 300 s pause comes after 5 quick failures).\n")
        for kind, title in (("exit", "exit(1)"), ("segv", "SIGSEGV")):
            rows = []
            for t, runs in r["sequence"][kind].items():
                if not runs:
                    rows.append([LABELS[t]] + [NA] * r["k"])
                    continue
                rows.append([LABELS[t]] + [dur(med([x[i] for x in runs if len(x) > i]))
                                           for i in range(r["k"])])
            L.append(f"**{title}**\n")
            L.append(md_table(["tool"] + [f"restart {i + 1}" for i in range(r["k"])], rows))
            L.append("")
        plots["restart-sequence"] = sequence_plot(tmp, "restart-sequence",
                                                  "Crash loop (exit(1)): each restart's delay",
                                                  r["sequence"]["exit"], r["k"])
        L.append(img("restart-sequence"))

    # ---- successor
    s = res.get("successor")
    if s:
        lat = s["latency"]
        L.append("## 2. Successor hand-over\n")
        L.append(f"The app (`bench/c/sig_app.c upgrade`) upgrades itself the nginx way on "
                 f"SIGUSR2 (sent to the supervisor, forwarded): it forks, the child execs the "
                 f"same binary, signals readiness, and the old main stamps the time and exits. "
                 f"The harness waits for the old main's exit on a pidfd, then sends SIGHUP to the "
                 f"supervisor every {s['resend_us']:.0f} µs until the new main's handler stamps "
                 f"one. Measured: old main's exit → SIGHUP received by the new main. "
                 f"{len(lat)} hand-overs ({s['reps']} supervisors × {s['per']} upgrades).\n")
        rows = [[LABELS["supervisor"], len(lat), dur(med(lat)), dur(pct(lat, 99)),
                 dur(max(lat) if lat else None),
                 f"{statistics.mean(s['sends']):.2f}" if s["sends"] else NA]]
        for t in PEERS:
            why = ("exits when its child exits" if t in SMALL_INITS else
                   "restarts the program instead (the new process is unknown to it)")
            rows.append([LABELS[t], 0, NA, NA, NA, f"does not follow a successor: {why}"])
        L.append(md_table(["tool", "n", "median", "p99", "max", "signals sent per hand-over"],
                          rows))
        if lat:
            targets.append(("successor hand-over under 1 ms",
                            f"median {dur(med(lat))} (p99 {dur(pct(lat, 99))}, max "
                            f"{dur(max(lat))})", med(lat) < 1e6))
        plots["successor"] = candles(tmp, "successor", "Successor hand-over: old main exit to "
                                     "signal received by the new main", "µs (log)",
                                     [("supervisor", lat)], 1e3)
        L.append(img("successor"))

    # ---- signals
    sg = res.get("signals")
    if sg:
        lat = sg["latency"]
        medians, p99s = signal_medians(res)
        bn, bv = best_of(medians, SMALL_INITS)
        bpn, bpv = best_of(p99s, SMALL_INITS)
        L.append("## 3. Signal forwarding latency\n")
        L.append(f"The harness stamps the time and sends SIGHUP to the tool; the app's handler "
                 f"stamps its entry (`bench/c/sig_app.c`). One signal at a time, each waited "
                 f"for; {sg['reps']} runs × {sg['per']} signals per tool, after one unmeasured "
                 f"warm-up signal per run. Ratios: to the best of tini, dumb-init and catatonit.\n")
        how = {"floor": "kill(2) to the app itself", "s6": "control FIFO byte `h` (s6-svc -h)",
               "runit": "control FIFO byte `h` (sv hup)",
               "daemontools": "control FIFO byte `h` (svc -h)",
               "supervisord": f"XML-RPC signalProcess ({sg['per_supervisord']} per run)"}
        rows = []
        series = []
        for t, xs in lat.items():
            rows.append([LABELS[t], how.get(t, "SIGHUP to the tool"), len(xs), dur(med(xs)),
                         dur(pct(xs, 99)), dur(max(xs) if xs else None),
                         ratio(med(xs), bv) if xs else NA, ratio(pct(xs, 99), bpv) if xs else NA])
            series.append((t, xs))
        rows.append([LABELS["daemon"], "n/a", 0, NA, NA, NA, NA,
                     "forwards only SIGTERM (and exits)"])
        L.append(md_table(["tool", "how", "n", "median", "p99", "max", "median ÷ best init",
                           "p99 ÷ best init"], rows))
        if medians.get("supervisor") is not None and bv:
            targets.append(("signal forwarding median no worse than the best of "
                            "tini/dumb-init/catatonit",
                            f"{ratio(medians['supervisor'], bv)} ({dur(medians['supervisor'])} "
                            f"vs {dur(bv)}, {bn})", medians["supervisor"] <= bv))
            targets.append(("signal forwarding p99 no worse than the best of "
                            "tini/dumb-init/catatonit",
                            f"{ratio(p99s['supervisor'], bpv)} ({dur(p99s['supervisor'])} "
                            f"vs {dur(bpv)}, {bpn})", p99s["supervisor"] <= bpv))
        plots["signals"] = candles(tmp, "signals", "Signal sent to the tool until the app's "
                                   "handler runs", "µs (log)", series, 1e3)
        L.append(img("signals"))

    # ---- idle
    idle = idle_values(res)
    if idle:
        w = next(iter(idle.values()))["window_s"]
        L.append("## 4. Idle cost\n")
        L.append(f"Every tool supervises a sleeping app, all side by side; after 1 s of settling, "
                 f"the context switches (voluntary + non-voluntary, from `/proc/PID/status`) of "
                 f"the tool's own process are counted over {w:.0f} s and scaled to a minute. "
                 f"Memory at the end of the window: `VmRSS` from `/proc/PID/status`, and PSS from "
                 f"`/proc/PID/smaps_rollup` (shared pages divided among the processes that map "
                 f"them, so it depends on what else runs). The process measured is the "
                 f"supervising one: s6-supervise, runsv, supervise, the supervisord Python "
                 f"process.\n")
        bn, bv = best_of({t: v["rss_kib"] for t, v in idle.items()}, PEERS)
        rows = []
        for t, v in idle.items():
            rows.append([LABELS[t], f"{v['per_min']:.1f}", v["switches"], f"{v['rss_kib']} KiB",
                         f"{v['pss_kib']} KiB" if v["pss_kib"] is not None else NA,
                         ratio(v["rss_kib"], bv)])
        L.append(md_table(["tool", "wake-ups / min", f"switches in {w:.0f} s", "RSS", "PSS",
                           "RSS ÷ smallest peer"], rows))
        sup = idle.get("supervisor")
        if sup:
            targets.append(("idle: 0 wake-ups per minute", f"{sup['per_min']:.1f} per minute",
                            sup["switches"] == 0))
            cat = idle.get("catatonit")
            if cat:
                targets.append(("idle resident memory no more than catatonit's",
                                f"{ratio(sup['rss_kib'], cat['rss_kib'])} ({sup['rss_kib']} KiB "
                                f"vs {cat['rss_kib']} KiB RSS)", sup["rss_kib"] <= cat["rss_kib"]))
        plots["idle-wakeups"] = bars(tmp, "idle-wakeups", "Idle: wake-ups per minute",
                                     "context switches per minute",
                                     [(t, v["per_min"]) for t, v in idle.items()], fmt="%.0f")
        plots["idle-rss"] = bars(tmp, "idle-rss", "Idle: resident memory (VmRSS)", "KiB (log)",
                                 [(t, v["rss_kib"]) for t, v in idle.items()], logscale=True,
                                 fmt="%.0f")
        L.append(img("idle-wakeups"))
        L.append(img("idle-rss"))
        L.append("Where the supervisor's resident bytes go, mapping by mapping, against catatonit "
                 "and tini-static, and what each build choice changed: "
                 "[benchmarks/memory.md](benchmarks/memory.md).\n")

    # ---- startup
    su = res.get("startup")
    if su:
        wall = su["wall"]
        base = med(wall.get("floor", []))
        o = startup_overheads(res)
        bn, bv = best_of(o, SMALL_INITS + ["daemon"])
        L.append("## 5. Start-up overhead\n")
        L.append(f"`X -- /bin/true` run back to back by `bench/c/runloop.c` (posix_spawn + "
                 f"waitpid, stdio on /dev/null), against bare `/bin/true`: wall time from spawn "
                 f"to reaped exit. {su['reps']} interleaved rounds × {su['per']} runs per tool. "
                 f"Overhead = tool median − bare median. Service supervisors (s6, runit, "
                 f"daemontools, supervisord) never exit when their program does (they restart "
                 f"it), so they have no row.\n")
        rows = []
        series = []
        for t, xs in wall.items():
            rows.append([LABELS[t] if t != "floor" else "bare /bin/true", len(xs), dur(med(xs)),
                         dur(pct(xs, 99)), dur(o.get(t)) if t != "floor" else "—",
                         ratio(o.get(t), bv) if t != "floor" else ""])
            series.append((t if t != "floor" else "bare", xs))
        for t in ("s6", "runit", "daemontools", "supervisord"):
            rows.append([LABELS[t], 0, NA, NA, NA, "stays up: restarts /bin/true"])
        L.append(md_table(["tool", "n", "median wall", "p99 wall", "overhead", "÷ best"], rows))
        if o.get("supervisor") is not None and bv is not None:
            best3n, best3 = best_of(o, SMALL_INITS)
            targets.append(("start-up overhead no more than the best of tini/dumb-init/catatonit",
                            f"{ratio(o['supervisor'], best3)} ({dur(o['supervisor'])} vs "
                            f"{dur(best3)}, {best3n})", o["supervisor"] <= best3))
        plots["startup"] = candles(tmp, "startup", "X -- /bin/true: wall time", "ms (log)",
                                   series, 1e6)
        L.append(img("startup"))

    # ---- reap
    rp = res.get("reap")
    if rp:
        L.append("## 6. Reaping storm\n")
        if rp.get("skipped"):
            L.append(f"Skipped: {rp['skipped']}.\n")
        else:
            L.append(f"`bench/c/orphan_storm.c` creates {rp['n']} orphans (each forked by a "
                     f"short-lived intermediate, so the kernel reparents it to the nearest "
                     f"subreaper: the tool), checks their parent, and has them all block on one "
                     f"pipe. The harness opens a pidfd on each; the app stamps the time and "
                     f"closes the pipe, all orphans exit at once, and the harness waits until "
                     f"every pidfd reports EPOLLHUP, which this kernel raises when the process is "
                     f"reaped. Measured: release → last orphan reaped. {rp['reps']} runs per "
                     f"tool.\n")
            vals = reap_medians(res)
            floor = vals.get("floor")
            bn, bv = best_of(vals, PEERS)
            rows, series = [], []
            for t, xs in rp["ns"].items():
                rows.append([LABELS[t], len(xs), dur(med(xs)), dur(max(xs) if xs else None),
                             ratio(med(xs), floor) if xs else NA,
                             ratio(med(xs), bv) if xs and t != "floor" else ""])
                series.append((t, xs))
            for t, why in rp["na"].items():
                rows.append([LABELS[t], 0, NA, NA, NA, why])
            L.append(md_table(["tool", "n", "median", "tail (max)", "÷ floor", "÷ best peer"],
                              rows))
            sup = vals.get("supervisor")
            if sup is not None and floor:
                targets.append((f"{rp['n']} orphans reaped within 1.2× a raw reaping loop",
                                f"{ratio(sup, floor)} ({dur(sup)} vs {dur(floor)})",
                                sup <= 1.2 * floor))
            plots["reap"] = candles(tmp, "reap", f"{rp['n']} orphans: release to last reaped",
                                    "ms (log)", series, 1e6)
            L.append(img("reap"))

    # ---- stop
    sp = res.get("stop")
    if sp:
        b, lv, every = sp["shape"]
        L.append("## 7. Stop\n")
        how = {"floor": "harness: SIGTERM to each process (pidfd)",
               "supervisor": "SIGTERM to the supervisor", "tini": "SIGTERM to `tini -g`",
               "dumb-init": "SIGTERM to dumb-init (forwards to the group)",
               "catatonit": "SIGTERM to `catatonit -g`",
               "s6": "control `d` (s6-svc -d; 2.11 has no group option)", "runit": "control `d` (sv down)",
               "daemontools": "control `d` (svc -d)",
               "supervisord": "SIGTERM (stopasgroup, killasgroup)",
               "daemon": "SIGTERM to daemon"}
        total = next((x["total"] for runs in sp["runs"].values() for x in runs), 1000)
        setsid = next((x["setsid"] for runs in sp["runs"].values() for x in runs), None)
        L.append(f"`bench/c/proc_tree.c` builds an app of {total} processes: the main, {b} "
                 f"branches of {lv} leaves each; every {every}th leaf calls `setsid()` "
                 f"({setsid} processes in sessions of their own, out of reach of a "
                 f"process-group signal). All keep SIGTERM's default action. The harness opens "
                 f"a pidfd on each, stamps the time, sends the stop request, and waits until "
                 f"every pidfd reports the exit (EPOLLIN), for at most {sp['deadline_s']:g} s; "
                 f"whatever survives is then killed by the harness and counted. "
                 f"{sp['reps']} runs per tool.\n")
        vals = stop_medians(res)
        bn, bv = best_of(vals, PEERS)
        floor = vals.get("floor")
        rows, series = [], []
        for t, runs in sp["runs"].items():
            if not runs:
                rows.append([LABELS[t], how[t], 0, NA, NA, NA, NA, NA])
                continue
            surv = max(x["survivors"] for x in runs)
            g = [x["group_ns"] for x in runs if x["group_ns"] is not None]
            all_ = [x["all_ns"] for x in runs if x["all_ns"] is not None]
            rows.append([LABELS[t], how[t], len(runs),
                         dur(med(all_)) if not surv else
                         f"n/a: {surv} of {total} still running after {sp['deadline_s']:g} s",
                         dur(max(all_)) if not surv and all_ else NA,
                         dur(med(g)) if g else NA,
                         ratio(vals.get(t), floor) if vals.get(t) is not None and t != "floor"
                         else "",
                         ratio(vals.get(t), bv) if vals.get(t) is not None and t != "floor"
                         else ""])
            if not surv:
                series.append((t, all_))
        L.append(md_table(["tool", "stop request", "n", "median: all gone", "tail (max)",
                           "median: process group gone", "÷ floor", "÷ best peer"], rows))
        sup = vals.get("supervisor")
        if sp["runs"].get("supervisor"):
            ok = sup is not None and max(x["all_ns"] for x in sp["runs"]["supervisor"]) <= 100e6
            targets.append(("1,000-process stop finished within 100 ms",
                            f"median {dur(sup)}, max "
                            f"{dur(max(x['all_ns'] or 0 for x in sp['runs']['supervisor']))}"
                            if sup is not None else "processes survived", ok))
        L.append("\nThe time is counted from the stop request, which for supervisor includes "
                 "forwarding SIGTERM to the main process and noticing its exit before the "
                 "leftovers are signalled, so it is an upper bound on 'from the kill "
                 "decision'.\n")
        plots["stop"] = candles(tmp, "stop", f"Stop of {total} processes: request to last exit "
                                "(tools that got them all)", "ms (log)", series, 1e6)
        L.append(img("stop"))

    # ---- zero downtime
    L += zd_section(res, tmp, plots, img, targets)

    L += side_section(data, targets)

    # ---- targets
    if targets:
        L.append("## Targets of issue 5" + (", issue 9" if res.get("zerodowntime") else "")
                 + (", issue 11" if res.get("side") else "") + "\n")
        L.append(md_table(["target", "this run", "met"],
                          [[a, b, "yes" if ok else "**no**"] for a, b, ok in targets]))
        L.append("\nWhere the time goes in the misses, measured with strace and perf, with changes "
                 "tried and their effect: [benchmarks/analysis.md](benchmarks/analysis.md).\n")

    backend = m.get("backend", "unknown")
    L.append(NOTES.format(run_ms=res.get("restart", {}).get("run_ms", 1100), backend=backend))
    if data["errors"]:
        L.append("## Runs that failed\n")
        L += [f"- {e}" for e in data["errors"]]
        L.append("")
    # ---- soak: bench/soak's own run (not part of bench/run), kept in benchmarks/soak.md
    soak_md = os.path.join(docs, "benchmarks", "soak.md")
    if os.path.exists(soak_md):
        with open(soak_md) as f:
            L.append(SOAK_INTRO + f.read())
    L.append("## Reproduce\n\n```sh\nbench/run            # full run, about 12 minutes on 2 cores; "
             "rewrites this file\nbench/run --quick    # a few seconds a scenario\n"
             "bench/run --only signals,idle\nbench/run --only zerodowntime   # updates only its section, keeps the other results\nbench/soak --cgroup v2,v1,none --markdown docs/benchmarks/soak.md   # the soak section\n```\n\nThe raw samples of this run are in "
             "[benchmarks/results.json](benchmarks/results.json).\n")

    for name, p in plots.items():
        if p:
            shutil.move(os.path.join(tmp, p), os.path.join(pngdir, p))
    shutil.rmtree(tmp, ignore_errors=True)
    # plots moved; fix links already written (same names)
    with open(os.path.join(docs, "benchmarks.md"), "w") as f:
        f.write("\n".join(L).replace("\n\n\n", "\n\n"))
    import json
    with open(os.path.join(pngdir, "results.json"), "w") as f:
        json.dump(data, f, indent=0)
