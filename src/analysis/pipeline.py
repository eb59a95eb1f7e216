"""The quarterly pipeline: notebooks executed in order with papermill, outputs published whole.

Each stage's notebook is thin (parameters, calls into analysis, what a reader
sees); this module runs them for a quarter, keeps the executed copies and
renders the PDFs. Every stage writes into a temporary folder that replaces
the published one only when the stage has finished, so a failed or
interrupted run leaves the last good reports in place.
"""
from __future__ import annotations

import json
from pathlib import Path

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
    from .render import render_notebook
    from .validate import raise_on_errors

    result = run_clean(as_of, raw_dir=raw_dir, out_dir=clean_dir)
    quarter: Quarter = result.as_of
    target = Path(reports_dir) / quarter.label / "validation"
    with storage.staged_dir(target) as tmp:
        notebook = tmp / "02_validate.ipynb"
        execute_notebook("02_validate.ipynb", notebook, {"as_of": quarter.label, "out_dir": str(tmp),
                                                         "clean_dir": str(clean_dir), "raw_dir": str(raw_dir)})
        render_notebook(notebook, tmp / "validation.pdf", lang="zh", engine=engine, title="数据验证报告 Data validation report")
    results = json.loads((target / "results.json").read_text(encoding="utf-8"))
    raise_on_errors(results, paths.relative(target / "validation.pdf"))
    return results
