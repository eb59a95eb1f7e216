"""Notebooks are committed without outputs and run top to bottom in a fresh kernel."""
import json
import shutil

import papermill as pm
import pandas as pd
import pytest

from analysis.core import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_a_parameters_cell(nb):
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in cells if c["cell_type"] == "code")
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells)


def _no_duplicate_keys(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert not dup, f"duplicate JSON keys {dup} in {dict(pairs).get('id', '?')}"
    return dict(pairs)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_json_has_no_duplicate_keys_and_unique_cell_ids(nb):
    """Hand edits of notebook JSON once left a cell with two "id" keys: Jupyter keeps one silently, nbformat
    rewrites drop it, and a cell can then lose the id that links it to reviews and tests."""
    cells = json.loads(nb.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)["cells"]
    ids = [c.get("id") for c in cells]
    assert all(ids) and len(set(ids)) == len(ids)


@pytest.mark.slow
def test_clean_notebook_runs_in_a_fresh_kernel(tmp_path):
    out = tmp_path / "clean"
    executed = tmp_path / "01_clean.ipynb"
    pm.execute_notebook(str(paths.NOTEBOOKS_DIR / "01_clean.ipynb"), str(executed),
                        parameters={"as_of": "2025Q2", "out_dir": str(out)}, cwd=str(tmp_path), progress_bar=False)
    text = executed.read_text(encoding="utf-8")
    assert "as_of 2025Q2" in text
    assert "社会消费品零售总额 (retail_sales)" in text           # the coverage table is shown
    assert "superseded by" in text                               # the conflicts are shown
    annual = pd.read_parquet(out / "annual.parquet")
    assert ((annual["indicator"] == "retail_sales") & (annual["year"] == 2022)).any()


@pytest.mark.slow
def test_notebooks_run_by_hand_write_to_scratch_only(tmp_path, monkeypatch):
    """Run by hand (no folder parameters), 01 writes data/scratch/clean: never data/clean or reports/<quarter>/."""
    root = tmp_path / "synthetic_project"
    shutil.copytree(paths.CONFIG_DIR, root / "config")
    shutil.copytree(paths.RAW_DIR, root / "data" / "raw")
    monkeypatch.setenv("HAIMEN_MONITOR_ROOT", str(root))          # the kernel's analysis.core.paths points there
    pm.execute_notebook(str(paths.NOTEBOOKS_DIR / "01_clean.ipynb"), str(tmp_path / "01_clean.ipynb"),
                        parameters={"as_of": "2025Q2"}, cwd=str(tmp_path), progress_bar=False)
    assert (root / "data" / "scratch" / "clean" / "annual.parquet").exists()
    assert not (root / "data" / "clean").exists() and not (root / "reports").exists()


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_default_folders_are_the_scratch_ones(nb):
    code = "".join("".join(c["source"]) for c in json.loads(nb.read_text(encoding="utf-8"))["cells"])
    assert "paths.CLEAN_DIR" not in code and "paths.REPORTS_DIR" not in code
