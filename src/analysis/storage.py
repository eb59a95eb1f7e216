"""Writing outputs so that a failed run never leaves half a folder behind.

Everything is written into a temporary sibling folder first and swapped into
place only when complete; the previous folder survives any failure before
the swap. CSV copies are UTF-8 with BOM so that Excel shows the Chinese text.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import pandas as pd


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder next to target; on success it replaces target in one rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}-old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def _json_default(obj: object) -> str:
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def write_json(path: Path, data: dict) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n", encoding="utf-8")


def publish_tables(out_dir: Path, tables: dict[str, pd.DataFrame], manifest: dict) -> None:
    """Write each table as <name>.parquet and <name>.csv plus manifest.json, atomically."""
    with staged_dir(out_dir) as tmp:
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
            formula_safe_frame(frame).to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8-sig")
        write_json(tmp / "manifest.json", {**manifest, "written_at": datetime.now().isoformat(timespec="seconds"),
                                           "tables": sorted(tables)})


def read_table(out_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(out_dir) / f"{name}.parquet")


def write_table_atomic(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Add or replace one table (parquet + csv) in an existing folder, each file swapped in whole."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, write in ((".parquet", lambda p: frame.to_parquet(p, index=False)),
                          (".csv", lambda p: frame.to_csv(p, index=False, encoding="utf-8-sig"))):
        tmp = folder / f".{name}{suffix}.tmp-{os.getpid()}"
        write(tmp)
        os.replace(tmp, folder / f"{name}{suffix}")


# ------------------------------------------------------ formula injection --
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain_number(text: str) -> bool:
    """-2.5, +3, -12%: a signed number, which a spreadsheet reads as a number and never runs."""
    digits = text[1:].removesuffix("%").replace(".", "", 1)
    return text[:1] in "+-" and digits.isascii() and digits.isdigit()


def formula_safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ' so it stays text.

    Raw files are typed or pasted by people and copied from web pages; a
    source title or note starting with =, +, -, @, tab or CR would become a
    live formula when a planner opens our CSV or XLSX output (OWASP CSV
    injection). A plain number written as text (-2.5, +3) is left alone:
    it is not a formula and changing it would change the figure.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _plain_number(value):
        return "'" + value
    return value


def formula_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with every text cell passed through formula_safe (for CSV and XLSX writers)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(formula_safe)
    return out
