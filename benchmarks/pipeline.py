"""Where the time of a quarter and of a replay goes, next to the floor, measured in one run.

    .venv/bin/python benchmarks/pipeline.py            # about 5 minutes on a quiet 2-core machine
    .venv/bin/python benchmarks/pipeline.py --quick    # skip the 14-quarter replays

Writes benchmarks/results/pipeline.md. Everything runs in a temporary copy of the project
(HAIMEN_MONITOR_ROOT), so data/, reports/ and data/cache/ of the checkout are not touched.

Measured, each as a child process (wall time; CPU = user + system of the whole process tree,
kernels included; memory):
- the floor: a bare Python start, a bare Jupyter kernel start (start, ready, run `pass`, shut down),
  and importing the whole stack in one process (pandas, matplotlib, Great Expectations, papermill,
  nbconvert and every analysis module the notebooks use);
- `python -m analysis run` for the latest quarter, first (cold data/clean) and repeated (warm);
  the per-step times of the warm run come from its manifest.json;
- `replay` of 4 quarters and of 2022Q1-2025Q2 (14 quarters), with the replay cache cold (first) and
  warm (second run of the same range), to show the memory does not grow with the number of quarters;
- then the same `run` and the longer replay handed to the warm service (`python -m analysis serve`,
  started in the temporary project; each command run twice: the first starts what the service keeps,
  the second is the repeated one): the client's wall time; CPU = the client's tree plus what the service,
  its kernels and its replay workers used for that run (from the service's log line); memory: the
  client's largest process, and client plus the service's tree (sampled after the run).
Peak memory: the largest resident set of any single process (getrusage of the waited-for children),
and the largest sum over the process tree (sampled every 0.1 s with psutil).
On a shared machine the wall times are inflated by other work; CPU seconds are the steadier measure.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK = ("import analysis, pandas, matplotlib.pyplot, great_expectations, papermill, nbconvert, "
         "analysis.inputs.clean, analysis.checks.validate, analysis.model.assess, analysis.report.charts, analysis.report.briefing, analysis.report.render")
KERNEL = ("from jupyter_client import KernelManager\n"
          "km = KernelManager(kernel_name='python3'); km.start_kernel(extra_arguments=['--Application.log_level=CRITICAL'])\n"
          "kc = km.blocking_client(); kc.start_channels(); kc.wait_for_ready(timeout=120)\n"
          "kc.execute_interactive('pass', timeout=120); kc.stop_channels(); km.shutdown_kernel(now=True)\n")


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


def measure(cmd: list[str], env: dict) -> dict:
    """Wall, CPU of the process tree, largest single RSS and largest tree RSS of one command."""
    # a fresh wrapper process, so that getrusage(RUSAGE_CHILDREN) counts this command's tree only
    wrapper = ("import json, resource, subprocess, sys\n"
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
               "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "print(json.dumps({'rc': rc.returncode, 'err': rc.stderr[-2000:], 'cpu': u.ru_utime + u.ru_stime, 'maxrss_kib': u.ru_maxrss}))\n")
    peak = [0]
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
    if info["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{info['err']}")
    return {"wall": wall, "cpu": info["cpu"], "max_rss": info["maxrss_kib"] / 1024, "tree_rss": peak[0] / 2**20}


def row(what: str, m: dict) -> str:
    line = f"| {what} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['max_rss']:.0f} | {m['tree_rss']:.0f} |"
    print(line, flush=True)          # progress: the whole benchmark takes minutes
    return line


def through_service(py: list[str], env: dict, commands: list[list[str]]) -> list[list[tuple[dict, float, float]]]:
    """Commands through the warm service: start `serve` in the temp project, wait until it is ready, then run
    each command twice (the first warms what it keeps: data/clean, the kernels, a replay's workers).
    For each run: the client's process tree (wall, CPU, memory), the service's CPU for that run from its own
    log line (getrusage of the service and its reaped children, plus its live descendants: kernels, replay
    workers), and the service tree's resident memory sampled after the run."""
    import re

    runtime = Path(tempfile.mkdtemp(prefix="svc-"))        # short: a socket path must fit in about 100 bytes
    env = {**env, "XDG_RUNTIME_DIR": str(runtime)}
    proc = subprocess.Popen(py + ["-m", "analysis", "serve"], env=env, cwd=env["HAIMEN_MONITOR_ROOT"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()

    def wait_for(pattern: str, count: int = 1) -> re.Match:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            found = [m for m in map(re.compile(pattern).search, list(lines)) if m]
            if len(found) >= count:
                return found[count - 1]
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit("the warm service did not answer:\n" + "".join(lines))

    results: list[list[tuple[dict, float, float]]] = []
    served = 0
    try:
        wait_for(r"^Ready")
        for argv in commands:
            results.append([])
            for _ in range(2):
                m = measure(py + ["-m", "analysis", *argv], env)
                served += 1
                line = wait_for(r": exit 0, ([\d.]+) s wall, ([\d.]+) s CPU", served)
                results[-1].append((m, float(line.group(2)), _tree_rss(proc.pid) / 2**20))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(runtime, ignore_errors=True)
    return results


def served_row(what: str, run: tuple[dict, float, float]) -> str:
    """A table row for a command run through the service: the client's measurement plus the service's share."""
    client, service_cpu, service_rss = run
    return row(f"{what} (`serve` running; CPU: client {client['cpu']:.1f} s + service, kernels and workers "
               f"{service_cpu:.1f} s; whole tree: client + service {service_rss:.0f} MiB)",
               {**client, "cpu": client["cpu"] + service_cpu, "tree_rss": client["tree_rss"] + service_rss})


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 14-quarter replays")
    parser.add_argument("--cold-only", action="store_true", help="each replay once, with the cache cold")
    parser.add_argument("--replay-from", default="2022Q1")
    parser.add_argument("--replay-to", default="2025Q2")
    parser.add_argument("--short-from", default="2024Q3", help="first quarter of the short replay (4 quarters)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pipeline.md"))
    args = parser.parse_args()
    load_before = load()
    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    rows: list[str] = []
    try:
        shutil.copytree(ROOT, work / "p", ignore=shutil.ignore_patterns(
            ".venv", ".git", "reports", "clean", "cache", "scratch", "__pycache__", ".pytest_cache"))
        root = work / "p"
        env = {**os.environ, "HAIMEN_MONITOR_ROOT": str(root), "PYTHONPATH": str(root / "src"),
               "MPLCONFIGDIR": str(work / "mpl")}
        py = [sys.executable]
        rows.append(row("floor: bare Python start (`python -c pass`)", measure(py + ["-c", "pass"], env)))
        rows.append(row("floor: bare Jupyter kernel start (start, ready, `pass`, shut down)", measure(py + ["-c", KERNEL], env)))
        rows.append(row("floor: importing the whole stack in one process", measure(py + ["-c", STACK], env)))
        first = measure(py + ["-m", "analysis", "run"], env)
        manifest = json.loads(next((root / "reports").glob("*/manifest.json")).read_text(encoding="utf-8"))
        quarter = manifest["as_of"]
        rows.append(row(f"`run` {quarter}, first (cold data/clean)", first))
        warm = measure(py + ["-m", "analysis", "run"], env)
        rows.append(row(f"`run` {quarter}, repeated (warm)", warm))
        manifest = json.loads((root / "reports" / quarter / "manifest.json").read_text(encoding="utf-8"))
        ranges = [(args.short_from, args.replay_to)] + ([] if args.quick else [(args.replay_from, args.replay_to)])
        for first_q, last_q in ranges:
            shutil.rmtree(root / "data" / "cache", ignore_errors=True)
            for label in ("cache cold",) if args.cold_only else ("cache cold", "cache warm"):
                m = measure(py + ["-m", "analysis", "replay", "--from", first_q, "--to", last_q], env)
                n = len(json.loads((root / "reports" / f"replay_{first_q}_{last_q}" / "outcomes.json").read_text()))
                rows.append(row(f"`replay --from {first_q} --to {last_q}` ({n} quarters, {label})", m))
        first_q, last_q = ranges[-1]
        replay = ["replay", "--from", first_q, "--to", last_q]
        (_, run), (cold_workers, warm_workers) = through_service(py, env, [["run"], replay])
        rows.append(served_row(f"`run` {quarter} through the warm service, repeated", run))
        rows.append(served_row(f"`replay --from {first_q} --to {last_q}` through the warm service, first (workers started, "
                               "cache warm)", cold_workers))
        rows.append(served_row(f"`replay --from {first_q} --to {last_q}` through the warm service, repeated (workers "
                               "kept)", warm_workers))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    steps = "\n".join(f"| {s['step']} | {s['seconds']:.1f} |" for s in manifest["steps"])
    table = "\n".join(rows)
    text = f"""# Pipeline benchmark

Command: `.venv/bin/python benchmarks/pipeline.py{' --quick' if args.quick else ''}{' --cold-only' if args.cold_only else ''}`
Run: {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, PDF engine {manifest['rendering_engine']};
load average {load_before} before, {load()} after (2 on this machine means both cores were
already busy with other work: wall times are then inflated, CPU seconds much less so).

CPU is user + system time of the whole process tree (kernels, Typst included). Memory: the largest
resident set of any single process, and the largest sum over the process tree at one moment.

| what | wall (s) | CPU (s) | largest process (MiB) | whole tree (MiB) |
|---|---|---|---|---|
{table}

Aims (issue 14): a quarter in 10 s warm, the 14-quarter replay in 60 s, on 2 cores.

## Where the time goes (the repeated run, from its manifest.json)

| step | seconds |
|---|---|
{steps}

02 and 03 run side by side; validation.pdf and each briefing language's PDF render while the next
notebook runs. Two kernels a quarter, started ahead of need: 01, 03 and both briefings in one, 02 in
the other. A replay worker runs every notebook in one kernel, kept for all its quarters (the other worker
keeps the second core busy), and the warm service keeps the workers for the next replay
(src/analysis/run/kernels.py, replay.py, service.py); see README "Speed" for the replay cache.
"""
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
