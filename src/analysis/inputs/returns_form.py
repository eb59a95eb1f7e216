"""The return forms' layout, shared by forms.py (writes them) and returns.py (reads them back), and what a unit
changed on a returned form as a whole: the quarter it was sent for, sheets and columns it added.

The layout: sheet names, columns (key, the Chinese header a unit reads, whether it is filled in), the status words
of the drop-downs, and the periods a target asked per quarter or per year is asked for (one row each, its period
kept with the target id in the hidden first column: investment_promotion_events@2022Q1). The forms first sent
had bilingual sheet names and headers ("目标 targets", "本期数值 value"): a return on one of them reads as before
(LEGACY_SHEETS; a header is matched on its Chinese label, the words before the first space).

The statistics bureau's rows (stat_row: a growth rate or a count of firms newly entered, per target and year,
with its status 快报/年报 and source document) are read here too; returns.read_statistics gathers them apart from
the department returns. What a unit adds to the form is never read, so it is refused with the fix rather than
dropped without a word (red-team round 3, tests/synthetic_hostile/README_red_team.md).
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from analysis.core import paths
from analysis.core.config import Config
from analysis.core.errors import InputError, Problem
from analysis.core.parse import DIGIT_LOOKALIKE_FIX, CellError, digit_lookalike, norm_key, normalise_text, parse_number_text
from analysis.core.quarters import Quarter
from analysis.inputs.rawcells import _CONTROL, _column_letter
from analysis.inputs.responsible import entry_target, statistics_targets, statistics_unit

HELP_SHEET, TARGET_SHEET, MILESTONE_SHEET, STAT_SHEET = "说明", "量化目标", "节点任务", "统计数据"
LEGACY_SHEETS = {TARGET_SHEET: "目标 targets", MILESTONE_SHEET: "节点 milestones"}    # the forms first sent
# Status words a unit may choose (drop-downs); returns.py maps them to codes.
FIGURE_STATUS = {"台账数": "reported", "预计数": "estimate"}
MILESTONE_STATUS = {"未启动": "not_started", "推进中": "in_progress", "已完成": "completed", "已取消": "cancelled"}
STAT_STATUS = {"快报": "preliminary", "年报": "final"}
# (key, header, fill): the header a unit reads; `fill` columns are unlocked. The first column (ids) is hidden.
TARGET_COLUMNS = [
    ("target", "目标编号", False), ("clause", "条款", False), ("statement", "规划目标", False), ("unit", "单位", False),
    ("base", "基期", False), ("goal", "目标值", False), ("last_value", "上次报送值", False),
    ("last_period", "上次截至日期", False), ("last_status", "上次状态", False), ("last_verdict", "上次研判", False),
    ("value", "本期数值", True), ("as_at", "截至日期", True), ("status", "数据状态", True),
    ("evidence", "依据或文号", True), ("contact", "联系人及电话", True), ("comment", "备注", True),
]
MILESTONE_COLUMNS = [
    ("target", "目标编号", False), ("clause", "条款", False), ("statement", "规划任务", False), ("due", "完成时限", False),
    ("last_status", "上次状态", False), ("last_date", "上次完成日期", False), ("last_verdict", "上次研判", False),
    ("progress", "进展状态", True), ("completed", "完成日期", True), ("evidence", "依据或文号", True),
    ("contact", "联系人及电话", True), ("comment", "备注", True),
]
STAT_COLUMNS = [
    ("target", "目标编号", False), ("indicator", "指标", False), ("statement", "规划目标", False), ("period", "年度", False),
    ("measure", "填报内容", False), ("unit", "单位", False), ("goal", "目标值", False), ("value", "数值", True),
    ("status", "数据状态", True), ("evidence", "来源文件或文号", True), ("contact", "联系人及电话", True),
    ("comment", "备注", True),
]
QUARTER_ZH = "一二三四"


def quarter_zh(quarter: Quarter) -> str:
    """2025年第四季度."""
    return f"{quarter.year}年第{QUARTER_ZH[quarter.q - 1]}季度"


# ------------------------------------------------------------- periods: a row per quarter or year of the plan --
def row_key(tid: str, period: str = "") -> str:
    """What the hidden first column holds: the target id, and the period a per-period row asks for."""
    return f"{tid}@{period}" if period else tid


def split_key(text: str) -> tuple[str, str]:
    tid, _, period = str(text).partition("@")
    return tid, period


def periods(t, quarter: Quarter, per: str | None = None) -> list[str]:
    """The plan periods of target t begun by the end of quarter: 2022Q1... (per quarter) or 2022... (per year)."""
    years = [y for y in range(t.base_year + 1, t.target_year + 1) if y <= quarter.year]
    if (per or t.per) == "quarter":
        return [f"{y}Q{q}" for y in years for q in range(1, 5) if Quarter(y, q) <= quarter]
    return [str(y) for y in years]


def period_end(period: str, quarter: Quarter) -> date:
    """The day a period's value is counted to: its last day, or the quarter's end for a year still running."""
    if "Q" in period:
        return Quarter.from_label(period).end
    return min(date(int(period), 12, 31), quarter.end)


def period_zh(period: str, quarter: Quarter) -> str:
    """2022年第一季度, 2022年, or 2023年1—6月 for a year still running at the quarter's end."""
    if "Q" in period:
        return quarter_zh(Quarter.from_label(period))
    end = period_end(period, quarter)
    return f"{period}年" if end.month == 12 else f"{period}年1—{end.month}月"


# ------------------------------------------------------------------------------ reading a form back --
def return_folders(returns_dir: Path, as_of: Quarter) -> list[tuple[Quarter, Path]]:
    """Quarter folders up to as_of, oldest first; a folder not named like 2025Q4 is a problem, not skipped."""
    returns_dir = Path(returns_dir)
    if not returns_dir.is_dir():
        return []
    out, problems = [], []
    for p in sorted(returns_dir.iterdir()):
        if p.name.startswith((".", "_")) or p.name.lower() == "readme.md":
            continue
        try:
            q = Quarter.from_label(p.name) if p.is_dir() else None
        except ValueError:
            q = None
        if q is None:
            problems.append(Problem(paths.relative(p), "is not a quarter folder: returns are kept in data/returns/<quarter>/",
                                    "move the file into the folder of the quarter it reports on, e.g. data/returns/2025Q4/; "
                                    "请按季度存放，如 data/returns/2025Q4/"))
        elif (q.year, q.q) <= (as_of.year, as_of.q):
            out.append((q, p))
    if problems:
        raise InputError(problems)
    return out


def form_sheet(wb, name: str) -> str | None:
    """The title under which a workbook holds one of the form's sheets (today's name or the first forms' name)."""
    return next((n for n in (name, LEGACY_SHEETS.get(name)) if n and n in wb.sheetnames), None)


def header(cells: list[str], columns: list[tuple[str, str, bool]], rel: str, sheet: str) -> tuple[dict[str, int], list[Problem]]:
    """Column key -> index, from the form's header: each header as the form writes it, or as the first forms wrote
    it (its Chinese label, then the English word: "本期数值 value")."""
    expected = {norm_key(h): k for k, h, _ in columns}
    index = {}
    for j, text in enumerate(cells):
        key = (expected.get(norm_key(text)) or expected.get(norm_key(text.split(" ", 1)[0]))) if text.strip() else None
        if key is not None:
            index.setdefault(key, j)
    missing = [h for k, h, _ in columns if k not in index]
    if missing:
        return index, [Problem(rel, f"the header of sheet \"{sheet}\" lacks the column(s) {', '.join(missing)}",
                               "use the form sent for this quarter (reports/<quarter>/forms/) without adding, deleting or renaming "
                               "columns; 请使用下发的原表，不要增删或改动列", row=1, sheet=sheet)]
    return index, []


def show_id_column(sheet) -> None:
    """Unhide, in memory only, the form's own hidden id column, so that the reader's hidden-column check (which
    refuses what a unit hid) does not refuse it; any other hidden column is still refused."""
    first = sheet.cell(1, 1).value
    dim = sheet.column_dimensions["A"]
    if dim.hidden and isinstance(first, str) and norm_key(first.split(" ", 1)[0]) == norm_key(TARGET_COLUMNS[0][1]):
        if (dim.min or 1) == (dim.max or 1) == 1:
            dim.hidden = False


def added_columns(cells: list[list[str]], read: set[int], rel: str, sheet: str) -> list[Problem]:
    """Columns a unit added to the form that hold something: never read, so refused rather than dropped without a word
    (a note typed in an added column "我们实际有40家" was lost)."""
    problems = []
    for j in range(max((len(r) for r in cells), default=0)):
        if j in read:
            continue
        filled = next(((r, row[j]) for r, row in enumerate(cells[1:], start=2) if j < len(row) and row[j].strip()), None)
        if filled is None:
            continue
        head = cells[0][j] if j < len(cells[0]) else ""
        r, text = filled
        problems.append(Problem(rel, f"column {_column_letter(j + 1)} ({head or 'no header'}) was added to the form; what it "
                                     "holds is not read", "move what it says into the comment column (备注 comment) of the "
                                     "same row, then delete the added column; 请将内容移到备注列并删除新增的列",
                                row=r, column=head or _column_letter(j + 1), sheet=sheet, cell=f"{_column_letter(j + 1)}{r}",
                                value=text))
    return problems


def untouched(cells: dict[str, str], rel: str, where) -> tuple[None, list[Problem]]:
    """A row naming no target of the form with nothing in its input cells: empty, or a note typed below the table
    ("填表说明：实际新增40家"), which would be dropped without a word."""
    text = next(((k, v) for k, v in cells.items() if normalise_text(v)), None)
    if text is None:
        return None, []
    return None, [Problem(rel, "holds text on a row that names no target of the form, which is not read",
                          "move what it says into the comment column (备注 comment) of the target's row it concerns, "
                          "then delete it; 请把说明写入对应目标行的“备注”列，再删除该行", value=text[1], **where(text[0]))]


def stat_row(cells: dict[str, str], cfg: Config, rel: str, sheet: str, r: int, letters: dict[str, str],
              names: dict[str, str], quarter: Quarter) -> tuple[dict | None, list[Problem]]:
    """One row of the statistics bureau's form -> a growth rate (%) or the firms newly entered, for one target and
    year (or None for an untouched row), with its problems. A growth rate may be negative; a count may not."""
    def where(col: str) -> dict:
        return dict(row=r, column=names[col], sheet=sheet, cell=f"{letters[col]}{r}")

    inputs = [k for k, _, fill in STAT_COLUMNS if fill]
    tid, period = split_key(cells.get("target", ""))
    t = {t.id: t for t in statistics_targets(cfg)}.get(tid)
    if t is None or period not in periods(t, quarter, "year"):
        if not any(cells.get(k) for k in inputs):
            return untouched(cells, rel, where)
        return None, [Problem(rel, "names no target and year of this form in its grey target column", "do not edit the grey "
                              "cells: copy the figures into the form sent for this quarter (reports/<quarter>/forms/); "
                              "请勿修改灰色单元格", value=cells.get("target", ""), **where("target"))]
    growth, problems = not entry_target(t), []
    unit = "%" if growth else (t.unit or "")
    for k in inputs:
        if _CONTROL.search(cells.get(k, "")):
            problems.append(Problem(rel, "holds a control character", "retype the cell's text", value=cells[k], **where(k)))
    if normalise_text(cells.get("unit", "")) != unit:
        problems.append(Problem(rel, f"the grey unit cell was changed (the form says {unit})", f"put back {unit} and type "
                                "the value in it; 请勿修改灰色单元格", value=cells.get("unit", ""), **where("unit")))
    obs = {"target": tid, "kind": "statistic", "unit": statistics_unit(cfg), "indicator": t.indicator, "period": period,
           "measure": "growth_pct" if growth else "new_entries", "target_unit": unit, "as_at": period_end(period, quarter),
           "value": None, "status": "", "status_word": "", "evidence": cells.get("evidence", ""),
           "contact": cells.get("contact", ""), "comment": cells.get("comment", ""), "reliability": "statistics_bureau"}
    value, status = normalise_text(cells.get("value", "")), normalise_text(cells.get("status", ""))
    if not (value or status):
        return (obs if any(cells.get(k) for k in inputs) else None), problems
    mark = digit_lookalike(value)
    try:
        if mark is not None:
            raise CellError(f"holds the character {mark} (U+{ord(mark):04X}), read as a digit", DIGIT_LOOKALIKE_FIX)
        if not value:
            raise CellError("is empty but a status is given", f"type the value in {unit} (digits only); 请填写数值")
        number, rest, qualifier = parse_number_text(value)
        if qualifier or (rest and rest != unit):
            raise CellError(f"is not a plain number in {unit}", f"type digits only (e.g. 8.5, or -2.1 for a fall), in {unit}; 只填数字")
        obs["value"] = float(number) + 0.0
        if obs["value"] < 0 and not growth:
            raise CellError("is negative", "a count of firms is 0 or more")
    except CellError as exc:
        problems.append(Problem(rel, f"value {exc.message}", exc.fix, value=value, **where("value")))
    if status not in STAT_STATUS:
        problems.append(Problem(rel, "is not a data status of the form" if status else "gives no data status",
                                f"choose one of {', '.join(STAT_STATUS)} from the drop-down", value=status or None,
                                **where("status")))
    else:
        obs["status"], obs["status_word"] = STAT_STATUS[status], status
    if not normalise_text(obs["evidence"]):
        problems.append(Problem(rel, f"gives no source document for the {period} figure of {tid}", "name the bulletin, "
                                "report or document number the figure is printed in; 请填写来源文件或文号", **where("evidence")))
    return obs, problems


# the page header of each sheet: 台账 2025年第四季度 · 区科技局 (the first forms: 台账 2025Q4 · 区科技局)
_FORM_QUARTER = re.compile(r"台账 (\d{4})(?:Q([1-4])|年第([一二三四])季度)")


def form_quarter_problems(wb, quarter: Quarter, rel: str) -> list[Problem]:
    """A form sent for another quarter (its page header says 台账 2025年第三季度), saved in this quarter's folder.

    Its grey cells hold the values of that quarter's round, and the unit was asked for figures to another date;
    read as this quarter's return it was taken without a word. A form whose header was removed is read as saved.
    """
    for ws in wb.worksheets:
        m = _FORM_QUARTER.search(getattr(getattr(getattr(ws, "oddHeader", None), "center", None), "text", None) or "")
        if not m:
            continue
        sent = Quarter(int(m.group(1)), int(m.group(2)) if m.group(2) else QUARTER_ZH.index(m.group(3)) + 1)
        if sent != quarter:
            return [Problem(rel, f"is the form sent for {sent.label} (its page header says so), saved in the folder of "
                                 f"{quarter.label}", f"if it is the {sent.label} return, move it to data/returns/{sent.label}/; "
                                 f"otherwise fill in the form sent for {quarter.label} (reports/{quarter.label}/forms/); "
                                 "请使用本季度下发的台账，或移入对应季度文件夹", sheet=ws.title, value=m.group(0))]
    return []


def added_sheets(wb, rel: str) -> list[Problem]:
    """A sheet the unit added to the form that holds something ("补充说明" with the explanation of a figure): never
    read, so refused rather than dropped without a word, as added columns are."""
    known = {HELP_SHEET, TARGET_SHEET, MILESTONE_SHEET, STAT_SHEET, *LEGACY_SHEETS.values()}
    problems = []
    for ws in wb.worksheets:
        if ws.title in known or not hasattr(ws, "iter_rows"):
            continue
        cell = next((c for row in ws.iter_rows() for c in row if c.value not in (None, "")), None)
        if cell is not None:
            problems.append(Problem(rel, f'the sheet "{ws.title}" was added to the form; what it holds is not read',
                                    "move what it says into the comment column (备注 comment) of the rows it concerns, then delete "
                                    "the sheet; 请将内容移到对应行的“备注”列并删除新增的工作表", sheet=ws.title,
                                    row=cell.row, cell=cell.coordinate, value=str(cell.value)))
    return problems
