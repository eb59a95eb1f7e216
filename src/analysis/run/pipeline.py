"""The quarterly pipeline: notebooks executed in order with papermill, outputs published whole.

Each stage's notebook is thin (parameters, calls into analysis, what a reader
sees); this module runs them for a quarter, keeps the executed copies and
renders the PDFs. A run writes its reports and its clean data into staging
folders; both are swapped in only when the whole run has succeeded, so a
failed or interrupted run leaves data/clean/ and reports/<quarter>/ exactly
as they were. What a failed run wrote goes to reports/<quarter>.failed/ and
the message names the files there. Rerunning a quarter keeps every version
published before under reports/<quarter>/history/<timestamp>/.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING


from analysis.core import paths, storage
from analysis.core.errors import InputError, Problem
from analysis.run.guards import interrupts_held, run_lock
from analysis.run.manifest import manifest, next_version
from analysis.core.quarters import Quarter

if TYPE_CHECKING:
    from analysis.run.kernels import KernelPool

# The kernel's own log says "Kernel is running over TCP without encryption" at every start (five
# times a run) and "KeyboardInterrupt caught in kernel" when it is shut down; kernels here are local
# and short-lived, and a failing cell reaches us through papermill, so the kernel's log stays quiet.
KERNEL_ARGS = ["--Application.log_level=CRITICAL"]


def fresh_kernels() -> bool:
    """HAIMEN_NO_KERNEL_POOL=1 in the environment (benchmarks/pipeline.py only; not a user setting): every notebook
    runs in a fresh kernel, none started ahead or reused, to measure what kernel reuse (kernels.py) saves."""
    return bool(os.environ.get("HAIMEN_NO_KERNEL_POOL"))


def execute_notebook(name: str, output: Path, parameters: dict, shown_as: Path | None = None,
                     pool: "KernelPool | None" = None) -> None:
    """Run notebooks/<name> with papermill, in a warm kernel from pool (else a fresh one); a failure becomes a clear InputError.

    shown_as is where the executed copy will be when the user reads the message (the staging
    folder is gone by then: a failed run's copy lives in reports/<quarter>.failed/).
    """
    import papermill as pm

    try:
        if pool is not None and fresh_kernels():     # the benchmark's switch: as the pooled call, in a fresh kernel
            pm.execute_notebook(str(paths.NOTEBOOKS_DIR / name), str(output), parameters=parameters, progress_bar=False,
                                kernel_name="python3", request_save_on_cell_execute=False,
                                extra_arguments=[*KERNEL_ARGS, "--HistoryManager.hist_file=:memory:"],   # as kernels.py
                                resources={"metadata": {"path": str(paths.NOTEBOOKS_DIR)}})   # cwd without chdir
        elif pool is None:
            pm.execute_notebook(str(paths.NOTEBOOKS_DIR / name), str(output), parameters=parameters,
                                cwd=str(paths.NOTEBOOKS_DIR), progress_bar=False, kernel_name="python3",
                                extra_arguments=KERNEL_ARGS)
        else:
            from analysis.run.engine import ENGINE
            # no cwd= here: papermill would chdir the whole process, and these run in threads; the pooled
            # kernel was started in notebooks/ already (kernels.py). The executed copy is written once at the
            # end (and when a cell fails), not twice per cell: nobody reads a staging folder while it runs,
            # and re-encoding a notebook with its charts after every cell cost about 1 s of CPU a quarter
            with pool.kernel(name) as km:
                pm.execute_notebook(str(paths.NOTEBOOKS_DIR / name), str(output), parameters=parameters,
                                    progress_bar=False, kernel_name="python3", engine_name=ENGINE, km=km,
                                    request_save_on_cell_execute=False)
    except pm.PapermillExecutionError as exc:
        raise InputError([Problem(f"notebooks/{name}", f"stopped in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
                                  f"open the executed copy {paths.relative(shown_as or output)} to see where")]) from None


def prepare_folders(*folders: Path) -> None:
    """Remove what interrupted runs left (staging folders) in each folder's parent; fail early if unwritable."""
    for folder in folders:
        storage.clean_leftovers(Path(folder).parent)
        storage.check_writable(Path(folder))


def failed_note(quarter: Quarter, failed: Path, clean_dir: Path) -> str:
    """The head of a failed run's message: what changed (only the .failed folder) and what did not."""
    return (f"the run stopped; {paths.relative(clean_dir)}/ and {paths.relative(failed.parent / quarter.label)}/ are unchanged, "
            f"what this run wrote is in {paths.relative(failed)}/ / 运行已停止，已发布的数据和报告未改动，"
            f"本次运行的输出见 {paths.relative(failed)}/:")


def _keep_failed(tmp: Path, failed: Path) -> None:
    """A failed run's folder becomes reports/<quarter>.failed/ (the previous failure is replaced)."""
    try:
        storage.swap_in(tmp, failed)
    except InputError:
        pass                      # the original failure matters more than a copy that could not be kept


def validate_quarter(as_of: str | None = None, engine: str = "auto", reports_dir: Path = paths.REPORTS_DIR,
                     clean_dir: Path = paths.CLEAN_DIR, raw_dir: Path = paths.RAW_DIR,
                     pool: "KernelPool | None" = None) -> dict:
    """Clean and validate without publishing a quarter; results["report_dir"] says where the report went.

    Passing: the report goes to reports/scratch/<as_of>/validation/ and the clean data to data/clean.
    Failing (an error-severity check): the report goes to reports/<as_of>.failed/validation/, data/clean
    is unchanged and ValidationFailed names that report. A published reports/<as_of>/ is never touched.
    """
    from analysis.inputs.clean import run_clean
    from analysis.checks.validate import ValidationFailed, raise_on_errors, raw_locator

    reports_dir, clean_dir = Path(reports_dir), Path(clean_dir)
    with run_lock(clean_dir):      # one run at a time per clean folder (guards.py)
        prepare_folders(clean_dir, reports_dir / "scratch")
        clean_stage = storage.new_staging_dir(clean_dir)
        stage = None
        try:
            result = run_clean(as_of, raw_dir=raw_dir, out_dir=clean_stage)
            quarter: Quarter = result.as_of
            failed = reports_dir / f"{quarter.label}.failed"
            stage = storage.new_staging_dir(failed)
            try:
                results = validation_report(stage / "validation" / "02_validate.ipynb", stage / "validation", engine, {
                    "as_of": quarter.label, "clean_dir": str(clean_stage), "raw_dir": str(raw_dir)},
                    failed / "validation" / "02_validate.ipynb", pool)
            except InputError:                       # the notebook stopped: keep it where the message says it is
                _keep_failed(stage, failed)
                raise
            try:
                raise_on_errors(results, paths.relative(failed / "validation" / "validation.pdf"), raw_locator())
            except ValidationFailed as exc:
                exc.note = failed_note(quarter, failed, clean_dir)
                _keep_failed(stage, failed)
                raise
            target = reports_dir / "scratch" / quarter.label / "validation"
            target.parent.mkdir(parents=True, exist_ok=True)
            with interrupts_held():              # both swaps or neither, as a run's publication (guards.py)
                storage.swap_in(stage / "validation", target)
                storage.swap_in(clean_stage, clean_dir)
            return {**results, "report_dir": str(target)}
        finally:
            for folder in (clean_stage, stage):
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)


def validation_report(notebook: Path, out_dir: Path, engine: str, parameters: dict, shown_as: Path | None = None,
                      pool: "KernelPool | None" = None) -> dict:
    """Run 02_validate into out_dir (Data Docs, results.json), render validation.pdf there; return the results."""
    results = validation_notebook(notebook, out_dir, parameters, shown_as, pool)
    validation_pdf(notebook, out_dir, engine)
    return results


def validation_notebook(notebook: Path, out_dir: Path, parameters: dict, shown_as: Path | None = None,
                        pool: "KernelPool | None" = None) -> dict:
    """Run 02_validate into out_dir (Data Docs, results.json); return the results."""
    Path(notebook).parent.mkdir(parents=True, exist_ok=True)
    execute_notebook("02_validate.ipynb", notebook, {**parameters, "out_dir": str(out_dir)}, shown_as=shown_as, pool=pool)
    return json.loads((Path(out_dir) / "results.json").read_text(encoding="utf-8"))


def validation_pdf(notebook: Path, out_dir: Path, engine: str) -> None:
    """Render the executed 02_validate to out_dir/validation.pdf."""
    from analysis.report.render import render_notebook

    render_notebook(notebook, Path(out_dir) / "validation.pdf", lang="zh", engine=engine,
                    title="数据验证报告 Data validation report")


class Steps:
    """Runs a step, times it and prints its numbered line: `step(name, func, *args)` returns func(*args).

    Steps run side by side (validation beside the forecast, PDFs beside the next notebook), so a line is
    recorded and printed under a lock: else print's text and newline from two threads interleave, and two
    steps can take the same number."""

    def __init__(self, progress):
        self.progress = progress
        self.done: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, func, *args, **kwargs):
        t0 = time.perf_counter()
        out = func(*args, **kwargs)
        with self._lock:
            self.done.append((name, time.perf_counter() - t0))
            self.progress(f"  [{len(self.done)}] {name}: {self.done[-1][1]:.1f} s")
        return out


def run_quarter(as_of: str | None = None, langs: tuple[str, ...] = ("zh", "en"), engine: str = "auto",
                reports_dir: Path = paths.REPORTS_DIR, clean_dir: Path = paths.CLEAN_DIR, raw_dir: Path = paths.RAW_DIR,
                progress=print, pool: "KernelPool | None" = None, cache_dir: Path | None = None,
                before_changes=None, full: bool = True) -> Path:
    """Raw files to reports/<as_of>/ for one quarter; the folder and data/clean change only when everything succeeded.

    Steps: read the raw files (stops here with the clear message if one is bad), 01 clean, 02 validate (+ PDF;
    an error-severity check stops the run), 03 forecast, 04 briefing per language (+ PDF and .docx), manifest.json.
    Any failure leaves the run's folder in reports/<as_of>.failed/ and nothing else changed. Success
    keeps the version it replaces in reports/<as_of>/history/<timestamp>/.
    The notebooks run in warm kernels (kernels.py): from pool when given (a replay worker keeps one for
    all its quarters), else from a pool of this run, started here while the raw files are read.
    cache_dir (None: off; `run` passes data/cache/ unless --no-cache): reuse the charts drawn before from the same
    inputs (report/chart_cache.py); the outputs are the same either way.
    before_changes: called before comparing with the last published report (a replay waits there for
    the previous quarter, so that what changed is always against it).
    full=False (the replay's quarters): the same checks, figures, assessment, briefing PDFs and executed notebooks,
    without the outputs that only restate them in another form: validation.pdf (the executed 02 notebook
    holds the same pages; it is still rendered when a check stops the run, because the message names it), the
    Great Expectations Data Docs site (results.json keeps every check and failing row), 02's coverage chart
    (01_clean shows the same coverage as a table) and the Word copies of the briefing. About 3.5 s of CPU a
    quarter (benchmarks/results/pipeline_notes.md).
    """
    if pool is None:
        from analysis.run.kernels import KernelPool
        with KernelPool(paths.NOTEBOOKS_DIR, KERNEL_ARGS) as own:
            return run_quarter(as_of, langs, engine, reports_dir, clean_dir, raw_dir, progress, pool=own,
                               cache_dir=cache_dir, before_changes=before_changes, full=full)
    if not fresh_kernels():
        # 02's kernel first: Great Expectations' import (about 3 s of CPU) is the longest way to the briefings,
        # longer than 01 -> 03 -> what changed, which runs beside it; 03 and the briefings run in 01's kernel
        pool.ensure("02_validate.ipynb")
        pool.ensure("01_clean.ipynb")
    from analysis.inputs.clean import resolve_as_of
    from analysis.core.config import load_config
    from analysis.inputs.ingest import ingest
    from analysis.report.render import choose_engine

    started = datetime.now()
    step = Steps(progress)
    steps = step.done
    engine = choose_engine(engine)
    reports_dir, clean_dir, raw_dir = Path(reports_dir), Path(clean_dir), Path(raw_dir)

    cfg = load_config()
    obs, hashes = step("read and check raw files", ingest, raw_dir, cfg)
    quarter = resolve_as_of(as_of, obs, cfg)
    if paths.RETURNS_DIR.is_dir():       # department returns: a mistyped one stops the run here too (returns.py)
        from analysis.inputs.returns import read_returns
        step("read and check department returns", read_returns, paths.RETURNS_DIR, cfg, quarter)
    target = reports_dir / quarter.label
    failed = reports_dir / f"{quarter.label}.failed"
    # one run at a time per clean folder, from its first write to its publication (guards.py)
    with run_lock(clean_dir):
        prepare_folders(clean_dir, target)
        clean_stage = storage.new_staging_dir(clean_dir)
        tmp = storage.new_staging_dir(target)
        try:
            # what changed is told against the previous quarter: its published report, else (no report of it, and
            # not a replay quarter waiting for its predecessor) that quarter rebuilt from the data (model/assess.py)
            rebuild = before_changes is None and not (reports_dir / quarter.previous().label / "assessment.csv").exists()
            _run_stages(quarter, tmp, failed, clean_stage, raw_dir, langs, engine, step, reports_dir, pool,
                        {} if cache_dir is None else {"cache_dir": str(cache_dir)}, before_changes, full, rebuild)
            if (target / "forms").is_dir():      # the return forms sent for this quarter stay with its report (forms.py)
                shutil.copytree(target / "forms", tmp / "forms")
            storage.write_json(tmp / "manifest.json", manifest(
                quarter, hashes, started, engine, list(langs), steps, version=next_version(target, datetime.now()),
                out_dir=tmp, raw_dir=raw_dir, full=full))
        except Exception as exc:
            shutil.rmtree(clean_stage, ignore_errors=True)
            _keep_failed(tmp, failed)
            if isinstance(exc, InputError):
                exc.note = failed_note(quarter, failed, clean_dir)
            raise
        except BaseException:                       # Ctrl-C: leave nothing behind
            shutil.rmtree(clean_stage, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _publish(quarter, tmp, target, clean_stage, clean_dir)
        shutil.rmtree(failed, ignore_errors=True)
    return target


def _publish(quarter: Quarter, tmp: Path, target: Path, clean_stage: Path, clean_dir: Path) -> None:
    """Swap in the clean data, then the report (the replaced version moves to history/); Ctrl-C waits for both."""
    with interrupts_held():
        try:
            storage.swap_in(clean_stage, clean_dir)
        except InputError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        storage.publish_version(tmp, target)


def _run_stages(quarter: Quarter, tmp: Path, failed: Path, clean_dir: Path, raw_dir: Path, langs: tuple[str, ...],
                engine: str, step, reports_dir: Path, pool: "KernelPool", cache: dict, before_changes, full: bool = True,
                rebuild: bool = False) -> None:
    """Notebooks 01-04 and the PDFs, all written into tmp (the report) and clean_dir (the staged clean data).

    full=False: no validation.pdf (unless a check stops the run), no Data Docs, no Word files (run_quarter)."""
    from analysis.checks.validate import raise_on_errors, raw_locator

    common = {"as_of": quarter.label, "clean_dir": str(clean_dir), "raw_dir": str(raw_dir)}
    nbs = tmp / "notebooks"
    nbs.mkdir()

    def nb(name: str, out: str, parameters: dict) -> None:
        execute_notebook(name, nbs / out, parameters, shown_as=failed / "notebooks" / out, pool=pool)

    step("01 clean", nb, "01_clean.ipynb", "01_clean.ipynb",
         {"as_of": quarter.label, "raw_dir": str(raw_dir), "out_dir": str(clean_dir), **cache})
    # 02 and 03 both read only what 01 wrote: run them side by side (each in its own kernel); validation.pdf
    # renders while the briefings run (they need results.json, not the PDF), unless a check stops the run
    # (a pool with one kernel, a replay worker's, runs them one after the other: 03 waits for 02's kernel)
    renders = ThreadPoolExecutor(max_workers=3)      # validation.pdf, and a briefing's PDF beside its Word file
    try:
        with ThreadPoolExecutor(max_workers=1 if pool.one_lane else 2) as side:
            results = side.submit(step, "02 validate", validation_notebook, nbs / "02_validate.ipynb", tmp / "validation",
                                  {**common, **cache, **({} if full else {"full": False})},
                                  failed / "notebooks" / "02_validate.ipynb", pool)
            # what changed needs 03's outputs only: told while 02 still runs, off the path to the briefings
            forecast = side.submit(_forecast_and_changes, step, nb, {**common, "out_dir": str(tmp), **cache,
                                   **({"baseline": True} if rebuild else {})}, tmp, reports_dir, quarter, before_changes)
            results = results.result()

            def render_validation() -> None:
                step("02 validation.pdf", validation_pdf, nbs / "02_validate.ipynb", tmp / "validation", engine)
            pdfs = [renders.submit(render_validation)] if full else []
            forecast.result()
        try:
            raise_on_errors(results, paths.relative(failed / "validation" / "validation.pdf"), raw_locator())
        except InputError:
            if pdfs:
                pdfs[0].result()        # the message names validation.pdf: it is there when the run stops
            else:
                render_validation()
            raise
        _briefings(tmp, nbs, {**common, **cache}, langs, engine, step, renders, pdfs, nb, word=full)
    finally:
        renders.shutdown(wait=True)
    if paths.RETURNS_DIR.is_dir():        # department returns (issue 13): the annex, only when a round has started
        from analysis.report.annex import annex_for_report
        from analysis.core.config import load_config
        step("department annex (departments.<lang>.pdf)", annex_for_report, tmp, paths.RETURNS_DIR, load_config(), quarter,
             langs, engine)


def _forecast_and_changes(step, nb, parameters: dict, tmp: Path, reports_dir: Path, quarter: Quarter,
                          before_changes) -> None:
    """03 forecast, then what changed (changes.csv, which the briefings read) from its outputs."""
    from analysis.report.changes import write_changes      # against the published reports_dir/<earlier quarter>/, never a staging folder

    step("03 forecast", nb, "03_forecast.ipynb", "03_forecast.ipynb", parameters)
    if before_changes is not None:
        before_changes()
    step("what changed (changes.csv)", write_changes, tmp, Path(reports_dir), quarter)


def _briefings(tmp: Path, nbs: Path, common: dict, langs: tuple[str, ...], engine: str, step,
               renders: ThreadPoolExecutor, pdfs: list, nb, word: bool = True) -> None:
    """04 per language, one after the other in the main kernel; each language's PDF and Word file are rendered in
    renders (side by side, both being mostly Pandoc and Typst processes) while the next language's notebook runs;
    waits for pdfs too. (The second language in 02's idle kernel, beside the first, was tried: no faster, since
    validation.pdf renders meanwhile and the two cores were busy already; benchmarks/results/pipeline_notes.md.)"""
    from analysis.core.config import load_config
    from analysis.core.wording import L
    from analysis.report.render import render_notebook
    from analysis.report.render_word import render_docx       # the same Markdown as the PDF, as an editable Word file

    for lang in langs:
        step(f"04 briefing ({lang})", nb, "04_briefing.ipynb", f"04_briefing.{lang}.ipynb",
             {**common, "lang": lang, "report_dir": str(tmp)})
        executed = nbs / f"04_briefing.{lang}.ipynb"
        # the PDF's title is the bulletin series' (settings briefing.series_*); the English footer repeats it
        series = load_config().settings.get("briefing", {}).get(f"series_{lang}") or L(lang, "目标监测简报", "Target briefing")
        pdfs.append(renders.submit(step, f"04 briefing.{lang}.pdf", render_notebook, executed, tmp / f"briefing.{lang}.pdf",
                                   lang, engine, series, True))
        if word:
            pdfs.append(renders.submit(step, f"04 briefing.{lang}.docx", render_docx, executed, tmp / f"briefing.{lang}.docx", lang))
    for future in list(pdfs):
        future.result()
