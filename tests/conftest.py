"""Shared helpers: synthetic releases written on the fly, and the CLI run in-process."""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
from contextlib import contextmanager
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


# ---------------------------------------------------------------------- shared whole runs (one per session) --
# Tests that only read what a run published share one run: the shipped 2025Q2 quarter (both languages, the
# full report) and one replay of two quarters that see the same raw rows. Under pytest-xdist every worker asks
# for them; the first builds them under a lock in the session's common temporary folder, the others wait and
# read the same folders. They must never be written to by a test (a test that needs a changed copy makes one).

SHARED_AS_OF = "2025Q2"
REPLAY_QUARTERS = ("2024Q1", "2024Q2")       # nothing in data/raw was published between their cut-offs


@contextmanager
def _shared(tmp_path_factory, name: str):
    """(folder, built): the session-wide folder for name, built=True when an earlier worker already made it."""
    import fcntl

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent                  # the folder all workers of this session share
    folder = root / f"shared_{name}"
    with open(root / f"shared_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder, (folder / "done").exists()
            (folder / "done").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def shipped_quarter(tmp_path_factory) -> tuple[Path, Path]:
    """(published folder, its base folder) of the shipped data's 2025Q2 quarter, run once for the session."""
    from analysis.run.pipeline import run_quarter

    with _shared(tmp_path_factory, "shipped") as (base, built):
        folder = base / "reports" / SHARED_AS_OF
        if not built:
            base.mkdir(parents=True, exist_ok=True)
            folder = Path(run_quarter(SHARED_AS_OF, reports_dir=base / "reports", clean_dir=base / "clean",
                                      progress=lambda *_: None))
    return folder, base


@pytest.fixture(scope="session")
def replay_without_cache(tmp_path_factory) -> Path:
    """The replay of REPLAY_QUARTERS with the cache off (two workers), run once for the session."""
    from analysis.run.replay import replay

    with _shared(tmp_path_factory, "replay") as (base, built):
        out = base / "reports" / f"replay_{REPLAY_QUARTERS[0]}_{REPLAY_QUARTERS[-1]}"
        if not built:
            base.mkdir(parents=True, exist_ok=True)
            out = replay(*REPLAY_QUARTERS, workers=2, reports_dir=base / "reports", cache_dir=None,
                         progress=lambda *_: None)
    return out


# fixtures that run a whole quarter or a replay: a test that uses one is `slow` (make test-fast leaves it out)
WHOLE_RUN_FIXTURES = {"shipped_quarter", "replay_without_cache", "quarter", "fulldata", "hostile_quarter",
                      "english_text", "shipped_report"}


def pytest_itemcollected(item):
    """A test that uses a whole-run fixture is `slow` (marked as it is collected)."""
    if WHOLE_RUN_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.slow)


def body_pages(pdf: Path) -> int:
    """Pages of a briefing before its technical annex (附件：技术说明 / Annex: technical notes starts a new page):
    the leader's document whose length the page budgets are about (issue 26)."""
    import subprocess

    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    for i, page in enumerate(pages):
        # the annex starts a page with its heading (the body's last line only names it: 附件：技术说明)
        first = next((line.replace(" ", "") for line in page.splitlines()
                      if line.strip() and "示例数据" not in line and "synthetic example" not in line), "")  # the banner
        if first.startswith(("附件：技术说明", "Annex:technicalnotes")) and i > 0:
            return i
    return len([pg for pg in pages if pg.strip()])
