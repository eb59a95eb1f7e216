"""Read the raw releases under data/raw/ into one table of observations.

One file per source release (CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX),
one row per published figure. Every row is checked against the contract in
data/raw/README.md and normalised (indicator id, region, period, canonical
unit and value, status and reliability codes, a publication date). Nothing
under data/raw/ is ever written. All problems in all files are collected and
raised together as one InputError, so a planner sees every fix at once.
"""
from __future__ import annotations

import csv
import difflib
import hashlib
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from . import paths
from .config import Config
from .errors import InputError, Problem
from .plausibility import BARE_CONFIRMATIONS
from .parse import (CellError, DateRange, Period, norm_key, normalise_text, parse_date, parse_growth,
                    parse_number_text, parse_period, today)

TABLE_SUFFIXES = {".csv", ".xlsx"}
CONVERT_SUFFIXES = {".xls", ".xlsm", ".ods", ".tsv", ".numbers", ".json"}
MAGNITUDE_PREFIXES = ("万亿", "百万", "亿", "万", "千")

OBSERVATION_COLUMNS = [
    "obs_id", "file", "row", "indicator", "indicator_printed", "region", "year", "period_kind", "month_to",
    "period", "period_end", "value", "unit", "value_printed", "unit_printed", "growth_pct", "qualifier",
    "status", "reliability", "published", "published_date", "published_date_assumed",
    "source_title", "source_url", "publisher", "notes", "confirmed",
]


@dataclass(frozen=True)
class RawTable:
    """A raw file read as text: canonical column names and cell strings, with spreadsheet row numbers."""

    file: str                         # path relative to the project, for messages
    rows: list[tuple[int, dict[str, str]]]
    sha256: str


def raw_files(raw_dir: Path) -> list[Path]:
    """Release files in data/raw/ (not its subfolders); Excel lock files and _-prefixed files are skipped."""
    return sorted(p for p in Path(raw_dir).iterdir()
                  if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES | CONVERT_SUFFIXES
                  and not p.name.startswith(("~$", "_", ".")))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ------------------------------------------------------------- file level --
def _decode(data: bytes, rel: str) -> str:
    """UTF-8 (with or without BOM), else GBK as Excel on Chinese Windows saves CSV."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError([Problem(rel, "is saved as UTF-16, which this suite does not read",
                                  "save it again as CSV UTF-8 (Excel: Save As > 'CSV UTF-8 (Comma delimited)')")])
    if b"\x00" in data[:4096] or data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError([Problem(rel, "is not a text table (it looks like a binary file: PDF, Word, Excel or an image)",
                                  "export the figures to CSV (UTF-8) with the columns in data/raw/README.md, or save the workbook as .xlsx")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gbk")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise InputError([Problem(rel, f"is neither UTF-8 nor GBK text (first unreadable byte on line {line})",
                                      "open it in a text editor or Excel and save it as CSV UTF-8", row=line)]) from None


def _cells_from_csv(text: str, rel: str) -> list[list[str]]:
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), strict=True)]
    except csv.Error as exc:
        raise InputError([Problem(rel, f"is not a readable CSV table ({exc})",
                                  "check the quotes: a cell that contains a comma or a line break must be in double quotes")]) from None


def _excel_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (date,)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cells_from_xlsx(path: Path, rel: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError([Problem(rel, f"is not a readable .xlsx workbook ({type(exc).__name__})",
                                  "open it in Excel and save it again as .xlsx, or export the sheet to CSV UTF-8")]) from None
    sheet = wb["data"] if "data" in wb.sheetnames else wb.worksheets[0]
    rows = [[_excel_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    wb.close()
    return rows


def read_table(path: Path, cfg: Config) -> RawTable:
    """Read one raw file into canonical columns; raise InputError for problems with the file as a whole."""
    path = Path(path)
    rel = paths.relative(path)
    suffix = path.suffix.lower()
    if suffix in CONVERT_SUFFIXES:
        raise InputError([Problem(rel, f"is a {suffix} file, which this suite does not read",
                                  "save it as .xlsx or as CSV UTF-8 in data/raw/")])
    data = path.read_bytes()
    if not data.strip():
        raise InputError([Problem(rel, "is empty", "add the header and the figures (see data/templates/), or delete the file")])
    cells = _cells_from_xlsx(path, rel) if suffix == ".xlsx" else _cells_from_csv(_decode(data, rel), rel)
    cells = [[normalise_text(c) for c in row] for row in cells]
    numbered = [(i + 1, row) for i, row in enumerate(cells) if any(row)]   # blank rows are skipped
    if not numbered:
        raise InputError([Problem(rel, "is empty", "add the header and the figures (see data/templates/), or delete the file")])

    (header_row, header), body = numbered[0], numbered[1:]
    known = _column_index(cfg)
    columns = [known.get(norm_key(h), "") for h in header]
    required = cfg.settings["columns"]["required"]
    if not any(c in required for c in columns):
        raise InputError([Problem(rel, f"is not a table of published figures: its first row ({', '.join(header[:6])}) is not the raw-data header",
                                  "start the file with the header row of data/templates/raw_release_template.csv "
                                  "(indicator, region, year, period, value, unit, ...), comma-separated",
                                  row=header_row)])
    problems = []
    for name in required:
        if name not in columns:
            unknown = [h for h, c in zip(header, columns) if not c]
            close = difflib.get_close_matches(name, unknown, n=1)
            hint = f' (is "{close[0]}" meant to be "{name}"?)' if close else ""
            problems.append(Problem(rel, f'the required column "{name}" is missing{hint}',
                                    f'add a column headed "{name}" (see data/raw/README.md for what it holds)',
                                    row=header_row, column=name))
    if problems:
        raise InputError(problems)
    if not body:
        raise InputError([Problem(rel, "has a header but no figures", "add at least one row, or delete the file")])

    rows = []
    for number, row in body:
        if len(row) > len(header) and any(row[len(header):]):
            problems.append(Problem(rel, f"has {len(row)} cells but the header has {len(header)}",
                                    "a cell with a comma in it must be in double quotes; remove stray cells",
                                    row=number))
            continue
        rows.append((number, {c: v for c, v in zip(columns, row) if c}))
    if problems:
        raise InputError(problems)
    return RawTable(rel, rows, hashlib.sha256(data).hexdigest())


def _column_index(cfg: Config) -> dict[str, str]:
    spec = cfg.settings["columns"]
    index = {norm_key(c): c for c in spec["required"] + spec["optional"]}
    for canonical, aliases in spec["aliases"].items():
        index.update({norm_key(a): canonical for a in aliases})
    return index


# -------------------------------------------------------------- row level --
def _assumed_publication(period: Period, stated: DateRange | None, lags: dict[str, int]) -> date:
    """Where the date is vague or missing: period end plus the configured lag, kept within what is stated."""
    lag = lags["ytd" if period.kind == "ytd" else "annual"]
    guess = period.end + timedelta(days=lag)
    if stated is None:
        return guess
    return min(max(guess, stated.earliest), stated.latest)


def _combined_unit(rest: str, unit_cell: str) -> str:
    """Unit text written after the number in the value cell, joined with the unit column."""
    if not rest:
        return unit_cell
    if not unit_cell:
        return rest
    if rest in MAGNITUDE_PREFIXES and not unit_cell.startswith(MAGNITUDE_PREFIXES):
        return rest + unit_cell
    if norm_key(rest) == norm_key(unit_cell):
        return unit_cell
    raise CellError(f'has the unit "{rest}" after the number but the unit column says "{unit_cell}"',
                    "write the number alone in the value column and the unit as printed in the unit column")


def normalise_row(table: RawTable, number: int, cells: dict[str, str], cfg: Config,
                  problems: list[Problem]) -> dict | None:
    """One raw row -> one observation (canonical codes and units), or None with problems appended."""
    start = len(problems)

    def bad(column: str, message: str, fix: str) -> None:
        problems.append(Problem(table.file, message, fix, row=number, column=column, value=cells.get(column, "")))

    def lookup(column: str, vocabulary: dict[str, str], what: str) -> str | None:
        code = vocabulary.get(norm_key(cells.get(column, "")))
        if code is None:
            words = sorted({w for w in cfg.settings["vocabulary"][column] if w})
            bad(column, f"is not a known {what}", f"use one of: {', '.join(words)} (or the words listed in config/settings.yaml)")
        return code

    ind = cfg.indicator_for(cells.get("indicator", ""))
    if ind is None:
        names = list(dict.fromkeys(n for i in cfg.indicators.values() for n in (i.id, i.name_zh, *i.aliases)))
        close = difflib.get_close_matches(cells.get("indicator", ""), names, n=3, cutoff=0.4)
        bad("indicator", "is not a known indicator" if cells.get("indicator") else "is empty",
            (f"did you mean {' / '.join(close)}? " if close else "")
            + "use an id, Chinese name or alias from config/indicators.yaml, or add this name as an alias there")

    region = cfg.region_index().get(norm_key(cells.get("region", "")))
    if region is None:
        bad("region", "is not a known region", f"use one of {', '.join(cfg.settings['regions'])} or add the name under regions in config/settings.yaml")

    period = None
    try:
        period = parse_period(cells.get("period", ""), cells.get("year", ""))
    except CellError as e:
        bad("period", e.message, e.fix)

    growth = None
    try:
        growth = parse_growth(cells.get("growth_pct", ""))
    except CellError as e:
        bad("growth_pct", e.message, e.fix)

    value = None
    unit_printed = cells.get("unit", "")
    qualifier_in_cell = ""
    if cells.get("value", ""):
        try:
            number_text, rest, qualifier_in_cell = parse_number_text(cells["value"])
            unit_printed = _combined_unit(rest, unit_printed)
        except CellError as e:
            bad("value", e.message, e.fix)
            number_text = None
        if number_text is not None and ind is not None:
            factor = ind.factor(unit_printed)
            if factor is None:
                bad("unit", f'is not a unit accepted for {ind.id} ({ind.name_zh})' if unit_printed else "is empty",
                    f"use one of: {', '.join(ind.units)}; or add it with its factor under {ind.id}.units in config/indicators.yaml")
            else:
                try:
                    value = float(Decimal(number_text) * factor)
                except InvalidOperation:
                    bad("value", "is not a number", "write the figure in digits")
                if value is not None and value < 0 and ind.non_negative:
                    bad("value", f"is negative, but {ind.name_zh} cannot be", "check the sign; a fall is written in growth_pct, not as a negative level")
    elif growth is None:
        bad("value", "is empty and so is growth_pct", "give the figure as printed, or the printed growth rate, or both")

    qualifier = lookup("qualifier", cfg.vocabulary("qualifier"), "qualifier")
    if qualifier_in_cell and qualifier in (None, "exact"):
        qualifier = qualifier_in_cell
    status = lookup("status", cfg.vocabulary("status"), "figure status")
    reliability = lookup("reliability", cfg.vocabulary("reliability"), "reliability grade") if cells.get("reliability") else None
    if not cells.get("reliability"):
        bad("reliability", "is empty", "grade the source: official (a government site), secondary (a copy or summary of an official text), unverified")

    for column, what in (("source_title", "the title of the publication"), ("source_url", "the address of the publication")):
        if not cells.get(column):
            bad(column, "is empty", f"every figure must cite its source: give {what}")
    url = cells.get("source_url", "")
    if url and not url.lower().startswith(("http://", "https://")):
        bad("source_url", "is not a web address", "give the full address starting with http:// or https://")

    confirmed = cells.get("confirmed", "").strip()
    if confirmed and norm_key(confirmed) in {norm_key(w) for w in BARE_CONFIRMATIONS}:
        bad("confirmed", "says the figure is confirmed but not why",
            "write the reason the figure is right although it looks implausible (e.g. \"2023年起统计口径调整，见统计公报\"), "
            "or leave the cell empty")

    stated = None
    try:
        stated = parse_date(cells.get("published", ""))
    except CellError as e:
        bad("published", e.message, e.fix)

    now = today()
    if period is not None:
        if period.end > now:
            bad("period", f"ends on {period.end}, after today ({now}): no figure can be published for it yet",
                "check the year (a typo such as 2052 for 2025?)")
        if stated is not None and stated.earliest > now:
            bad("published", f"is after today ({now})", "check the publication date")
        if stated is not None and status != "estimate" and stated.latest < period.end:
            bad("published", f"is before the period ends ({period.end}); only an estimate (预计) can be published that early",
                "check the year of the figure and of the publication, or mark the figure's status as 预计")

    if len(problems) > start or ind is None or period is None or region is None:
        return None
    published = _assumed_publication(period, stated, cfg.settings["publication_lag_days"]) if not (stated and stated.exact) else stated.earliest
    return {
        "obs_id": f"{Path(table.file).name}:{number}", "file": table.file, "row": number,
        "indicator": ind.id, "indicator_printed": cells.get("indicator", ""), "region": region,
        "year": period.year, "period_kind": period.kind, "month_to": period.month_to, "period": period.label,
        "period_end": period.end, "value": value, "unit": ind.unit,
        "value_printed": cells.get("value", ""), "unit_printed": unit_printed, "growth_pct": growth,
        "qualifier": qualifier, "status": status, "reliability": reliability,
        "published": cells.get("published", ""), "published_date": published,
        "published_date_assumed": not (stated is not None and stated.exact),
        "source_title": cells.get("source_title", ""), "source_url": url,
        "publisher": cells.get("publisher", ""), "notes": cells.get("notes", ""), "confirmed": confirmed,
    }


def _cross_row_problems(obs: pd.DataFrame) -> list[Problem]:
    """Duplicate rows, and one publication giving two different values for the same figure."""
    problems = []
    key = ["source_url", "indicator", "region", "period"]
    for _, group in obs.groupby(key, sort=False):
        if len(group) < 2:
            continue
        first = group.iloc[0]
        for _, other in group.iloc[1:].iterrows():
            where = f"{first['file']} row {first['row']}"
            same_value = (pd.isna(first["value"]) and pd.isna(other["value"])) or first["value"] == other["value"]
            same_growth = (pd.isna(first["growth_pct"]) and pd.isna(other["growth_pct"])) or first["growth_pct"] == other["growth_pct"]
            if same_value and same_growth:
                problems.append(Problem(other["file"], f"repeats the figure in {where} (same publication, indicator, region and period)",
                                        "delete one of the two rows", row=int(other["row"]), column="value",
                                        value=other["value_printed"]))
            else:
                problems.append(Problem(other["file"], f"gives {other['value_printed'] or other['growth_pct']} for {other['indicator']} "
                                        f"{other['region']} {other['period']}, but the same publication gives "
                                        f"{first['value_printed'] or first['growth_pct']} in {where}",
                                        "keep the value the publication prints for this figure; if a later publication revised it, "
                                        "add the revision as its own release file", row=int(other["row"]), column="value",
                                        value=other["value_printed"]))
    return problems


def ingest(raw_dir: Path, cfg: Config) -> tuple[pd.DataFrame, dict[str, str]]:
    """All raw releases -> (observations table, {file: sha256}). Raises InputError listing every problem."""
    problems: list[Problem] = []
    records: list[dict] = []
    hashes: dict[str, str] = {}
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
        for number, cells in table.rows:
            record = normalise_row(table, number, cells, cfg, problems)
            if record is not None:
                records.append(record)
    obs = pd.DataFrame.from_records(records, columns=OBSERVATION_COLUMNS)
    problems += _cross_row_problems(obs)
    if problems:
        raise InputError(problems)
    return obs, hashes
