"""Shared helpers: synthetic releases written on the fly, and the CLI run in-process."""
from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from analysis.core import paths
from analysis.cli import main
from analysis.core.config import load_config

SYNTHETIC_DIR = Path(__file__).parent / "synthetic"
HEADER = ["indicator", "region", "year", "period", "value", "unit", "growth_pct", "qualifier", "status",
          "published", "reliability", "source_title", "source_url", "publisher", "notes"]


@pytest.fixture(scope="session")
def cfg():
    return load_config(paths.CONFIG_DIR)


def synthetic_row(**overrides: str) -> dict[str, str]:
    """A valid synthetic row (made up for tests, not a real figure); override any column."""
    row = {"indicator": "retail_sales", "region": "海门", "year": "2022", "period": "全年", "value": "100",
           "unit": "亿元", "growth_pct": "", "qualifier": "", "status": "reported", "published": "2023-02-01",
           "reliability": "official", "source_title": "SYNTHETIC release for tests",
           "source_url": "https://example.org/synthetic", "publisher": "", "notes": "synthetic test data"}
    row.update(overrides)
    return row


def write_release(folder: Path, name: str, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    """Write a synthetic release file; its name must say it is synthetic."""
    assert name.startswith("synthetic_"), "synthetic test files say so in their name"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_release_workbook(folder: Path, name: str, row: dict[str, str], edit=None) -> Path:
    """A raw workbook with one sheet "data": the header and one row; edit(ws) changes cells before it is saved."""
    from openpyxl import Workbook

    assert name.startswith("synthetic_"), "synthetic test files say so in their name"
    folder.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(HEADER)
    ws.append(list(row.values()))
    if edit is not None:
        edit(ws)
    wb.save(folder / name)
    return folder / name


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below folder, to prove that nothing changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture
def run_cli(capsys):
    """Run `python -m analysis ...` in-process; return (exit code, stdout, stderr)."""
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run


@pytest.fixture
def previous_output(tmp_path, run_cli) -> Path:
    """A previous good clean run, whose output a refused run must leave as it was (the hostile-input tests)."""
    import shutil

    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(SYNTHETIC_DIR / "synthetic_valid_release.csv", good)
    out = tmp_path / "clean"
    assert run_cli("clean", "--as-of", "2025Q2", "--raw", str(good), "--out", str(out))[0] == 0
    return out


def make_project(folder: Path, raw: bool = True) -> Path:
    """A copy of what a run reads (config, notebooks, the raw files; the code comes from PYTHONPATH)."""
    folder.mkdir(parents=True)
    for name in ("config", "notebooks"):
        shutil.copytree(paths.ROOT / name, folder / name)
    for name in ("requirements.lock", "_quarto.yml"):
        shutil.copy(paths.ROOT / name, folder / name)
    if raw:
        shutil.copytree(paths.RAW_DIR, folder / "data" / "raw")
    else:
        (folder / "data" / "raw").mkdir(parents=True)
    return folder
