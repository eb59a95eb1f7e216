"""The quarterly pipeline: notebooks executed in order with papermill, outputs published whole.

Each stage's notebook is thin (parameters, calls into analysis, what a reader
sees); this module runs them for a quarter, keeps the executed copies and
renders the PDFs. Every stage writes into a temporary folder that replaces
the published one only when the stage has finished, so a failed or
interrupted run leaves the last good reports in place.
"""
from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import paths, storage
from .errors import InputError, Problem
from .quarters import Quarter


def execute_notebook(name: str, output: Path, parameters: dict) -> None:
    """Run notebooks/<name> in a fresh kernel with papermill; a failure becomes a clear InputError."""
    import papermill as pm

    try:
        pm.execute_notebook(str(paths.NOTEBOOKS_DIR / name), str(output), parameters=parameters,
                            cwd=str(paths.NOTEBOOKS_DIR), progress_bar=False, kernel_name="python3")
    except pm.PapermillExecutionError as exc:
        raise InputError([Problem(f"notebooks/{name}", f"stopped in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
                                  f"open the executed copy {paths.relative(output)} to see where; the previous reports are unchanged")]) from None


def validate_quarter(as_of: str | None = None, engine: str = "auto", reports_dir: Path = paths.REPORTS_DIR,
                     clean_dir: Path = paths.CLEAN_DIR, raw_dir: Path = paths.RAW_DIR) -> dict:
    """Clean, then validate and publish reports/<as_of>/validation/ (Data Docs, results.json, validation.pdf).

    The report is published even when an error-severity check fails; then ValidationFailed is raised.
    """
    from .clean import run_clean
    from .validate import raise_on_errors

    result = run_clean(as_of, raw_dir=raw_dir, out_dir=clean_dir)
    quarter: Quarter = result.as_of
    target = Path(reports_dir) / quarter.label / "validation"
    with storage.staged_dir(target) as tmp:
        results = validation_report(tmp / "02_validate.ipynb", tmp, engine, {
            "as_of": quarter.label, "clean_dir": str(clean_dir), "raw_dir": str(raw_dir)})
    raise_on_errors(results, paths.relative(target / "validation.pdf"))
    return results


def validation_report(notebook: Path, out_dir: Path, engine: str, parameters: dict) -> dict:
    """Run 02_validate into out_dir (Data Docs, results.json), render validation.pdf there; return the results."""
    from .render import render_notebook

    execute_notebook("02_validate.ipynb", notebook, {**parameters, "out_dir": str(out_dir)})
    render_notebook(notebook, Path(out_dir) / "validation.pdf", lang="zh", engine=engine,
                    title="数据验证报告 Data validation report")
    return json.loads((Path(out_dir) / "results.json").read_text(encoding="utf-8"))


def _manifest(quarter: Quarter, hashes: dict, started: datetime, engine: str, langs: list[str], steps: list) -> dict:
    from . import provenance

    return {"as_of": quarter.label, "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now().isoformat(timespec="seconds"), "git_commit": provenance.git_commit(),
            "rendering_engine": engine, "languages": langs, "input_files": hashes,
            "packages": provenance.package_versions(), "steps": [{"step": s, "seconds": round(t, 2)} for s, t in steps]}


def run_quarter(as_of: str | None = None, langs: tuple[str, ...] = ("zh", "en"), engine: str = "auto",
                reports_dir: Path = paths.REPORTS_DIR, clean_dir: Path = paths.CLEAN_DIR, raw_dir: Path = paths.RAW_DIR,
                progress=print) -> Path:
    """Raw files to reports/<as_of>/ for one quarter; the folder is replaced only when everything succeeded.

    Steps: read the raw files (stops here with the clear message if one is bad), 01 clean, 02 validate (+ PDF;
    an error-severity check stops the run, its report goes to reports/<as_of>.failed/), 03 forecast,
    04 briefing per language (+ PDF), manifest.json.
    """
    from .clean import resolve_as_of
    from .config import load_config
    from .ingest import ingest
    from .render import choose_engine, render_notebook
    from .validate import ValidationFailed, raise_on_errors

    started = datetime.now()
    steps: list[tuple[str, float]] = []
    engine = choose_engine(engine)

    def step(name: str, func, *args, **kwargs):
        t0 = time.perf_counter()
        out = func(*args, **kwargs)
        steps.append((name, time.perf_counter() - t0))
        progress(f"  [{len(steps)}] {name}: {steps[-1][1]:.1f} s")
        return out

    cfg = load_config()
    obs, hashes = step("read and check raw files", ingest, Path(raw_dir), cfg)
    quarter = resolve_as_of(as_of, obs, cfg)
    common = {"as_of": quarter.label, "clean_dir": str(clean_dir), "raw_dir": str(raw_dir)}
    target = Path(reports_dir) / quarter.label
    with storage.staged_dir(target) as tmp:
        nbs = tmp / "notebooks"
        nbs.mkdir()
        step("01 clean", execute_notebook, "01_clean.ipynb", nbs / "01_clean.ipynb",
             {"as_of": quarter.label, "raw_dir": str(raw_dir), "out_dir": str(clean_dir)})
        val = tmp / "validation"
        # 02 and 03 both read only what 01 wrote: run them side by side (each in its own kernel)
        with ThreadPoolExecutor(max_workers=2) as pool:
            forecast = pool.submit(step, "03 forecast", execute_notebook, "03_forecast.ipynb", nbs / "03_forecast.ipynb",
                                   {**common, "out_dir": str(tmp)})
            results = step("02 validate + validation.pdf", validation_report, nbs / "02_validate.ipynb", val, engine, common)
            forecast.result()
        try:
            raise_on_errors(results, paths.relative(target / "validation" / "validation.pdf"))
        except ValidationFailed:
            failed = Path(reports_dir) / f"{quarter.label}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            shutil.copytree(tmp, failed)
            raise
        from .changes import write_changes      # against the published reports_dir/<earlier quarter>/, never a staging folder
        step("what changed (changes.csv)", write_changes, tmp, Path(reports_dir), quarter)

        def brief(lang: str) -> None:
            nb = nbs / f"04_briefing.{lang}.ipynb"
            step(f"04 briefing ({lang})", execute_notebook, "04_briefing.ipynb", nb,
                 {**common, "lang": lang, "report_dir": str(tmp)})
            step(f"04 briefing.{lang}.pdf", render_notebook, nb, tmp / f"briefing.{lang}.pdf", lang, engine,
                 "目标监测简报" if lang == "zh" else "Target briefing")

        with ThreadPoolExecutor(max_workers=2) as pool:        # the languages are independent
            for future in [pool.submit(brief, lang) for lang in langs]:
                future.result()
        storage.write_json(tmp / "manifest.json", _manifest(quarter, hashes, started, engine, list(langs), steps))
    shutil.rmtree(Path(reports_dir) / f"{quarter.label}.failed", ignore_errors=True)
    return target


def _replay_one(args: tuple) -> tuple[str, str]:
    label, reports_dir, work_dir, raw_dir, engine = args
    try:
        run_quarter(label, langs=("zh",), engine=engine, reports_dir=Path(reports_dir),
                    clean_dir=Path(work_dir) / label / "clean", raw_dir=Path(raw_dir), progress=lambda *_: None)
        return label, "ok"
    except InputError as exc:
        return label, str(exc)


def replay(first: str, last: str, workers: int | None = None, engine: str = "auto",
           reports_dir: Path = paths.REPORTS_DIR, raw_dir: Path = paths.RAW_DIR, progress=print) -> Path:
    """Every quarter first..last as it would have been briefed then, in parallel; then the evolution pages.

    Each quarter gets its own clean folder (data/clean keeps the latest run's data) and its own folder
    reports/replay_<first>_<last>/<quarter>/ (Chinese briefing only, to save time; the regular
    reports/<quarter>/ folders are left alone). The evolution of P(target met) and of the projection for
    each headline target goes to reports/replay_<first>_<last>/evolution.pdf.
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    q, end = Quarter.parse(first), Quarter.parse(last)
    quarters = []
    while q <= end:
        quarters.append(q.label)
        q = q.next()
    out = Path(reports_dir) / f"replay_{first}_{last}"
    work = Path(reports_dir) / f".replay-work-{os.getpid()}"
    runs = work / "reports"
    jobs = [(label, str(runs), str(work), str(raw_dir), engine) for label in quarters]
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    from .charts import evolution_pages

    try:
        # spawn, not fork: the parent may hold kernel-client threads, and forking those deadlocks
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            outcomes = dict(pool.map(_replay_one, jobs))
        for label, status in outcomes.items():
            progress(f"  {label}: {'done' if status == 'ok' else 'FAILED: ' + status.splitlines()[0]}")
        tables = [pd.read_csv(runs / label / "assessment.csv", encoding="utf-8-sig") for label in quarters
                  if outcomes.get(label) == "ok" and (runs / label / "assessment.csv").exists()]
        history = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
        with storage.staged_dir(out) as tmp:
            for label in quarters:
                if (runs / label).exists():
                    shutil.move(str(runs / label), tmp / label)
            history.to_csv(tmp / "evolution.csv", index=False, encoding="utf-8-sig")
            evolution_pages(history, tmp / "evolution.pdf")
            storage.write_json(tmp / "outcomes.json", outcomes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
