"""Read the raw releases under data/raw/ into one table of observations.

One file per source release (CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX),
one row per published figure. Every row is checked against the contract in
data/raw/README.md and normalised (indicator id, region, period, canonical
unit and value, status and reliability codes, a publication date). Nothing
under data/raw/ is ever written. All problems in all files are collected and
raised together as one InputError, so a planner sees every fix at once.

Workbooks are read as the planner saw them (percent cells as shown, dates as
dates), and what a spreadsheet can hide is refused rather than read or
dropped silently: formulas without a saved result, error values, hidden rows,
columns and sheets, merged cells, unknown or misspelt headers.

What a file may be is bounded too (issue 11): only regular files stored in
data/raw/ itself are opened (symbolic links, pipes, devices and folders are
refused unread, and the message shows nothing of their target); size, rows
and cell length have limits in config/settings.yaml; control characters,
non-finite numbers and levels of 0 where a level must be positive are
refused with file, row, column and value.
"""
from __future__ import annotations

import difflib
import errno
import hashlib
import os
import re
import stat
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.config import Config
from analysis.core.errors import InputError, Problem
from analysis.inputs.corrections import complete_withdrawals, correction_problems, involved
from analysis.inputs.rawrows import RawTable, normalise_row
from analysis.inputs.rawcells import (DATA_SHEET, EXAMPLE_SHEET, HELP_SHEET, LISTS_SHEET,  # noqa: F401
                       _cells_from_csv, _check_xlsx_bytes, _column_index, _column_letter, _decode, cell_problems, header_key)
from analysis.inputs.rawfolder import CONVERT_SUFFIXES, TABLE_SUFFIXES, misnamed_table, raw_files  # noqa: F401
from analysis.inputs.rawxlsx import _cells_from_xlsx, _check_unpacked_size, check_workbook_parts
from analysis.core.parse import norm_key, normalise_text, normalise_url


OBSERVATION_COLUMNS = [
    "obs_id", "file", "row", "indicator", "indicator_printed", "region", "year", "period_kind", "month_to",
    "period", "period_end", "value", "unit", "value_printed", "unit_printed", "growth_pct", "qualifier",
    "status", "reliability", "published", "published_date", "published_date_assumed",
    "source_title", "source_url", "publisher", "notes", "confirmed",
    "corrects", "correction",          # a correction row (inputs/corrections.py): the figure id it withdraws or corrects
]


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def read_raw_bytes(path: Path, rel: str, max_bytes: int | None = None) -> bytes:
    """The bytes of a raw file that is a regular file directly inside its folder; InputError otherwise.

    A symbolic link is refused whatever it points to: a link to a system file
    used to be read, and its first line printed in the error. The message
    never shows the target's name or content. The file is opened without
    following links and without blocking (a FIFO would hang the run), and
    checked again on the open handle, so a file swapped for a link meanwhile
    is refused too. A file over max_bytes is refused before it is read.
    """
    path = Path(path)
    fix_link = ("copy the file itself into data/raw/ (not a link or shortcut to it): cp --dereference, or save it there "
                "from Excel; 请把文件本身复制到 data/raw/，不要使用链接")
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise InputError([Problem(rel, f"cannot be read ({exc.strerror})", "check that the file exists and can be read")]) from None
    if stat.S_ISLNK(st.st_mode):
        raise InputError([Problem(rel, "is a symbolic link, not a file: only files stored in data/raw/ itself are read", fix_link)])
    kind = next((what for test, what in _KINDS if test(st.st_mode)), None if stat.S_ISREG(st.st_mode) else "not a regular file")
    if kind:
        raise InputError([Problem(rel, f"is {kind}, not a file of figures (only regular .csv / .xlsx files are read)",
                                  "remove it from data/raw/ and put the figures there as a .csv or .xlsx file; 请删除该项")])
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputError([Problem(rel, f"is {st.st_size / 2**20:,.1f} MB, larger than the {max_bytes / 2**20:g} MB a raw file may be; "
                                       "it was not read",
                                  "one file holds the figures of one publication: split it by publication, or remove rows that are "
                                  "not published figures; the limit is limits.max_file_mb in config/settings.yaml (文件过大)")])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        why = "is a symbolic link" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
        raise InputError([Problem(rel, why, fix_link if exc.errno == errno.ELOOP else "check that the file can be read")]) from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise InputError([Problem(rel, "is not a regular file", "remove it from data/raw/; 请删除该项")])
        return f.read() if max_bytes is None else f.read(max_bytes + 1)


def file_sha256(path: Path) -> str:
    """SHA-256 of a raw file; "" for an entry that is no regular file (it is refused, with a message, when read)."""
    try:
        return hashlib.sha256(read_raw_bytes(path, str(path))).hexdigest()
    except InputError:
        return ""


FREE_TEXT_COLUMNS = {"source_title", "publisher", "notes", "confirmed"}
_WHITESPACE = re.compile(r"\s+")


def _keep_free_text_as_typed(body: list[tuple[int, list[str]]], columns: list[str], as_typed: list[list[object]]) -> None:
    """Titles, publishers, notes and reasons are shown to readers: keep them as typed (white space collapsed only).

    normalise_text (NFKC, dashes unified) is right for what is looked up or
    parsed (names, units, periods, numbers), but it would change what a
    publication's title says (full-width brackets, a ~ turned into -), and
    where an address leads (parse.normalise_url keeps its ~).
    """
    free = [j for j, c in enumerate(columns) if c in FREE_TEXT_COLUMNS]
    urls = [j for j, c in enumerate(columns) if c == "source_url"]
    for n, row in body:
        for j in free:
            if j < len(row) and row[j]:
                row[j] = _WHITESPACE.sub(" ", str(as_typed[n - 1][j])).strip()
        for j in urls:
            if j < len(row) and row[j]:
                row[j] = normalise_url(as_typed[n - 1][j])


def read_table(path: Path, cfg: Config) -> RawTable:
    """Read one raw file into canonical columns; raise InputError for problems with the file as a whole."""
    path = Path(path)
    rel = paths.relative(path)
    suffix = path.suffix.lower()
    if misnamed_table(path):
        raise InputError([Problem(rel, f'has a name that does not end in .csv or .xlsx ("{path.name}"), so it would not be read',
                                  "rename it to end exactly in .csv or .xlsx (no trailing space, dot or extra extension); "
                                  "to keep a file in data/raw/ unread, start its name with _; 请将文件名改为以 .csv 或 .xlsx 结尾")])
    if suffix in CONVERT_SUFFIXES:
        raise InputError([Problem(rel, f"is a {suffix} file, which this suite does not read",
                                  "save it as .xlsx or as CSV UTF-8 in data/raw/")])
    max_bytes = cfg.limit("max_file_mb") * 2**20
    data = read_raw_bytes(path, rel, max_bytes)
    if len(data) > max_bytes:                 # it grew between the check and the read
        raise InputError([Problem(rel, f"is larger than the {cfg.limit('max_file_mb')} MB a raw file may be; it was not read",
                                  "split it by publication; the limit is limits.max_file_mb in config/settings.yaml")])
    if not data.strip():
        raise InputError([Problem(rel, "is empty", "add the header and the figures (see data/templates/), or delete the file")])
    sheet: str | None = None
    problems: list[Problem] = []
    if suffix == ".xlsx":
        _check_xlsx_bytes(data, rel)
        _check_unpacked_size(data, rel, cfg.limit("max_xlsx_unpacked_mb"))
        check_workbook_parts(data, rel, cfg.limit("max_rows"))
        cells, sheet, problems = _cells_from_xlsx(path, rel, cfg)
    else:
        cells = _cells_from_csv(_decode(data, rel), rel, _column_index(cfg), max_cell=cfg.limit("max_cell_chars"),
                                max_rows=cfg.limit("max_rows"))
    if len(cells) - 1 > cfg.limit("max_rows"):
        raise InputError([Problem(rel, f"has {len(cells) - 1:,} rows below the header, more than the {cfg.limit('max_rows'):,} "
                                       "a raw file may hold; it was not read further",
                                  "one file holds the figures of one publication: split it by publication, or delete rows that are "
                                  "not published figures; the limit is limits.max_rows in config/settings.yaml (行数过多)",
                                  sheet=sheet)])
    found = cell_problems(cells, rel, sheet, cfg.limit("max_cell_chars"), _column_index(cfg), cfg.limit("max_text_chars"))
    if found:         # before normalise_text, which would turn some control characters into spaces
        raise InputError(problems + found)
    as_typed = cells
    cells = [[normalise_text(c) for c in row] for row in cells]
    numbered = [(i + 1, row) for i, row in enumerate(cells) if any(row)]   # blank rows are skipped
    if not numbered:
        raise InputError(problems or [Problem(rel, "is empty", "add the header and the figures (see data/templates/), or delete the file",
                                              sheet=sheet)])

    (header_row, header), body = numbered[0], numbered[1:]
    known = _column_index(cfg)
    columns = [known.get(header_key(h), "") for h in header]
    letters = {c: _column_letter(i + 1) for i, c in enumerate(columns) if c}   # CSV files are opened in Excel too
    required = cfg.settings["columns"]["required"]
    if not any(c in required for c in columns):
        below = next((n for n, row in numbered[1:10] if any(known.get(header_key(h)) in required for h in row)), None)
        if below is not None:     # a title or a note above the header, as bulletins copied into Excel often have
            raise InputError(problems + [Problem(
                rel, f"has the raw-data header on row {below}, below other text ({', '.join(h for h in header[:3] if h)})",
                f"delete the rows above row {below} (titles and notes go in the notes column or source_title), "
                "so that the header is the first row; 请删除表头上方的标题行", row=header_row, sheet=sheet)])
        raise InputError(problems + [Problem(
            rel, f"is not a table of published figures: its first row ({', '.join(header[:6])}) is not the raw-data header",
            "start the file with the header row of data/templates/raw_release_template.csv "
            "(indicator, region, year, period, value, unit, ...), comma-separated",
            row=header_row, sheet=sheet)])
    _keep_free_text_as_typed(body, columns, as_typed)
    problems += _header_problems(rel, header, columns, header_row, body, known, sheet, required)
    for name in required:
        if name not in columns:
            unknown = [h for h, c in zip(header, columns) if not c and h]
            close = [h for h in unknown if _nearest_column(h, sorted(known), known) == name] \
                or difflib.get_close_matches(name, unknown, n=1)
            hint = f' (is "{close[0]}" meant to be "{name}"?)' if close else ""
            problems.append(Problem(rel, f'the required column "{name}" is missing{hint}',
                                    (f'rename the header "{close[0]}" to "{name}"' if close else f'add a column headed "{name}"')
                                    + " (see data/raw/README.md for what it holds)",
                                    row=header_row, column=name, sheet=sheet))
    if problems:
        raise InputError(problems)
    if not body:
        raise InputError([Problem(rel, "has a header but no figures", "add at least one row, or delete the file", sheet=sheet)])

    rows = []
    for number, row in body:
        if sum(1 for v, c in zip(row, columns) if c and known.get(header_key(v)) == c) >= 3:
            # a second header: two files pasted one below the other; one message, not one per cell
            problems.append(Problem(rel, "repeats the header row (two tables pasted one below the other?)",
                                    "delete this row, and check that the rows below it are figures of the same publication "
                                    "(another publication goes in its own file); 请删除重复的表头行",
                                    row=number, sheet=sheet, value=", ".join(c for c in row[:4] if c)))
            continue
        if len(row) > len(header) and any(row[len(header):]):
            extra = next(j for j in range(len(header), len(row)) if row[j])
            problems.append(Problem(rel, f"has {len(row)} cells but the header has {len(header)}: column {_column_letter(extra + 1)} "
                                         "holds a value under no header",
                                    "a cell with a comma in it must be in double quotes (\"1,352.37\", \"海门, 南通\"); remove stray "
                                    "cells; 含逗号的单元格须加双引号，删除多余单元格",
                                    row=number, sheet=sheet, cell=f"{_column_letter(extra + 1)}{number}",
                                    value=" | ".join(c for c in row[len(header):] if c)))
            continue
        rows.append((number, {c: v for c, v in zip(columns, row) if c}))
    if problems:
        raise InputError(problems)
    return RawTable(rel, rows, hashlib.sha256(data).hexdigest(), sheet, letters)


# Words that say what a column holds, for suggesting a name only (never accepted silently: a
# suggestion is shown and the planner renames the header). difflib alone would offer
# "publisher" for "publish_date".
_HEADER_HINTS = {"date": "published", "day": "published", "日期": "published", "time": "published",
                 "growth": "growth_pct", "yoy": "growth_pct", "rate": "growth_pct", "增长": "growth_pct", "增速": "growth_pct",
                 "url": "source_url", "link": "source_url", "website": "source_url", "链接": "source_url",
                 "title": "source_title", "标题": "source_title", "remark": "notes", "remarks": "notes",
                 "comment": "notes", "note": "notes", "说明": "notes", "amount": "value", "number": "value",
                 "status": "status", "state": "status", "area": "region", "district": "region",
                 "city": "region", "区域": "region", "名称": "indicator", "units": "unit"}


def _nearest_column(header: str, names: list[str], known: dict[str, str]) -> str | None:
    """The known column a misspelt header most likely means: a telling word first, then spelling."""
    key = norm_key(header)
    tokens = [t for t in re.split(r"[\s_\-./()（）%]+", key) if t]
    for token in [key, *reversed(tokens)]:
        if token in _HEADER_HINTS:
            return _HEADER_HINTS[token]
        if header_key(token) in known:
            return known[header_key(token)]
        for word, column in _HEADER_HINTS.items():
            if len(word) >= 2 and not word.isascii() and word in token:
                return column
    close = difflib.get_close_matches(header_key(header), names, n=1, cutoff=0.6)
    return known[close[0]] if close else None


def _header_problems(rel: str, header: list[str], columns: list[str], header_row: int,
                     body: list[tuple[int, list[str]]], known: dict[str, str], sheet: str | None,
                     required: list[str]) -> list[Problem]:
    """Headers the suite would otherwise drop silently: misspelt, repeated, or missing above data.

    A misspelt optional header (publish_date for published, growth for
    growth_pct) used to lose the whole column without a word; now it is named
    with the nearest known column. A planner's own column is kept out of the
    way by starting its header with "_".
    """
    problems = []
    names = sorted(set(known))
    seen: dict[str, str] = {}
    years = [h for h, c in zip(header, columns) if not c and re.fullmatch(r"(19|20)\d\d(年)?", h)]
    if years:   # a wide table (one column per year), as statistical yearbooks print them: one message, not one per year
        problems.append(Problem(rel, f"has years as column headers ({', '.join(years[:4])}{', ...' if len(years) > 4 else ''}): "
                                     "the figures are laid out one column per year",
                                "write one row per figure: the year in the year column and the number in the value column "
                                "(data/templates/raw_release_template.xlsx); 请改为每个数字一行，年份填入“年份”列",
                                row=header_row, sheet=sheet))
    for i, (h, c) in enumerate(zip(header, columns)):
        where = dict(row=header_row, sheet=sheet, cell=f"{_column_letter(i + 1)}{header_row}")
        if c:
            if c in seen:
                problems.append(Problem(rel, f'the columns "{seen[c]}" and "{h}" both hold {c}',
                                        "keep one of the two columns (delete or rename the other)", column=c, value=h, **where))
            seen[c] = h
            continue
        if not h:
            if any(len(row) > i and row[i] for _, row in body):
                problems.append(Problem(rel, f"column {i + 1} holds values but has no header",
                                        "give it the header of the column it holds (see data/raw/README.md), or delete the column; "
                                        "请填写表头或删除该列", **where))
            continue
        if h.startswith("_") or h in years:
            continue                      # "_": documented, a planner's own column, ignored on purpose
        hint = _nearest_column(h, names, known)
        if hint in required and hint not in columns:
            continue                      # reported below as the missing required column, with this header as the hint
        problems.append(Problem(rel, f'the header "{h}" is not a known column' + (f' (did you mean "{hint}"?)' if hint else ""),
                                (f'rename it to "{hint}"' if hint else "rename it to one of the columns in data/raw/README.md")
                                + '; to keep a column of your own that the suite ignores, start its header with "_" (e.g. _comment); '
                                + (f'表头请改为"{hint}"' if hint else "表头请使用 data/raw/README.md 中的列名"),
                                column=h, value=h, **where))
    return problems


def _cross_row_problems(obs: pd.DataFrame, sheets: dict[str, str | None] | None = None) -> list[Problem]:
    """Duplicate rows, and one publication giving two different values for the same figure."""
    problems = []
    sheets = sheets or {}
    key = ["source_url", "indicator", "region", "period"]
    repeated = obs[obs.duplicated(key, keep=False)]     # groupby over every row took seconds on a big file
    for _, group in repeated.groupby(key, sort=False):
        if len(group) < 2:
            continue
        first = group.iloc[0]
        for _, other in group.iloc[1:].iterrows():
            where = f"{first['file']} row {first['row']}"
            same_value = (pd.isna(first["value"]) and pd.isna(other["value"])) or first["value"] == other["value"]
            same_growth = (pd.isna(first["growth_pct"]) and pd.isna(other["growth_pct"])) or first["growth_pct"] == other["growth_pct"]
            if same_value and same_growth:
                if first["file"] == other["file"]:
                    fix = "delete one of the two rows of this file"
                else:
                    # Never tell a planner to delete a committed row: files in data/raw/ are append-only.
                    fix = (f"delete the row from whichever of the two files you are adding now (this row or {where}; often "
                           "a copy of the template's example row, or a figure already entered); a file already committed to "
                           "data/raw/ is never edited — "
                           "if its figure is wrong, withdraw or correct it with a correction row (README \"Correct or withdraw a figure\"). "
                           "请从本次新增的文件中删除重复行，不要修改已提交的文件")
                problems.append(Problem(other["file"], f"repeats the figure in {where} (same publication, indicator, region and "
                                                       f"period) / 与{where}重复（同一出处、指标、地区和时期）",
                                        fix, row=int(other["row"]), column="value", value=other["value_printed"],
                                        sheet=sheets.get(other["file"])))
            else:
                problems.append(Problem(other["file"], f"gives {other['value_printed'] or other['growth_pct']} for {other['indicator']} "
                                        f"{other['region']} {other['period']}, but the same publication gives "
                                        f"{first['value_printed'] or first['growth_pct']} in {where} / 同一出处对同一数据给出两个不同数值",
                                        "keep the value the publication prints for this figure; if a later publication revised it, "
                                        "add the revision as its own release file; 请保留出处原文的数值，后来的修订数另建文件填写", row=int(other["row"]), column="value",
                                        value=other["value_printed"], sheet=sheets.get(other["file"])))
    return problems


def ingest(raw_dir: Path, cfg: Config) -> tuple[pd.DataFrame, dict[str, str]]:
    """All raw releases -> (observations table, {file: sha256}). Raises InputError listing every problem."""
    problems: list[Problem] = []
    records: list[dict] = []
    hashes: dict[str, str] = {}
    sheets: dict[str, str | None] = {}
    files = raw_files(raw_dir)
    if not files:
        raise InputError([Problem(paths.relative(raw_dir), "holds no raw releases (.csv or .xlsx)",
                                  "add the published figures, one file per publication (see data/raw/README.md)")])
    for path in files:
        try:
            table = read_table(path, cfg)
        except InputError as exc:
            problems += exc.problems
            continue
        hashes[table.file] = table.sha256
        sheets[table.file] = table.sheet
        for number, cells in table.rows:
            record = normalise_row(table, number, cells, cfg, problems)
            if record is not None:
                records.append(record)
    obs = complete_withdrawals(pd.DataFrame.from_records(records, columns=OBSERVATION_COLUMNS))
    problems += correction_problems(obs)
    problems += _cross_row_problems(obs[~involved(obs)], sheets)     # a 更正 row may repeat the publication it corrects
    if problems:
        raise InputError(problems)
    return obs, hashes


def cell_of(file: str, row: int, column: str, cfg: Config) -> tuple[str | None, str | None, str | None]:
    """The sheet, cell (E7) and cell text of a raw row's column, for a stop raised after ingest (plausibility).

    The observations keep file and row only, and normalised values ("2024年" for a period typed 全年); a planner
    who typed the figure in Excel looks for the sheet and the cell as typed, so the file is read again here (only
    when a run stops). (None, None, None) if the file cannot be read any more.
    """
    path = Path(file) if Path(file).is_absolute() else paths.ROOT / file
    try:
        table = read_table(path, cfg)
    except (InputError, OSError):
        return None, None, None
    letter = table.letters.get(column)
    text = next((cells.get(column) for number, cells in table.rows if number == int(row)), None)
    return table.sheet, f"{letter}{int(row)}" if letter else None, text
