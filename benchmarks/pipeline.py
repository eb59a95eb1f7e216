"""Wall time and peak memory of the quarterly pipeline and of the replay.

    .venv/bin/python benchmarks/pipeline.py [--replay-from 2024Q1 --replay-to 2025Q2]

Runs `python -m analysis run` twice (first run with a cold data/clean, then a
repeated run) and the replay, each as a child process so that its peak memory
(max RSS of the process tree) is measured; writes benchmarks/results/pipeline.md
with where the time goes (the per-step times from manifest.json).
Outputs go to a temporary folder; data/ and reports/ of the checkout are not touched.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024      # MiB (ru_maxrss is KiB on Linux)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replay-from", default="2024Q1")
    parser.add_argument("--replay-to", default="2025Q2")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pipeline.md"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    try:
        # a copy of the project so that data/clean and reports/ of the checkout stay as they are
        shutil.copytree(ROOT, work / "p", ignore=shutil.ignore_patterns(".venv", ".git", "reports", "clean", "__pycache__"))
        env = {**os.environ, "HAIMEN_MONITOR_ROOT": str(work / "p"), "PYTHONPATH": str(work / "p" / "src")}
        py = [sys.executable, "-m", "analysis"]
        first = timed(py + ["run"], env)
        manifest = json.loads(next((work / "p" / "reports").glob("*/manifest.json")).read_text(encoding="utf-8"))
        repeat = timed(py + ["run"], env)
        rep = timed(py + ["replay", "--from", args.replay_from, "--to", args.replay_to], env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    steps = "\n".join(f"| {s['step']} | {s['seconds']:.1f} |" for s in manifest["steps"])
    text = f"""# Pipeline benchmark

Command: `.venv/bin/python benchmarks/pipeline.py --replay-from {args.replay_from} --replay-to {args.replay_to}`
Run: {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, PDF engine {manifest['rendering_engine']}.
Peak memory is the largest resident set of any process of the run (the kernels included).

| what | wall time (s) | peak memory (MiB) |
|---|---|---|
| `run` for {manifest['as_of']}, first (cold data/clean) | {first[0]:.1f} | {first[1]:.0f} |
| `run` for {manifest['as_of']}, repeated | {repeat[0]:.1f} | {repeat[1]:.0f} |
| `replay --from {args.replay_from} --to {args.replay_to}` | {rep[0]:.1f} | {rep[1]:.0f} |

Aim (issue 5): one quarter in under 20 s once installed.

## Where the time goes (first run, from manifest.json)

| step | seconds |
|---|---|
{steps}

Steps 02 and 03 run side by side, and so do the two briefings, so the step
times add up to more than the wall time. Each notebook step starts a fresh
Jupyter kernel (about 2 s of Python and library imports each, five kernels
per quarter); validation spends most of its time inside Great Expectations
(one checkpoint per table, then one Data Docs build).
"""
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
