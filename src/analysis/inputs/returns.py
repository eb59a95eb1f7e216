"""Read the department returns (台账) under data/returns/<quarter>/ into one table of observations.

Units fill the workbooks forms.py sends and the collecting bureau saves them,
unchanged, in data/returns/<quarter>/ (append-only, like data/raw/: a
correction is a new file or next quarter's return, never an edited one).
They are read as raw workbooks are (rawxlsx.sheet_cells: cells as shown;
hidden rows and columns, merged cells, formulas without a saved result and
error values refused), and every problem in every file is collected and
raised together as one InputError naming file, sheet, row, column, value
and fix. Nothing is read into the assessment until all returns are clean.

Each filled row becomes one observation with reliability `department`: a
count or additions reported as at a date, or a milestone's progress. Whose
return a file is comes from its rows: every target belongs to one lead unit
(responsible.py), and a file mixing units is refused.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.config import Config
from analysis.core.errors import InputError, Problem
from analysis.inputs.figures import return_figure_id
from analysis.inputs.forms import last_returned
from analysis.core.parse import (DIGIT_LOOKALIKE_FIX, CellError, digit_lookalike, normalise_text, parse_date,
                    parse_number_text)
from analysis.core.quarters import Quarter
from analysis.inputs.rawcells import _CONTROL, _check_xlsx_bytes, _column_letter
from analysis.inputs.rawxlsx import _check_unpacked_size, _has_formulas, check_workbook_parts, sheet_cells
from analysis.inputs.responsible import responsibilities
from analysis.inputs.returns_form import (FIGURE_STATUS, MILESTONE_COLUMNS, MILESTONE_SHEET, MILESTONE_STATUS, STAT_COLUMNS,
                                          STAT_SHEET, TARGET_COLUMNS, TARGET_SHEET, added_columns, added_sheets, form_quarter_problems,
                                          form_sheet, header, period_end, periods, return_folders, show_id_column, split_key,
                                          stat_row, untouched)

RETURN_COLUMNS = ["figure_id", "obs_id", "quarter", "file", "sheet", "row", "unit", "target", "kind", "value", "target_unit", "as_at",
                  "status", "status_word", "progress", "completed", "evidence", "contact", "comment", "reliability", "period"]
# the statistics bureau's rows (read_statistics): per target and year, a growth rate (%) or the firms newly entered
STAT_RETURN_COLUMNS = ["figure_id", "obs_id", "quarter", "file", "sheet", "row", "unit", "target", "indicator", "measure",
                       "period", "value", "target_unit", "as_at", "status", "status_word", "evidence", "contact", "comment",
                       "reliability"]
FILLED = {"target": ("value", "as_at", "status"), "milestone": ("progress",)}


def _obs_id(quarter: Quarter, path: Path, sheet: str, row: int) -> str:
    """A return row's id, like a raw row's (file:row): quarter/file:sheet:row, the same wherever the folder lives.

    Its public figure id (R..., figures.return_figure_id) is derived from it; both are in returns.csv.
    """
    return f"{quarter.label}/{Path(path).name}:{sheet}:{row}"


def _parse_day(text: str, where: dict, rel: str, what: str, latest: date,
               earliest: date | None = None) -> tuple[date | None, list[Problem]]:
    """A day within [earliest, latest]: a return reports on the plan, so a day before its base year is a typo (1999)."""
    try:
        d = parse_date(text)
    except CellError as exc:
        return None, [Problem(rel, f"{what} {exc.message}", f"{exc.fix}; 日期格式 2025-12-31", value=text, **where)]
    if d is None or not d.exact:
        return None, [Problem(rel, f"{what} is not a day", "write the day, e.g. 2025-12-31 (格式 2025-12-31)", value=text, **where)]
    if d.earliest > latest:
        return None, [Problem(rel, f"{what} is after the end of the quarter reported ({latest.isoformat()})",
                              f"give a date on or before {latest.isoformat()}; a later date belongs in the next quarter's return",
                              value=text, **where)]
    if earliest is not None and d.earliest < earliest:
        return None, [Problem(rel, f"{what} is before the plan's base year ({earliest.isoformat()})",
                              f"check the year: give the day the value is counted to, between {earliest.isoformat()} and "
                              f"{latest.isoformat()}; 请检查年份", value=text, **where)]
    return d.earliest, []


def _grey_last_value(cells: dict[str, str], letters: dict[str, str], t, previous: pd.DataFrame | None, rel: str,
                     where, period: str = "") -> list[Problem]:
    """A row left empty whose grey "last value" cell is not what the form was sent with: a figure typed there.

    The form pre-fills the last value a unit returned in an earlier quarter (forms.last_returned, from the
    returns read before this quarter's); the grey cell is not read, so a figure typed into it would be lost without a
    word. Checked only on rows whose input cells are empty (a filled row is read from its value cell).
    """
    if "last_value" not in letters or not normalise_text(cells.get("last_value", "")):
        return []
    sent = last_returned(previous, t.id, period).get("value")
    typed = normalise_text(cells["last_value"])
    try:
        same = sent is not None and not pd.isna(sent) and abs(float(typed) - float(sent)) <= 1e-9 * max(1.0, abs(float(sent)))
    except ValueError:
        same = False
    if same:
        return []
    was = "empty" if sent is None or pd.isna(sent) else f"{float(sent):g}"
    return [Problem(rel, f"the grey last-value cell holds {typed}, but the form was sent with it {was}, and the row's "
                         "value cell is empty: a figure typed into a grey cell is not read",
                    "type this quarter's figure in the value column (本期数值) with its date and status, and put the grey "
                    "cell back; 请在“本期数值”列填写本期数值，勿改灰色单元格", value=typed, **where("last_value"))]


def _period_day(cells: dict[str, str], period: str, quarter: Quarter, rel: str, where) -> tuple[date, list[Problem]]:
    """The day a per-period row is counted to: its period's end, pre-filled in the grey date cell (a changed one is
    refused: the value would be read for one period while the unit meant another)."""
    day, text = period_end(period, quarter), normalise_text(cells.get("as_at", ""))
    try:
        shown = parse_date(text) if text else None
    except CellError:
        shown = None
    if text and (shown is None or shown.earliest != day):
        return day, [Problem(rel, f"the grey date cell was changed (the form says {day.isoformat()}): the row is the count of "
                                  f"its period, up to {day.isoformat()}", f"put back {day.isoformat()}; a value for another "
                                  "period goes on that period's row; 请勿修改灰色单元格", value=text, **where("as_at"))]
    return day, []


def _row(kind: str, cells: dict[str, str], cfg: Config, rel: str, sheet: str, r: int, letters: dict[str, str],
         quarter: Quarter, previous: pd.DataFrame | None = None,
         names: dict[str, str] | None = None) -> tuple[dict | None, list[Problem]]:
    """One filled row of a return -> an observation (or None for an untouched row), with its problems.

    names: column key -> its header as the returned file shows it (a problem names the column the unit sees)."""
    columns = TARGET_COLUMNS if kind == "target" else MILESTONE_COLUMNS
    headers = {k: h for k, h, _ in columns} | (names or {})

    def where(col: str) -> dict:
        return dict(row=r, column=headers[col], sheet=sheet, cell=f"{letters[col]}{r}")

    inputs = [k for k, _, fill in columns if fill]
    tid, period = split_key(cells.get("target", ""))
    targets = {t.id: t for t in cfg.targets}
    t = targets.get(tid)
    problems: list[Problem] = []
    if t is not None and period and (kind != "target" or period not in periods(t, quarter)):
        return None, [Problem(rel, f"names a period ({period}) the form does not ask for {tid}", "do not edit the grey "
                              "cells: copy the figures into the form sent for this quarter (reports/<quarter>/forms/); "
                              "请勿修改灰色单元格", value=cells["target"], **where("target"))]
    if t is None:
        if not any(cells.get(k) for k in inputs):
            return untouched(cells, rel, where)
        return None, [Problem(rel, "names no target of the plan in its grey target column", "do not edit the grey cells: copy "
                              "the figures into the form sent for this quarter (reports/<quarter>/forms/); 请勿修改灰色单元格",
                              value=tid, **where("target"))]
    if (t.type == "milestone") != (kind == "milestone"):
        return None, [Problem(rel, f"target {tid} is a {'milestone' if t.type == 'milestone' else 'quantitative target'} "
                                   f"and does not belong on sheet \"{sheet}\"",
                              f"report it on sheet \"{MILESTONE_SHEET if t.type == 'milestone' else TARGET_SHEET}\" of the form",
                              value=tid, **where("target"))]
    for k in inputs:
        if _CONTROL.search(cells.get(k, "")):
            problems.append(Problem(rel, "holds a control character", "retype the cell's text", value=cells[k], **where(k)))
    mark = digit_lookalike(cells.get("value", ""))
    if mark is not None:       # NFKC below would read 38² as 382
        problems.append(Problem(rel, f"value holds the character {mark} (U+{ord(mark):04X}), a footnote or list mark that "
                                     "would be read as a digit", DIGIT_LOOKALIKE_FIX, value=cells["value"], **where("value")))
    # The grey unit cell says in what the value is counted: changed (家 -> 万家), the figure would be read in the
    # target's unit all the same, wrong by the factor, without a word.
    if "unit" in letters and normalise_text(cells.get("unit", "")) != normalise_text(t.unit or ""):
        problems.append(Problem(rel, f"the grey unit cell was changed (the form says {t.unit or 'nothing'}), so the value "
                                     "cannot be read in the target's unit",
                                f"put back {t.unit or 'the empty cell'} and type the value in {t.unit or 'the unit shown'}; "
                                "do not edit the grey cells; 请勿修改灰色单元格，数值按原单位填写",
                                value=cells.get("unit", ""), **where("unit")))
    obs = {"target": tid, "kind": kind, "unit": responsibilities(cfg)[tid].lead, "target_unit": t.unit or "",
           "evidence": cells.get("evidence", ""), "contact": cells.get("contact", ""), "comment": cells.get("comment", ""),
           "reliability": "department", "value": None, "as_at": None, "status": "", "status_word": "", "progress": "",
           "completed": None, "period": period}
    end = quarter.end
    if kind == "target":
        value, as_at, status = (normalise_text(cells.get(k, "")) for k in ("value", "as_at", "status"))
        if period:       # a row of a period: its date is the period's, pre-filled (not one to fill)
            obs["as_at"], found = _period_day(cells, period, quarter, rel, where)
            problems += found
            inputs, as_at = [k for k in inputs if k != "as_at"], ""
        if not (value or as_at or status):
            problems += _grey_last_value(cells, letters, t, previous, rel, where, period)
            return (obs if any(cells.get(k) for k in inputs) else None), problems
        if not value:
            problems.append(Problem(rel, f"gives a date or status but no value for {tid}",
                                    f"type the value in {t.unit or 'the unit shown'} (digits only), or clear the row's date and status; "
                                    "请填写本期数值", **where("value")))
        else:
            try:
                number, rest, qualifier = parse_number_text(value)
                if qualifier or (rest and rest != (t.unit or "")):
                    raise CellError(f"is not a plain number in {t.unit}", f"type digits only (e.g. 35), in {t.unit}; 只填数字")
                obs["value"] = float(number) + 0.0        # "-0" is 0
                if obs["value"] < 0:
                    raise CellError("is negative", "a count or a total is 0 or more")
            except CellError as exc:
                problems.append(Problem(rel, f"value {exc.message}", exc.fix, value=value, **where("value")))
        if not (as_at or period):
            problems.append(Problem(rel, f"gives no date (截至日期) for the value of {tid}",
                                    f"type the day the value is counted to, e.g. {end.isoformat()}", **where("as_at")))
        elif as_at:
            obs["as_at"], found = _parse_day(as_at, where("as_at"), rel, "the date", end, date(t.base_year, 1, 1))
            problems += found
        if status not in FIGURE_STATUS:
            problems.append(Problem(rel, "is not a data status of the form" if status else "gives no data status",
                                    f"choose one of {', '.join(FIGURE_STATUS)} from the drop-down", value=status or None,
                                    **where("status")))
        else:
            obs["status"], obs["status_word"] = FIGURE_STATUS[status], status
    else:
        progress, completed = (normalise_text(cells.get(k, "")) for k in ("progress", "completed"))
        if not (progress or completed):
            return (obs if any(cells.get(k) for k in inputs) else None), problems
        if progress not in MILESTONE_STATUS:
            problems.append(Problem(rel, "is not a progress status of the form" if progress else "gives no progress status",
                                    f"choose one of {', '.join(MILESTONE_STATUS)} from the drop-down", value=progress or None,
                                    **where("progress")))
        else:
            obs["progress"], obs["status_word"] = MILESTONE_STATUS[progress], progress
        if progress == "已完成" and not completed:
            problems.append(Problem(rel, f"says 已完成 but gives no completion date for {tid}",
                                    "type the day it was completed (完成日期), e.g. 2024-06-30", **where("completed")))
        elif completed and progress in MILESTONE_STATUS and progress != "已完成":
            problems.append(Problem(rel, f"gives a completion date but the status is {progress}",
                                    "choose 已完成, or clear the completion date", value=completed, **where("completed")))
        elif completed:
            obs["completed"], found = _parse_day(completed, where("completed"), rel, "the completion date", end,
                                                 date(t.base_year, 1, 1))
            problems += found
    return obs, problems


def read_return(path: Path, cfg: Config, quarter: Quarter,
                previous: pd.DataFrame | None = None) -> tuple[list[dict], list[Problem]]:
    """One returned workbook -> its observations and problems (all of them, never just the first).

    previous: the returns of earlier quarters (what the form's grey last-value cells were filled from)."""
    from openpyxl import load_workbook

    from analysis.inputs.ingest import read_raw_bytes

    rel = paths.relative(path)
    if path.suffix.lower() != ".xlsx":
        return [], [Problem(rel, f"is a {path.suffix or 'file without extension'}, not a returned form (.xlsx)",
                            "save the returned form as .xlsx in this folder, and keep other files elsewhere; 请保存为 .xlsx")]
    data = read_raw_bytes(path, rel, cfg.limit("max_file_mb") * 2**20)
    _check_xlsx_bytes(data, rel)
    _check_unpacked_size(data, rel, cfg.limit("max_xlsx_unpacked_mb"))
    check_workbook_parts(data, rel, cfg.limit("max_rows"))
    try:
        wb = load_workbook(path, data_only=True)
        wb_f = load_workbook(path, data_only=False) if _has_formulas(path) else wb
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken file
        return [], [Problem(rel, f"is not a readable .xlsx workbook ({type(exc).__name__})",
                            "open it in Excel or WPS and save it again as .xlsx")]
    rows: list[dict] = []
    problems: list[Problem] = form_quarter_problems(wb, quarter, rel) + added_sheets(wb, rel)
    layout = ((("statistic", STAT_SHEET, STAT_COLUMNS),) if form_sheet(wb, STAT_SHEET) else
              (("target", TARGET_SHEET, TARGET_COLUMNS), ("milestone", MILESTONE_SHEET, MILESTONE_COLUMNS)))
    for kind, sheet_name, columns in layout:
        if form_sheet(wb, sheet_name) is None:
            problems.append(Problem(rel, f"has no sheet \"{sheet_name}\"", "return the form as it was sent, with every sheet; "
                                    "请勿删除或重命名工作表", sheet=sheet_name))
            continue
        sheet_name = form_sheet(wb, sheet_name)           # as the file names it (the first forms: 目标 targets)
        sheet = wb[sheet_name]
        show_id_column(sheet)
        cells, found = sheet_cells(sheet, wb_f[sheet_name], rel, computed_numbers_ok=True)
        problems += found
        if sheet.sheet_state != "visible":      # as for raw workbooks: what a unit hid is not read without a word
            problems.append(Problem(rel, f'the sheet "{sheet_name}" is hidden', "unhide it (right-click a sheet tab > Unhide / "
                                    "取消隐藏), check what it holds, and save", sheet=sheet_name))
        if not cells:
            continue
        index, found = header(cells[0], columns, rel, sheet_name)
        problems += found
        if found:
            continue
        letters = {k: _column_letter(j + 1) for k, j in index.items()}
        names = {k: cells[0][j] for k, j in index.items()}
        problems += added_columns(cells, set(index.values()), rel, sheet_name)
        for r, texts in enumerate(cells[1:], start=2):
            row = {k: (texts[j].strip() if j < len(texts) else "") for k, j in index.items()}
            obs, found = (stat_row(row, cfg, rel, sheet_name, r, letters, names, quarter) if kind == "statistic" else
                          _row(kind, row, cfg, rel, sheet_name, r, letters, quarter, previous, names))
            problems += found
            if obs is not None:
                obs_id = _obs_id(quarter, path, sheet_name, r)
                obs.update(obs_id=obs_id, figure_id=return_figure_id(obs_id), quarter=quarter.label, file=rel,
                           sheet=sheet_name, row=r)
                rows.append(obs)
    first: dict[tuple, dict] = {}
    for o in rows:       # read_returns compares files; within one file a row copied and changed was read twice
        if _key(o) in first:
            f = first[_key(o)]
            problems.append(Problem(rel, f"target {_named(o)} is returned twice in this file (also on sheet \"{f['sheet']}\", "
                                         f"row {f['row']})", "keep one row per target, as the form was sent: delete the copied row "
                                         "and put any explanation in the comment column (备注 comment); 每个目标只填一行",
                                    row=o["row"], sheet=o["sheet"], column=TARGET_COLUMNS[0][1], value=o["target"]))
        first.setdefault(_key(o), o)
    units = sorted({o["unit"] for o in rows})
    if len(units) > 1:
        problems.append(Problem(rel, f"holds targets of several lead units ({', '.join(units)})",
                                "each unit returns its own form: keep only the rows of the form sent to it; 每个牵头单位单独报送"))
    wb.close()
    if wb_f is not wb:
        wb_f.close()
    return rows, problems


def _key(o: dict) -> tuple:
    """What one return row answers for: the target, and its period on a per-period row or the bureau's form."""
    return o["kind"] == "statistic", o["target"], o.get("period") or ""


def _named(o: dict) -> str:
    return f"{o['target']} ({o['period']})" if o.get("period") else o["target"]


def _read_all(returns_dir: Path, cfg: Config, as_of: Quarter) -> list[dict]:
    """Every row of every return of every quarter up to as_of, the bureau's too; InputError on any problem."""
    rows: list[dict] = []
    problems: list[Problem] = []
    for quarter, folder in return_folders(returns_dir, as_of):
        files = sorted(p for p in folder.iterdir() if not p.name.startswith(("~$", "_", ".")))
        seen: dict[tuple, str] = {}
        # earlier quarters: what this quarter's forms showed
        previous = pd.DataFrame([o for o in rows if o["kind"] != "statistic"], columns=RETURN_COLUMNS)
        for path in files:
            try:
                found_rows, found = read_return(path, cfg, quarter, previous)
            except InputError as exc:
                problems += exc.problems
                continue
            problems += found
            for o in found_rows:
                if _key(o) in seen and seen[_key(o)] != o["file"]:
                    problems.append(Problem(o["file"], f"target {_named(o)} was already returned for {quarter.label} in "
                                                       f"{seen[_key(o)]}", "keep one return per unit and quarter; put a "
                                                       "correction in the next quarter's folder", row=o["row"], sheet=o["sheet"]))
                seen.setdefault(_key(o), o["file"])
            rows += found_rows
    if problems:
        raise InputError(problems)
    return rows


def read_returns(returns_dir: Path, cfg: Config, as_of: Quarter) -> pd.DataFrame:
    """Every department return of every quarter up to as_of, one row per filled target or milestone (and per period
    of a target asked per quarter or year, its period in `period`); InputError on any problem, the statistics
    bureau's form included.

    An absent or empty data/returns/ gives an empty table (the shipped state: the assessment is then unchanged).
    A target returned twice in one quarter (two files) is a problem: the bureau keeps one return per unit and
    quarter, and a later correction goes into the next quarter's folder.
    """
    return pd.DataFrame([o for o in _read_all(returns_dir, cfg, as_of) if o["kind"] != "statistic"], columns=RETURN_COLUMNS)


def read_statistics(returns_dir: Path, cfg: Config, as_of: Quarter) -> pd.DataFrame:
    """The statistics bureau's returns up to as_of (forms.write_statistics_form): one row per target and year filled,
    `measure` growth_pct (the comparable growth printed, %) or new_entries (firms newly entered in the year), status
    preliminary (快报) or final (年报), the source document in `evidence`. They join the observations before the assessment (bureau.with_statistics)."""
    rows = [o for o in _read_all(returns_dir, cfg, as_of) if o["kind"] == "statistic"]
    return pd.DataFrame(rows, columns=STAT_RETURN_COLUMNS)


def returned_files(returns_dir: Path, as_of: Quarter) -> list[Path]:
    """The files in data/returns/<as_of>/ (for the chase list: who has returned this quarter)."""
    folder = Path(returns_dir) / as_of.label
    return sorted(p for p in folder.iterdir() if not p.name.startswith(("~$", "_", "."))) if folder.is_dir() else []
