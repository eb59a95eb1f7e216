"""The replay: every quarter of a range briefed as it would have been then, in worker processes, then the
evolution report (report/evolution.py). Split from pipeline.py, which runs one quarter; this module only
schedules quarters, keeps each worker's kernel for the quarters it runs and collects what they published.
The workers live as long as one replay: nothing stays running after the command returns.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core import paths, storage
from analysis.core.errors import OPTION_NOTE, InputError, Problem
from analysis.run.pipeline import KERNEL_ARGS, fresh_kernels, prepare_folders, run_quarter
from analysis.core.quarters import Quarter

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from analysis.run.kernels import KernelPool


_WORKER_POOL: "KernelPool | None" = None      # this worker process's own kernel (set in the worker only)
STOPPED = "stopped"     # in a replay's work folder: it was cut short, its workers stop waiting for earlier quarters


def _worker_pool() -> "KernelPool":
    """The replay worker's kernels, kept for all the quarters it runs and shut down when the worker exits."""
    global _WORKER_POOL
    if _WORKER_POOL is None:
        from multiprocessing import util

        from analysis.run.kernels import KernelPool
        # one kernel for every notebook: the other workers keep the other cores busy (kernels.KernelPool)
        _WORKER_POOL = KernelPool(paths.NOTEBOOKS_DIR, KERNEL_ARGS, lanes={})
        util.Finalize(_WORKER_POOL, _WORKER_POOL.close, exitpriority=10)
    return _WORKER_POOL


def _worker_start() -> None:
    """In each replay worker, before its first quarter. Ctrl-C is left to the parent, which stops the replay
    through the STOPPED marker (an idle worker interrupted by a terminal's Ctrl-C printed a traceback). A worker
    whose parent died (kill -9, out of memory: nothing tells a spawned worker) shuts its kernel down and exits
    within a second, so a killed replay leaves no worker or kernel behind."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if not fresh_kernels():
        # the kernel starts (and imports the stack, Great Expectations included) while this worker imports
        # what run_quarter needs and waits for its first quarter: the first quarters finish about 0.5 s sooner
        _worker_pool().ensure("02_validate.ipynb")

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        if _WORKER_POOL is not None:
            _WORKER_POOL.close()
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def worker_processes(count: int) -> "ProcessPoolExecutor":
    """A pool of count replay workers, started and stopped by replay()."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: forking a process that holds threads (kernel clients, pandas' pools) can deadlock
    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start)


def _wait_for(marker: Path, work_dir: Path) -> None:
    """Wait for the previous quarter's done-marker; give up when the replay was stopped (_stop), so that a worker
    never waits for a quarter that will not run."""
    while not marker.exists():
        if (work_dir / STOPPED).exists() or not work_dir.is_dir():
            raise RuntimeError(f"the replay that ran in {work_dir} stopped")
        time.sleep(0.1)


def _stop(work: Path, futures: list) -> None:
    """A replay cut short (Ctrl-C, a crash): queued quarters are cancelled, and the running ones are waited for
    (a wait for an earlier quarter ends at the STOPPED marker), so that nothing still writes in work when it is removed."""
    from concurrent.futures import wait

    for future in futures:
        future.cancel()
    try:
        (work / STOPPED).touch()
    except OSError:
        pass
    wait(futures)


def _replay_one(args: tuple) -> tuple[str, str, float]:
    """One quarter of a replay, in a worker process. Jobs start in quarter order, so the previous quarter has
    always started (on another worker) or finished: waiting for its done-marker cannot deadlock."""
    label, reports_dir, work_dir, raw_dir, engine, previous, cache_dir, full = args
    t0 = time.perf_counter()
    if (Path(work_dir) / STOPPED).exists() or not Path(work_dir).is_dir():
        return label, "stopped", 0.0     # handed to this worker before the replay was stopped (_stop)
    done = Path(work_dir) / "done"
    wait = (lambda: _wait_for(done / previous, Path(work_dir))) if previous else None
    try:
        run_quarter(label, langs=("zh",), engine=engine, reports_dir=Path(reports_dir),
                    clean_dir=Path(work_dir) / label / "clean", raw_dir=Path(raw_dir), progress=lambda *_: None,
                    pool=_worker_pool(), cache_dir=Path(cache_dir) if cache_dir else None, before_changes=wait,
                    full=full)
        return label, "ok", time.perf_counter() - t0
    except InputError as exc:
        return label, str(exc), time.perf_counter() - t0
    finally:
        if wait is not None:
            wait()              # even a failed quarter: the next one compares with what was published before
        try:
            done.mkdir(exist_ok=True)
            (done / label).touch()
        except FileNotFoundError:
            pass                # the replay was stopped and its work folder removed
        _release_memory()


def _release_memory() -> None:
    """Give freed heap back to the system between a worker's quarters (glibc only; elsewhere nothing).

    A replay worker's resident memory grew by 50-80 MB a quarter while its Python objects did not
    (tracemalloc): glibc keeps freed blocks in per-thread arenas, and every quarter runs new threads.
    """
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter label from first to last; a reversed range is an input error, not an empty replay."""
    q, end = Quarter.parse(first), Quarter.parse(last)
    if q > end:
        raise InputError([Problem("--from/--to", f"the range {q.label} to {end.label} runs backwards / 起止季度顺序颠倒",
                                  f"give the earlier quarter first: --from {end.label} --to {q.label}")], note=OPTION_NOTE)
    quarters = []
    while q <= end:
        quarters.append(q.label)
        q = q.next()
    return quarters


def replay(first: str, last: str, workers: int | None = None, engine: str = "auto",
           reports_dir: Path = paths.REPORTS_DIR, raw_dir: Path = paths.RAW_DIR, progress=print,
           cache_dir: Path | None = None, full: bool = False) -> Path:
    """Every quarter first..last as it would have been briefed then, in parallel; then the evolution pages.

    Each quarter gets its own clean folder (data/clean is left alone) and its own folder
    reports/replay_<first>_<last>/<quarter>/ (Chinese briefing only, to save time; the regular
    reports/<quarter>/ folders are left alone). The evolution of the verdicts, P(target met) and the
    projection of every target with data goes to reports/replay_<first>_<last>/evolution.zh.pdf and
    evolution.en.pdf (evolution.py), the figures each quarter newly saw to arrivals.csv. One progress
    line per quarter as it finishes: a replay takes minutes.

    Each worker process keeps its warm kernels for all its quarters (kernels.py). Quarters start in order;
    each compares with the previous quarter of the range ("what changed": changes.csv and the briefing's
    paragraph), waiting for it if needed, so the outputs do not depend on which worker finished first.
    cache_dir (the command line passes data/cache/; None: off): a quarter that sees the same inputs as one run before
    reuses its charts (report/chart_cache.py); the outputs are identical either way.
    full (the command line's --full): each quarter also gets validation.pdf, the Data Docs site, 02's coverage
    chart and the Word briefing. Left out by default (run_quarter's full=False): they restate what the quarter's
    folder already holds (the executed 02 notebook, validation/results.json, 01's coverage table, briefing.zh.pdf),
    and leaving them out saves about 3.5 s of CPU a quarter; `python -m analysis run --as-of <quarter>` gives any
    quarter's full report.
    """
    from concurrent.futures import as_completed

    quarters = quarter_range(first, last)
    if workers is not None and workers < 1:
        raise InputError([Problem("--workers", f"{workers} is not a number of processes / 进程数必须为正整数",
                                  "give 1 or more, or leave it out (one per core)")], note=OPTION_NOTE)
    reports_dir = Path(reports_dir)
    out = reports_dir / f"replay_{quarters[0]}_{quarters[-1]}"
    prepare_folders(out)
    work = storage.new_staging_dir(reports_dir / "replay-work")     # removed at the end, or at the next start
    runs = work / "reports"
    jobs = [(label, str(runs), str(work), str(raw_dir), engine, previous, str(cache_dir) if cache_dir else None, full)
            for previous, label in zip([None, *quarters], quarters)]
    cores = max(1, os.cpu_count() or 1)
    # the evolution pages' imports (matplotlib: 1.5-2 s) while this process only waits for the workers
    threading.Thread(target=_import_evolution, daemon=True).start()

    try:
        outcomes: dict[str, str] = {}
        started = time.perf_counter()
        with worker_processes(workers or min(len(jobs), cores)) as pool:
            futures = [pool.submit(_replay_one, job) for job in jobs]
            # the English evolution pages are drawn in the first worker to run out of quarters (it imports their
            # code while the last quarter runs), beside the Chinese ones drawn here: about 1.3 s sooner
            english = pool.submit(_evolution_pages, str(work), quarters, str(raw_dir), "en")
            try:
                for done, future in enumerate(as_completed(futures), 1):
                    label, status, seconds = future.result()
                    outcomes[label] = status
                    progress(f"  [{done}/{len(jobs)}] {label}: {'done' if status == 'ok' else 'FAILED: ' + status.splitlines()[0]}"
                             f" ({seconds:.0f} s; {time.perf_counter() - started:.0f} s elapsed)")
                outcomes = {label: outcomes[label] for label in quarters}
                _publish_replay(out, work, quarters, outcomes, Path(raw_dir), english)
            except BaseException:
                _stop(work, [*futures, english])
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


HISTORY_FILE = "history.pkl"    # in the replay's work folder: every ok quarter's assessment, for _evolution_pages


def _history(runs: Path, quarters: list[str], outcomes: dict[str, str]) -> "pd.DataFrame":
    """Every quarter's assessment.csv (the quarters that ran to the end), one after the other."""
    import pandas as pd

    tables = [pd.read_csv(runs / label / "assessment.csv", encoding="utf-8-sig") for label in quarters
              if outcomes.get(label) == "ok" and (runs / label / "assessment.csv").exists()]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def _publish_replay(out: Path, work: Path, quarters: list[str], outcomes: dict[str, str], raw_dir: Path,
                    english) -> None:
    """The quarters' folders, evolution.csv, arrivals.csv, both languages' pages and outcomes.json, into out at once."""
    from analysis.report.evolution import write_evolution

    runs = work / "reports"
    history = _history(runs, quarters, outcomes)
    ready = work / f".{HISTORY_FILE}.tmp"
    history.to_pickle(ready)
    os.replace(ready, work / HISTORY_FILE)         # whole or absent: the worker drawing the English pages waits for it
    with storage.staged_dir(out) as tmp:
        for label in quarters:
            if (runs / label).exists():
                shutil.move(str(runs / label), tmp / label)
        storage.write_csv(history, tmp / "evolution.csv")
        write_evolution(history, quarters, raw_dir, tmp, langs=("zh",))
        english.result()
        shutil.move(str(work / "evolution.en.pdf"), tmp / "evolution.en.pdf")
        storage.write_json(tmp / "outcomes.json", outcomes)


def _evolution_pages(work_dir: str, quarters: list[str], raw_dir: str, lang: str) -> None:
    """In a replay worker: import the pages' code, wait for the history the parent writes when every quarter is
    done (or for the replay to stop), and draw work_dir/evolution.<lang>.pdf from it."""
    import pandas as pd

    from analysis.core.config import load_config
    from analysis.report.evolution import arrivals_or_none, evolution_pdf

    work = Path(work_dir)
    _wait_for(work / HISTORY_FILE, work)
    cfg = load_config()
    evolution_pdf(pd.read_pickle(work / HISTORY_FILE), quarters, arrivals_or_none(Path(raw_dir), cfg, quarters),
                  work / f"evolution.{lang}.pdf", cfg, lang)


def _import_evolution() -> None:
    import analysis.report.evolution  # noqa: F401
