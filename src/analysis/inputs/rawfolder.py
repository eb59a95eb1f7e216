"""What the raw folder holds: the release files a run reads, and the files it leaves unread (said, never silent).

Split from ingest.py (which reads the files). A planner who saves a figure as notes in a .txt, a scanned .pdf or
a .docx in data/raw/ must learn that it was not read: ignored_files lists them, the console prints them after
`clean`, `validate` and `run`, the clean manifest records them and validation.pdf shows them (issue 24). What
is never listed: the folder's own README.md and plan/ (the plan text), and names that start with "_", "." or
"~$" (the documented way to keep a file there unread, hidden files, Excel's lock files).
"""
from __future__ import annotations

from pathlib import Path

from analysis.core import paths
from analysis.core.errors import InputError, Problem

TABLE_SUFFIXES = {".csv", ".xlsx"}
CONVERT_SUFFIXES = {".xls", ".xlsm", ".ods", ".tsv", ".numbers", ".json"}
QUIET_PREFIXES = ("~$", "_", ".")
KNOWN_EXTRAS = {"README.md", "plan"}      # the folder's documentation and the plan text (inputs/sections.py)
IGNORED_FIX = ("a figure is read only from a release table (.csv or .xlsx, one row per figure: README \"Add a figure\"); "
               "move other files out of data/raw/, or start the name with _ to keep one there unread")


def raw_files(raw_dir: Path) -> list[Path]:
    """Release files in data/raw/ (not its subfolders); Excel lock files and _-prefixed files are skipped.

    Every entry with a table's name is listed, whatever it is (a symbolic
    link, a FIFO, a device, a folder named .csv): read_table refuses what is
    not a regular file, with a message, instead of skipping it silently.
    """
    try:
        entries = list(Path(raw_dir).iterdir())
    except OSError as exc:
        raise InputError([Problem(paths.relative(Path(raw_dir)), f"cannot be read as the raw-data folder ({exc.strerror})",
                                  "give the folder that holds the raw release files (data/raw/), and check that it exists "
                                  "and can be read; 请检查原始数据目录")]) from None
    return sorted(p for p in entries
                  if (p.suffix.lower() in TABLE_SUFFIXES | CONVERT_SUFFIXES or misnamed_table(p))
                  and not p.name.startswith(QUIET_PREFIXES))


def misnamed_table(path: Path) -> bool:
    """A table whose name does not end in .csv / .xlsx: "x.csv " (a trailing space or dot), "x.csv.txt", "x.xlsx.bak".

    Such a file used to be skipped without a word (a planner saw the run pass and their figures missing);
    it is listed and refused by read_table with the fix (rename it, or start its name with _ to keep it unread).
    """
    name = Path(path).name.lower()
    if Path(name).suffix in TABLE_SUFFIXES | CONVERT_SUFFIXES:
        return False
    return (Path(name.rstrip(" .")).suffix in TABLE_SUFFIXES
            or any(part in TABLE_SUFFIXES for part in Path(name).suffixes[:-1]))


def ignored_files(raw_dir: Path) -> list[str]:
    """Names in raw_dir that no run reads (not a release file, the README, the plan folder or a quiet name), sorted;
    a folder's name ends in "/". An unreadable folder gives [] (raw_files says what is wrong with it)."""
    try:
        entries = list(Path(raw_dir).iterdir())
    except OSError:
        return []
    read = set(raw_files(raw_dir))
    return sorted(p.name + ("/" if p.is_dir() and not p.is_symlink() else "") for p in entries
                  if p not in read and p.name not in KNOWN_EXTRAS and not p.name.startswith(QUIET_PREFIXES))


def ignored_note(raw_dir: Path) -> str:
    """One plain-text line for the console and the reports (empty when nothing is ignored)."""
    names = ignored_files(raw_dir)
    if not names:
        return ""
    return (f"未读取 Not read in {paths.relative(Path(raw_dir))}/ ({len(names)}, not a release table): "
            f"{', '.join(names)}. Fix: {IGNORED_FIX}")
