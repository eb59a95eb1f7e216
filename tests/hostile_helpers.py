"""Helpers the hostile-input rounds share (test_hostile_inputs_more.py, test_hostile_inputs_round3.py).

Every file they make is synthetic, written by the test itself under tmp_path.
"""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd

from conftest import HEADER

GOOD_RETURNS = Path(__file__).parent / "synthetic_returns" / "good" / "2025Q4"
TARGET_SHEET = "目标 targets"


def csv_bytes(rows: list[dict[str, str]] | list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    """A raw release as bytes: the header, then each row (a dict in header order, or a list of cells)."""
    s = io.StringIO()
    writer = csv.writer(s, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(list(row.values()) if isinstance(row, dict) else row)
    return s.getvalue().encode(encoding)


def read_release(run_cli, tmp_path: Path, name: str, data: bytes) -> pd.DataFrame:
    """Write data as raw file name, run `clean` on it (it must succeed) and return the observations read."""
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / name).write_bytes(data)
    code, _, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    return pd.read_parquet(tmp_path / "out" / "observations.parquet")


def return_with(tmp_path: Path, edit) -> Path:
    """A returns folder holding one good synthetic 2025Q4 return, changed by edit(workbook)."""
    from openpyxl import load_workbook

    folder = tmp_path / "returns" / "2025Q4"
    folder.mkdir(parents=True)
    source = next(p for p in sorted(GOOD_RETURNS.iterdir()) if "区科技局" in p.name)
    path = folder / source.name
    shutil.copy(source, path)
    wb = load_workbook(path)
    edit(wb)
    wb.save(path)
    return tmp_path / "returns"


def assert_return_refused(tmp_path: Path, cfg, edit, needles: list[str]) -> None:
    """A good return changed by edit(workbook) is refused naming the file, a fix and every needle; nothing changes."""
    from analysis.core.errors import InputError
    from analysis.core.quarters import Quarter
    from analysis.inputs.returns import read_returns
    from conftest import tree_digest

    folder = return_with(tmp_path, edit)
    before = tree_digest(folder)
    try:
        read_returns(folder, cfg, Quarter(2025, 4))
    except InputError as err:
        text = str(err)
    else:
        raise AssertionError("the return was read, not refused")
    assert "区科技局.xlsx" in text and "Fix:" in text
    for needle in needles:
        assert needle in text, f"{needle!r} missing from:\n{text}"
    assert tree_digest(folder) == before
