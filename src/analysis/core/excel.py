"""Excel copies of the report tables, formatted for planners (assessment.xlsx beside assessment.csv).

Planners open the assessment in Excel or WPS. The CSV stays the machine
copy; the workbook is the reading copy: the verdict first in Chinese and
English, P(met) as a percentage, a bold frozen header, widths that fit, and
an autofilter. Every text cell goes through storage.formula_safe, so text
that came from a raw file can never run as a formula when it is opened.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from analysis.core.storage import formula_safe

# Columns a planner reads first, in this order; every other column follows as in the CSV.
LEADING = ["target", "name_zh", "name_en", "printed_zh", "printed_en", "verdict_zh", "verdict_en", "p_met", "likelihood_zh", "likelihood_en",
           "basis", "figure_value", "figure_period", "figure_status", "target_value", "unit", "target_year", "as_of"]
# Columns whose values are shares of one (0.66 -> 66 %).
PERCENT_COLUMNS = {"p_met", "time_elapsed_share"}
# Header: a Chinese label before the CSV column name, so that a planner reads it and a cell still
# traces to the same column of assessment.csv.
_ZH = {"target": "目标", "name_zh": "指标", "name_en": "指标（英文）", "printed_zh": "研判（简报用语）", "printed_en": "研判（英文）",
       "verdict_zh": "研判（详细）", "verdict_en": "研判（详细，英文）",
       "p_met": "完成概率", "likelihood_zh": "可能性", "likelihood_en": "可能性（英文）", "basis": "依据",
       "figure_value": "最新数值", "figure_period": "数值期间", "figure_status": "数据状态", "target_value": "目标值",
       "unit": "单位", "target_year": "目标年份", "as_of": "评估季度", "statement": "规划原文", "note": "说明"}
HEADER_LABELS = {column: f"{zh} {column}" for column, zh in _ZH.items()}


def _cell_value(value: object) -> object:
    """A value openpyxl can write: missing -> empty, numpy scalars -> Python, text -> formula-safe."""
    if isinstance(value, (list, tuple, dict, set)):
        value = str(value)
    try:
        if pd.isna(value):                      # None, NaN, NaT, pd.NA
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()                    # numpy scalars
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return formula_safe(value) if isinstance(value, str) else value


def _width(values: list[object], header: str) -> float:
    """Column width from the longest shown text (CJK characters count double), capped for long sentences."""
    def shown(v: object) -> int:
        text = "" if v is None else str(v)
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    longest = max([shown(header), *(shown(v) for v in values[:500])])
    return float(min(max(longest + 2, 8), 60))


def write_assessment_xlsx(table: pd.DataFrame, path: Path, colours: dict[str, str] | None = None) -> Path:
    """Write the assessment table as a formatted workbook at path (replaced whole, never half written).

    `colours` maps a verdict key to its colour (settings assessment.verdicts); the
    verdict text is then coloured as in the briefing.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    columns = [c for c in LEADING if c in table.columns] + [c for c in table.columns if c not in LEADING]
    wb = Workbook()
    ws = wb.active
    ws.title = "assessment 评估"
    ws.append([HEADER_LABELS.get(c, c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    keys = table["verdict_key"].tolist() if "verdict_key" in table.columns else [None] * len(table)
    for record, key in zip(table[columns].itertuples(index=False, name=None), keys):
        ws.append([_cell_value(v) for v in record])
        if colours and key in colours:
            for name in ("verdict_zh", "verdict_en"):
                if name in columns:
                    ws.cell(ws.max_row, columns.index(name) + 1).font = Font(bold=True, color=colours[key].lstrip("#"))
    for j, name in enumerate(columns, start=1):
        letter = get_column_letter(j)
        values = table[name].tolist()
        ws.column_dimensions[letter].width = _width(values, HEADER_LABELS.get(name, name))
        if name in PERCENT_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = "0%"
        elif name in ("basis", "statement", "note", "note_en"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    wb.save(tmp)
    os.replace(tmp, path)
    return path
