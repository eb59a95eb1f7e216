"""Quarterly return forms (台账填报表): one Excel workbook per lead unit, sent out before each round.

Each lead unit named by the plan (responsible.py) gets one workbook with
three sheets: 说明 (instructions, in Chinese: what to fill, how, by when),
目标 targets (its quantitative targets, one row each) and 节点 milestones
(its milestone tasks). What the registry knows is pre-filled and protected
(clause, statement, base year, target, the last value and status the unit
reported); the cells to fill are unlocked, with drop-downs for statuses and
date checks for dates. Sheet protection has no password: it guards against
slips, not against the unit (returns.py checks every row anyway).

Every text cell goes through storage.formula_safe (an earlier return's
comment starting with "=" stays text). The layout (sheet names, columns) is
what returns.py reads back; both take it from this module.
"""
from __future__ import annotations

import math
import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from analysis.core.config import Config, Target
from analysis.core.excel import _cell_value
from analysis.core.quarters import Quarter
from analysis.inputs.responsible import Responsibility, lead_units, responsibilities

HELP_SHEET = "说明"
TARGET_SHEET = "目标 targets"
MILESTONE_SHEET = "节点 milestones"
# Status words a unit may choose (drop-downs); returns.py maps them to codes.
FIGURE_STATUS = {"台账数": "reported", "预计数": "estimate"}
MILESTONE_STATUS = {"未启动": "not_started", "推进中": "in_progress", "已完成": "completed", "已取消": "cancelled"}

# (key, header). The header shows the Chinese label and the key returns.py reads; `fill` columns are unlocked.
TARGET_COLUMNS = [
    ("target", "目标编号 target", False), ("clause", "条款 clause", False), ("statement", "规划目标 statement", False),
    ("unit", "单位 unit", False), ("base", "基期 base", False), ("goal", "目标值 target", False),
    ("last_value", "上次报送值 last value", False), ("last_period", "上次截至日期 last as at", False),
    ("last_status", "上次状态 last status", False), ("last_verdict", "上次研判 last verdict", False),
    ("value", "本期数值 value", True), ("as_at", "截至日期 as at", True), ("status", "数据状态 status", True),
    ("evidence", "依据或文号 evidence", True), ("contact", "联系人及电话 contact", True), ("comment", "备注 comment", True),
]
MILESTONE_COLUMNS = [
    ("target", "目标编号 target", False), ("clause", "条款 clause", False), ("statement", "规划任务 statement", False),
    ("due", "完成时限 due", False), ("last_status", "上次状态 last status", False),
    ("last_date", "上次完成日期 last completed", False), ("last_verdict", "上次研判 last verdict", False),
    ("progress", "进展状态 progress", True), ("completed", "完成日期 completed on", True),
    ("evidence", "依据或文号 evidence", True), ("contact", "联系人及电话 contact", True), ("comment", "备注 comment", True),
]
COMPARISON_WORDS = {">": "超过", ">=": "不少于", "about": "左右"}
# Column widths (characters; a Chinese character counts two), chosen so that a sheet printed on A4 landscape fits
# one page width at about 70 % (8 pt) and stays legible: every cell wraps, and the cells to fill, empty when sent,
# leave room for what a unit types or writes by hand (a date, a document number, a name and telephone, a sentence).
WIDTHS = {"target": 20, "clause": 7, "statement": 30, "unit": 6, "base": 7, "goal": 20, "last_value": 10,
          "last_period": 11, "last_status": 9, "last_verdict": 12, "value": 11, "as_at": 12, "status": 9,
          "evidence": 20, "contact": 14, "comment": 20, "due": 11, "last_date": 11, "progress": 9, "completed": 12}
LINE_PT = 15              # the height of one wrapped line of 11 pt text


def asked(t: Target) -> bool:
    """Whether a unit's form asks for the target: all but average-growth rates (a growth rate is a statistic the
    statistics bureau publishes; a department's own figure would never be used for it, departments.py)."""
    return t.type != "avg_growth"


def form_name(quarter: Quarter, unit: str) -> str:
    """File name of a unit's form: the quarter and the unit, so that a returned file says whose it is."""
    return f"台账_{quarter.label}_{unit}.xlsx"


def goal_text(t: Target) -> str:
    """The target as a short phrase: 不少于 35 家（2024年）."""
    if t.type == "milestone" or t.value is None:
        return f"{t.target_year}年完成"
    value = f"{t.value:g}" + (f"-{t.value_max:g}" if t.value_max else "")
    word = COMPARISON_WORDS.get(t.comparison or "", "")
    return (f"{value}{t.unit}{word}" if t.comparison == "about" else f"{word}{value}{t.unit}") + f"（{t.target_year}年）"


def last_returned(previous: pd.DataFrame | None, target_id: str) -> dict:
    """The latest row a unit returned for a target in an earlier quarter (returns.read_returns), or {}."""
    if previous is None or previous.empty:
        return {}
    rows = previous[previous["target"] == target_id]
    return rows.iloc[-1].to_dict() if len(rows) else {}


def _instructions(ws, unit: str, units: list[Responsibility], quarter: Quarter, cfg: Config, n_targets: int,
                  n_milestones: int) -> None:
    from openpyxl.styles import Alignment, Font

    dept = cfg.settings.get("departments") or {}
    due = quarter.end + timedelta(days=int(dept.get("return_due_days", 15)))
    co = sorted({c for r in units for c in r.co_leads})
    plan_end = max(cfg.plan_years)
    lines = [
        (f"海门区现代服务业三年行动计划（2022-2024年）目标任务推进情况台账 · {quarter.label}", True),
        (f"填报单位（牵头单位）：{unit}", True),
        (f"报告期：截至 {quarter.end.isoformat()}；请于 {due.isoformat()} 前报送{dept.get('collector', '区发改委')}。", False),
        # a plan that has ended is judged on its last year's values (departments.py): ask for those, not today's
        (f"规划期已于 {plan_end}-12-31 结束：量化目标请填 {plan_end}年末（截至日期 {plan_end}-12-31）的数值，"
         f"规划期后的数值不作为完成情况依据，如需报送请写在备注中。" if quarter.year > plan_end else "", False),
        (f"本表列出本单位牵头的 {n_targets} 项量化目标（“{TARGET_SHEET}”表）和 {n_milestones} 项节点任务（“{MILESTONE_SHEET}”表）。", False),
        (("与本单位按职责分工共同负责：" + "、".join(co) + "。请会同上述单位填报。") if co else "", False),
        ("填报说明：", True),
        ("1. 只填白色单元格；灰色单元格（目标编号、条款、目标值、上次报送情况和研判）已预填并锁定，请勿修改。", False),
        ("2. 本期数值：填数字本身，单位以“单位”列为准（例如 35，不写“35家”）；累计类目标填规划期（2022年起）累计数。", False),
        ("3. 截至日期：数值对应的时点，日期格式如 2024-12-31。", False),
        ("4. 数据状态：下拉选择“台账数”（已核实的台账数据）或“预计数”（尚未核实的预计数据）。", False),
        ("5. 节点任务：进展状态下拉选择 未启动 / 推进中 / 已完成 / 已取消；选“已完成”时必须填写完成日期。", False),
        ("6. 依据或文号：验收文件、认定文件、统计台账等的名称或文号，便于核查；联系人及电话：填报人。", False),
        ("7. 暂无数据的目标：数值、日期、状态都留空，在备注中说明原因（仍计为未填完）；请勿增删行、列或工作表，不要合并或隐藏单元格。", False),
        ("8. 填好后保存为 .xlsx，文件名不变，报送后由发改委存入 data/returns/<季度>/，重新运行监测即可。", False),
        ("部门报送数据在简报中标注为“部门报送”，可作为计数类目标和节点任务的依据，但不替代统计部门公布的数据。", False),
    ]
    for i, (text, bold) in enumerate((x for x in lines if x[0]), start=1):
        cell = ws.cell(i, 1, _cell_value(text))
        cell.font = Font(name="Calibri", bold=bold, size=13 if i == 1 else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110
    _print_setup(ws, f"台账 {quarter.label} · {unit}", repeat_header=False)
    ws.protection.sheet = True


def _print_setup(ws, title: str, repeat_header: bool = True) -> None:
    """Print as a form a person can read and fill by hand: A4 landscape, every column on one page width (fit to
    width, as many pages down as needed), the header row on every page, the unit and quarter on top, page numbers."""
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.6, header=0.3, footer=0.3)
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if repeat_header:
        ws.print_title_rows = "1:1"


def _table_sheet(ws, columns: list[tuple[str, str, bool]], rows: list[dict], validations: dict, title: str = "") -> None:
    """Header, pre-filled rows, unlocked input cells with drop-downs, protection on."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)      # printed, the cells to fill are visible boxes
    ws.append([h for _, h, _ in columns])
    for cell in ws[1]:
        cell.font = Font(name="Calibri", bold=True)       # the workbook's font: a nameless bold prints in a serif face
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = box
    grey = PatternFill("solid", fgColor="EDEDED")
    for row in rows:
        ws.append([_cell_value(row.get(key)) for key, _, _ in columns])
        r = ws.max_row
        for j, (key, _, fill) in enumerate(columns, start=1):
            cell = ws.cell(r, j)
            cell.border = box
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if fill:
                cell.protection = Protection(locked=False)
                if key in ("as_at", "completed"):
                    cell.number_format = "yyyy-mm-dd"
            else:
                cell.fill = grey
    last = max(ws.max_row, 2)
    for j, (key, header, _) in enumerate(columns, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = WIDTHS[key]
        if key in validations:
            dv = DataValidation(**validations[key], allow_blank=True, showErrorMessage=True)
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)
    # wrapped text needs its rows' heights set (Excel and LibreOffice keep a stored height): the header on two
    # lines, each row as high as its longest text, and at least two lines, room to write by hand on a printout
    ws.row_dimensions[1].height = max(2, *(_text_width(h.split(" ", 1)[0]) // (WIDTHS[k] - 1) + 1 + _wrapped_lines(
        h.split(" ", 1)[-1], WIDTHS[k] - 1) for k, h, _ in columns)) * LINE_PT + 2
    for r, row in enumerate(rows, start=2):
        lines = max(math.ceil(_text_width(row.get(key)) / (WIDTHS[key] - 1)) for key, _, _ in columns)
        ws.row_dimensions[r].height = max(2, lines) * LINE_PT + 2
    ws.freeze_panes = "D2"
    _print_setup(ws, title)
    ws.protection.sheet = True
    ws.protection.formatColumns = False          # widths may be changed: it helps reading, changes no value


def _text_width(value: object) -> int:
    """Shown width of a cell's text in characters (a Chinese character counts two), as column widths count."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _wrapped_lines(text: str, width: int) -> int:
    """Lines a text of words takes in a column of width characters (wrapped at spaces, as Excel does)."""
    lines, used = 1, 0
    for word in text.split():
        need = _text_width(word) + (1 if used else 0)
        if used and used + need > width:
            lines, used = lines + 1, _text_width(word)
        else:
            used += need
    return lines


def _date_rule(title: str) -> dict:
    return dict(type="date", operator="between", formula1="DATE(2022,1,1)", formula2="DATE(2030,12,31)",
                errorTitle=title, error="请填写 2022-01-01 至 2030-12-31 之间的日期，格式 2025-12-31")


def write_form(path: Path, unit: str, targets: list[Target], cfg: Config, quarter: Quarter,
               previous: pd.DataFrame | None = None, verdicts: dict[str, str] | None = None) -> Path:
    """One unit's workbook at path (written to a temporary name, then renamed: never half written).

    `previous`: the returns of earlier quarters (the last value and status the unit reported); `verdicts`:
    target -> the verdict of the latest published assessment (what the briefing last said about it).
    """
    verdicts = verdicts or {}
    from openpyxl import Workbook

    resp = responsibilities(cfg)
    counts = [t for t in targets if t.type != "milestone"]
    milestones = [t for t in targets if t.type == "milestone"]
    wb = Workbook()
    _instructions(wb.active, unit, [resp[t.id] for t in targets], quarter, cfg, len(counts), len(milestones))
    wb.active.title = HELP_SHEET
    rows = []
    for t in counts:
        last = last_returned(previous, t.id)
        rows.append({"target": t.id, "clause": "/".join(t.clause), "statement": t.statement, "unit": t.unit,
                     "base": f"{t.base_year}年", "goal": goal_text(t), "last_value": last.get("value"),
                     "last_period": str(last.get("as_at") or "")[:10] or None, "last_status": last.get("status_word"),
                     "last_verdict": verdicts.get(t.id)})
    status_list = ",".join(FIGURE_STATUS)
    _table_sheet(wb.create_sheet(TARGET_SHEET), TARGET_COLUMNS, rows, {
        "value": dict(type="decimal", operator="greaterThanOrEqual", formula1="0", errorTitle="本期数值",
                      error="请填写不小于 0 的数字（不带单位）"),
        "as_at": _date_rule("截至日期"),
        "status": dict(type="list", formula1=f'"{status_list}"', errorTitle="数据状态", error=f"请从下拉列表选择：{status_list}"),
    }, f"台账 {quarter.label} · {unit} · 量化目标")
    rows = []
    for t in milestones:
        last = last_returned(previous, t.id)
        rows.append({"target": t.id, "clause": "/".join(t.clause), "statement": t.statement,
                     "due": f"{t.target_year}-12-31", "last_status": last.get("status_word"),
                     "last_date": str(last.get("completed") or "")[:10] or None, "last_verdict": verdicts.get(t.id)})
    progress_list = ",".join(MILESTONE_STATUS)
    _table_sheet(wb.create_sheet(MILESTONE_SHEET), MILESTONE_COLUMNS, rows, {
        "progress": dict(type="list", formula1=f'"{progress_list}"', errorTitle="进展状态",
                         error=f"请从下拉列表选择：{progress_list}"),
        "completed": _date_rule("完成日期"),
    }, f"台账 {quarter.label} · {unit} · 节点任务")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    wb.save(tmp)
    os.replace(tmp, path)
    return path


def write_forms(cfg: Config, quarter: Quarter, out_dir: Path, previous: pd.DataFrame | None = None,
                verdicts: dict[str, str] | None = None) -> list[Path]:
    """A workbook per lead unit into out_dir (reports/<q>/forms/); returns the paths written, in plan order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    resp = responsibilities(cfg)
    written = []
    for unit in lead_units(cfg):
        mine = [t for t in cfg.targets if resp[t.id].lead == unit and asked(t)]
        written.append(write_form(out_dir / form_name(quarter, unit), unit, mine, cfg, quarter, previous, verdicts))
    return written


def form_due(cfg: Config, quarter: Quarter) -> date:
    """When a quarter's returns are due (quarter end + departments.return_due_days)."""
    return quarter.end + timedelta(days=int((cfg.settings.get("departments") or {}).get("return_due_days", 15)))


def last_verdicts(reports_dir: Path, quarter: Quarter) -> dict[str, str]:
    """Target -> verdict (Chinese) of the latest published reports/<q>/assessment.csv with q up to quarter ({} if none)."""
    published = []
    for folder in Path(reports_dir).glob("[12][0-9][0-9][0-9][Qq][1-4]"):
        q = Quarter.from_label(folder.name)
        if (q.year, q.q) <= (quarter.year, quarter.q) and (folder / "assessment.csv").is_file():
            published.append((q.year, q.q, folder))
    if not published:
        return {}
    table = pd.read_csv(max(published)[2] / "assessment.csv", encoding="utf-8-sig", usecols=["target", "verdict_zh"])
    return dict(zip(table["target"], table["verdict_zh"].astype(str)))
