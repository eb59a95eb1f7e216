"""What a quarter and a replay cost, each command in a process of its own, as ratios to the bare import of the stack.

    .venv/bin/python benchmarks/pipeline.py            # about 15 minutes on a quiet 2-core machine, after the wait
    .venv/bin/python benchmarks/pipeline.py --quick    # a 4-quarter replay, one repetition each: checks the script

Writes benchmarks/results/pipeline.md. Everything runs in a temporary copy of the project
(HAIMEN_MONITOR_ROOT), so data/, reports/ and data/cache/ of the checkout are not touched. It first waits
(up to --wait-max seconds, checking every 30 s) until the 1-minute load average is below --wait-load, and
says in the results whether it got there.

Measured in one run, each command as a child process; the repetitions of the different commands alternate
(round-robin), so that a change of the machine's load hits them alike; the table gives the median:
- the reference (1.0x): the bare import of the stack, `python -c "import great_expectations, statsmodels.api,
  pandas, matplotlib.pyplot, papermill, nbconvert"` (N = 3);
- `python -m analysis run` of the latest quarter, repeated (warm data/clean) (N = 3 each): default settings
  (chart cache on and warm); `--no-cache` (every chart drawn); kernel reuse off (HAIMEN_NO_KERNEL_POOL=1, a
  switch for this benchmark only, read in src/analysis/run/pipeline.py: every notebook in a fresh kernel);
- `replay --from 2022Q1 --to 2025Q2` (14 quarters) (N = 2 each): `--no-cache`; the chart cache cold
  (data/cache removed first); warm (the same range again); `--no-cache` with kernel reuse off.
Reported per command: wall time, its ratio to the import, CPU = user + system of the whole process tree
(kernels, replay workers, Typst included; getrusage of the waited-for children), the largest resident set
of any single process (ru_maxrss of the tree) and the largest sum over the tree at one moment (psutil,
sampled every 0.1 s). Then what each speed device saves: (time without it - time with it) / time without
it, from the medians, for each run it serves; kept when it saves at least 10 % of one of them (issue 23).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT = "import great_expectations, statsmodels.api, pandas, matplotlib.pyplot, papermill, nbconvert"
THRESHOLD = 10.0        # % a device must save of a run it serves to be kept (issue 23)
AIMS = (("q", 1.5, "a repeated quarter (`run`, default settings)"),
        ("r_nocache", 7.0, "the 14-quarter replay with the cache off (`replay --no-cache`)"))


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _busy_cpu() -> float:
    """CPU seconds the whole machine has spent busy since boot (every process, ours and others')."""
    import psutil

    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def measure(cmd: list[str], env: dict) -> dict:
    """Wall, CPU of the process tree, largest single RSS and largest tree RSS of one command; error when it failed."""
    # a fresh wrapper process, so that getrusage(RUSAGE_CHILDREN) counts this command's tree only
    wrapper = ("import json, resource, subprocess, sys\n"
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
               "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "print(json.dumps({'rc': rc.returncode, 'err': rc.stderr[-1500:], 'cpu': u.ru_utime + u.ru_stime, "
               "'maxrss_kib': u.ru_maxrss}))\n")
    peak = [0]
    load, busy = os.getloadavg()[0], _busy_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *cmd], env=env, cwd=env["HAIMEN_MONITOR_ROOT"],
                            stdout=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    info = json.loads(out.strip().splitlines()[-1])
    others = max(0.0, _busy_cpu() - busy - info["cpu"])     # the rest of the machine (this script's sampling too)
    return {"others": others, "wall": wall, "cpu": info["cpu"], "max_rss": info["maxrss_kib"] / 1024, "tree_rss": peak[0] / 2**20,
            "load": load, "error": info["err"].strip() if info["rc"] != 0 else None}


def fmt_row(label: str, ms: list[dict], ref: dict | None) -> str:
    ok = [m for m in ms if not m["error"]]
    if not ok:
        return f"| {label} | 0 of {len(ms)} | FAILED | | | | | | | |"
    wall = statistics.median(m["wall"] for m in ok)
    cpu = statistics.median(m["cpu"] for m in ok)
    spread = f"{min(m['wall'] for m in ok):.1f}-{max(m['wall'] for m in ok):.1f}"
    ratio = f"{wall / ref['wall']:.2f}x" if ref else "-"
    cratio = f"{cpu / ref['cpu']:.2f}x" if ref else "-"
    failed = f" ({len(ms) - len(ok)} failed)" if len(ok) < len(ms) else ""
    return (f"| {label} | {len(ok)}{failed} | {wall:.1f} | {spread} | **{ratio}** | {cpu:.1f} | {cratio} | "
            f"{max(m['max_rss'] for m in ok):.0f} | {max(m['tree_rss'] for m in ok):.0f} | "
            f"{statistics.median(m['others'] for m in ok):.1f} |")


def median(ms: list[dict], key: str) -> float | None:
    ok = [m[key] for m in ms if not m["error"]]
    return statistics.median(ok) if ok else None


def wait_for_quiet(limit: float, patience: float) -> tuple[bool, str]:
    """Wait until the 1-minute load average is below limit (checked every 30 s, for at most patience seconds)."""
    start = time.monotonic()
    while True:
        one = os.getloadavg()[0]
        if one < limit:
            return True, f"below {limit} after {time.monotonic() - start:.0f} s of waiting"
        if time.monotonic() - start >= patience:
            return False, (f"never below {limit} in {patience / 60:.0f} minutes of waiting (last: {one:.2f}): "
                           "measured anyway")
        print(f"load {one:.2f}, waiting", flush=True)
        time.sleep(30)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="replay 4 quarters, one repetition of everything")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the import and of each quarter (N >= 3)")
    parser.add_argument("--replay-reps", type=int, default=2, help="repetitions of each replay (N >= 2)")
    parser.add_argument("--replay-from", default="2022Q1")
    parser.add_argument("--replay-to", default="2025Q2")
    parser.add_argument("--wait-load", type=float, default=0.6, help="wait until the 1-minute load is below this")
    parser.add_argument("--wait-max", type=float, default=1500, help="seconds to wait for it at most")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pipeline.md"))
    args = parser.parse_args()
    if args.quick:
        args.reps, args.replay_reps, args.replay_from, args.wait_max = 1, 1, "2024Q3", 0
    quiet, waited = wait_for_quiet(args.wait_load, args.wait_max)
    load_before, busy0, started = load(), _busy_cpu(), time.strftime("%Y-%m-%d %H:%M")
    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    runs: dict[str, list[dict]] = {}
    try:
        shutil.copytree(ROOT, work / "p", ignore=shutil.ignore_patterns(
            ".venv", ".git", "reports", "clean", "cache", "scratch", "__pycache__", ".pytest_cache"))
        root = work / "p"
        base = {**os.environ, "HAIMEN_MONITOR_ROOT": str(root), "PYTHONPATH": str(root / "src"),
                "MPLCONFIGDIR": str(work / "mpl")}
        base.pop("HAIMEN_NO_KERNEL_POOL", None)
        fresh = {**base, "HAIMEN_NO_KERNEL_POOL": "1"}
        py = [sys.executable]
        run = py + ["-m", "analysis", "run"]
        replay = py + ["-m", "analysis", "replay", "--from", args.replay_from, "--to", args.replay_to]

        def record(key: str, cmd: list[str], env: dict) -> None:
            m = measure(cmd, env)
            if "replay" in cmd:
                outcomes = root / "reports" / f"replay_{args.replay_from}_{args.replay_to}" / "outcomes.json"
                bad = {k: v for k, v in json.loads(outcomes.read_text()).items() if v != "ok"} if outcomes.exists() else {}
                if bad and not m["error"]:
                    m["error"] = f"quarters failed: {bad}"
            runs.setdefault(key, []).append(m)
            print(f"{key}: {m['wall']:.1f} s wall, {m['cpu']:.1f} s CPU, load {m['load']:.2f}"
                  + (f", FAILED: {m['error'][-300:]}" if m["error"] else ""), flush=True)

        # warm-up, not in the medians: matplotlib's font cache, the OS file cache, data/clean and data/cache
        measure(py + ["-c", IMPORT], base)
        record("q_first", run, base)
        for _ in range(args.reps):
            record("import", py + ["-c", IMPORT], base)
            record("q", run, base)
            manifest = json.loads(next((root / "reports").glob("*/manifest.json")).read_text(encoding="utf-8"))
            record("q_nocache", run + ["--no-cache"], base)
            record("q_nokernel", run, fresh)
        for _ in range(args.replay_reps):
            record("r_nocache", replay + ["--no-cache"], base)
            shutil.rmtree(root / "data" / "cache", ignore_errors=True)
            record("r_cold", replay, base)
            record("r_warm", replay, base)
            record("r_nocache_nokernel", replay + ["--no-cache"], fresh)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    other = (_busy_cpu() - busy0) - sum(m["cpu"] for ms in runs.values() for m in ms)
    loads = [m["load"] for ms in runs.values() for m in ms]
    write(args, runs, manifest, quiet, waited, load_before, started, other, loads)


def write(args, runs: dict, manifest: dict, quiet: bool, waited: str, load_before: str, started: str,
          other: float, loads: list[float]) -> None:
    ref = {"wall": median(runs["import"], "wall"), "cpu": median(runs["import"], "cpu")}
    q, rng = manifest["as_of"], f"`replay --from {args.replay_from} --to {args.replay_to}`"
    labels = {
        "import": "bare import of the stack (the reference)",
        "q_first": f"`run` {q}, first (cold data/clean and chart cache; warm-up, N = 1)",
        "q": f"`run` {q}, repeated, default (chart cache on, warm)",
        "q_nocache": f"`run --no-cache` {q}, repeated (every chart drawn)",
        "q_nokernel": f"`run` {q}, repeated, kernel reuse off (HAIMEN_NO_KERNEL_POOL=1; chart cache on)",
        "r_nocache": f"{rng} `--no-cache`",
        "r_cold": f"{rng}, chart cache cold",
        "r_warm": f"{rng}, chart cache warm (the same range again)",
        "r_nocache_nokernel": f"{rng} `--no-cache`, kernel reuse off (HAIMEN_NO_KERNEL_POOL=1)",
    }
    table = "\n".join(fmt_row(labels[k], runs[k], ref) for k in labels if k in runs)

    def saving(off: str, on: str, what: str) -> tuple[str, float | None]:
        w_off, w_on = median(runs[off], "wall"), median(runs[on], "wall")
        c_off, c_on = median(runs[off], "cpu"), median(runs[on], "cpu")
        if None in (w_off, w_on, c_off, c_on):
            return f"| | {what} | failed | | |", None
        pct = 100 * (w_off - w_on) / w_off
        return (f"| | {what} | {w_off:.1f} -> {w_on:.1f} s | **{pct:.1f} %** | {100 * (c_off - c_on) / c_off:.1f} % |",
                pct)

    devices = [
        ("Kernel reuse within a run (src/analysis/run/kernels.py KernelPool)",
         [("q_nokernel", "q", f"`run` {q} (chart cache on)"), ("r_nocache_nokernel", "r_nocache", f"{rng} `--no-cache`")]),
        ("Chart cache (report/chart_cache.py figure_png; data/cache/figures/; what `--no-cache` turns off)",
         [("q_nocache", "q", f"`run` {q}, repeated"), ("r_nocache", "r_cold", f"{rng}, first (cold)"),
          ("r_nocache", "r_warm", f"{rng}, repeated (warm)")]),
    ]
    lines = []
    for name, pairs in devices:
        rows = [saving(off, on, what) for off, on, what in pairs if off in runs and on in runs]
        best = max((p for _, p in rows if p is not None), default=None)
        verdict = "-" if best is None or "information" in name else ("**keep**" if best >= THRESHOLD else "**remove**")
        verdict += "" if best is None or abs(best - THRESHOLD) > 2 else " (within 2 points of the threshold: noise decides)"
        lines.append(f"| {name} | | | | |")
        lines += [r for r, _ in rows]
        lines.append(f"| | verdict (best saving {'-' if best is None else f'{best:.1f} %'}; keep at >= {THRESHOLD:.0f} %) | "
                     f"{verdict} | | |")
    aims = []
    for key, limit, what in AIMS:
        w = median(runs.get(key, []), "wall")
        aims.append(f"- {what} <= {limit}x the import: " + ("no measurement (failed)" if w is None else
                    f"{w / ref['wall']:.2f}x, **{'holds' if w / ref['wall'] <= limit else 'does not hold'}**"))
    steps = "\n".join(f"| {s['step']} | {s['seconds']:.1f} |" for s in manifest["steps"])
    failures = [f"- {k} (run {i + 1}): {m['error'][-400:]}" for k, ms in runs.items() for i, m in enumerate(ms) if m["error"]]
    elapsed = sum(m["wall"] for ms in runs.values() for m in ms)
    command = "`.venv/bin/python benchmarks/pipeline.py" + (" --quick" if args.quick else "") + "`"
    text = f"""# Pipeline benchmark

Command: {command} (each command a process of its own; N repetitions alternating, medians).
Run: {started} on {os.cpu_count()} cores, PDF engine {manifest['rendering_engine']}; N = {args.reps} for the import and
each quarter, N = {args.replay_reps} for each replay.
Load average: {load_before} before (the wait for a 1-minute load below {args.wait_load}: {waited}), {load()} after;
1-minute load at the start of the measured commands {min(loads):.2f}-{max(loads):.2f} (the benchmark itself keeps
up to two cores busy). CPU used by other processes while it ran: {max(other, 0):.0f} s, against {elapsed:.0f} s of
wall time measured ({2 * elapsed:.0f} core-seconds on 2 cores).{'' if quiet else ' **The machine never got quiet before the run: wall times are inflated, CPU seconds much less so.**'}

Ratios are to the bare import measured in this run: `python -c "{IMPORT}"`.
CPU is user + system time of the whole process tree (kernels, replay workers, Typst included). Memory: the
largest resident set of any single process, and the largest sum over the process tree at one moment (both the
maximum over the repetitions). Wall range: fastest and slowest repetition. Other processes' CPU: what the rest of
the machine used while the command ran (busy CPU of the machine minus the command's tree; this script's own
memory sampling, about 0.1 s of CPU a second, included): near 0 means the command had the machine to itself.

| what | N | wall (s), median | wall range (s) | wall / import | CPU (s), median | CPU / import | largest process (MiB) | whole tree (MiB) | other processes' CPU meanwhile (s), median |
|---|---|---|---|---|---|---|---|---|---|
{table}

## Aims (issue 23)

{chr(10).join(aims)}

## Speed devices

Saving = (median wall without the device - median wall with it) / median wall without it, for each own-process run
the device serves; the CPU column is the same for CPU seconds. Kept when it saves at least {THRESHOLD:.0f} % of one of them.
A cache of clean data and fitted forecasts (data/cache/clean, forecasts) saved -3 to 0 % in the run of 2026-12-06
18:08 (benchmarks/results/pipeline_notes.md) and was removed; the chart cache is the only cache left.

| device | run it serves | wall: off -> on | saving (wall) | saving (CPU) |
|---|---|---|---|---|
{chr(10).join(lines)}

## Where the time goes in a default repeated `run` (its manifest.json, last repetition)

| step | seconds |
|---|---|
{steps}
{chr(10) + '## Failures' + chr(10) + chr(10) + chr(10).join(failures) + chr(10) if failures else ''}"""
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
