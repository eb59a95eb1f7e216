"""What a unit changed on a returned form as a whole: the quarter it was sent for, sheets and columns it added.

Split from returns.py (red-team round 3, tests/synthetic_hostile/README_red_team.md), which reads the rows.
What a unit adds to the form is never read, so it is refused with the fix rather than dropped without a word.
"""
from __future__ import annotations

import re

from analysis.core.errors import Problem
from analysis.inputs.forms import HELP_SHEET, MILESTONE_SHEET, TARGET_SHEET
from analysis.core.quarters import Quarter
from analysis.inputs.rawcells import _column_letter


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
        header = cells[0][j] if j < len(cells[0]) else ""
        r, text = filled
        problems.append(Problem(rel, f"column {_column_letter(j + 1)} ({header or 'no header'}) was added to the form; what it "
                                     "holds is not read", "move what it says into the comment column (备注 comment) of the "
                                     "same row, then delete the added column; 请将内容移到备注列并删除新增的列",
                                row=r, column=header or _column_letter(j + 1), sheet=sheet, cell=f"{_column_letter(j + 1)}{r}",
                                value=text))
    return problems


_FORM_QUARTER = re.compile(r"台账 (\d{4}Q[1-4])")


def form_quarter_problems(wb, quarter: Quarter, rel: str) -> list[Problem]:
    """A form sent for another quarter (its page header says 台账 2025Q3), saved in this quarter's folder.

    Its grey cells hold the values of that quarter's round, and the unit was asked for figures to another date;
    read as this quarter's return it was taken without a word. A form whose header was removed is read as saved.
    """
    for ws in wb.worksheets:
        m = _FORM_QUARTER.search(getattr(getattr(getattr(ws, "oddHeader", None), "center", None), "text", None) or "")
        if m and m.group(1) != quarter.label:
            return [Problem(rel, f"is the form sent for {m.group(1)} (its page header says so), saved in the folder of "
                                 f"{quarter.label}", f"if it is the {m.group(1)} return, move it to data/returns/{m.group(1)}/; "
                                 f"otherwise fill in the form sent for {quarter.label} (reports/{quarter.label}/forms/); "
                                 "请使用本季度下发的台账，或移入对应季度文件夹", sheet=ws.title, value=m.group(0))]
    return []


def added_sheets(wb, rel: str) -> list[Problem]:
    """A sheet the unit added to the form that holds something ("补充说明" with the explanation of a figure): never
    read, so refused rather than dropped without a word, as added columns are."""
    problems = []
    for ws in wb.worksheets:
        if ws.title in (HELP_SHEET, TARGET_SHEET, MILESTONE_SHEET) or not hasattr(ws, "iter_rows"):
            continue
        cell = next((c for row in ws.iter_rows() for c in row if c.value not in (None, "")), None)
        if cell is not None:
            problems.append(Problem(rel, f'the sheet "{ws.title}" was added to the form; what it holds is not read',
                                    "move what it says into the comment column (备注 comment) of the rows it concerns, then delete "
                                    "the sheet; 请将内容移到对应行的“备注”列并删除新增的工作表", sheet=ws.title,
                                    row=cell.row, cell=cell.coordinate, value=str(cell.value)))
    return problems
