"""Quarterly return forms (台账填报表): one Excel workbook per lead unit, and one for the statistics bureau.

Each lead unit named by the plan (responsible.py) gets one workbook with
three sheets: 说明 (instructions: what to fill, how, by when, to whom),
量化目标 (its quantitative targets) and 节点任务 (its milestone tasks). The
statistics bureau (区统计局) gets 说明 and 统计数据: the comparable growth
rate printed for each year of the plan of every average-growth target, and
the enterprises newly entered into the above-size database (规上入库) each
year, with their status (快报/年报) and source document. What the registry
knows is pre-filled and protected; the cells to fill are unlocked, with
drop-downs for statuses and date checks for dates. Sheet protection has no
password: it guards against slips, not against the unit (returns.py checks
every row anyway).

A department reads Chinese only, in 宋体: the target ids returns.py reads
back sit in a hidden first column (目标编号), and a row of a target asked per
period (每季度, 每年) carries its period there too (investment_promotion_
events@2022Q1). One row per countable item: a statement the plan bundles
(新增4A级旅游景区、省级旅游度假区和旅游休闲街区各1个) shows the item's own
name (name_zh) with the plan's words after it, and a statement cut from its
sentence (总量突破650亿元) shows its full name. Every text cell goes through
storage.formula_safe (an earlier return's comment starting with "=" stays
text). The layout (sheet names, columns, periods) is what returns.py reads
back; both take it from returns_form.py (re-exported here).
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
from analysis.inputs.responsible import (Responsibility, entry_target, lead_units, responsibilities, statistics_targets,
                                         statistics_unit)
from analysis.inputs.returns_form import (FIGURE_STATUS, HELP_SHEET, LEGACY_SHEETS, MILESTONE_COLUMNS,  # noqa: F401 (re-exported)
                                          MILESTONE_SHEET, MILESTONE_STATUS, STAT_COLUMNS, STAT_SHEET, STAT_STATUS,
                                          TARGET_COLUMNS, TARGET_SHEET, period_end, period_zh, periods, quarter_zh, row_key)

FONT = "宋体"             # a standard CJK face, named on every cell (Excel and WPS substitute it where absent)
COMPARISON_WORDS = {">": "超过", ">=": "不少于", "about": "左右"}
# Column widths (characters; a Chinese character counts two), chosen so that a sheet printed on A4 landscape fits
# one page width at about 70 % (8 pt) and stays legible: every cell wraps, and the cells to fill, empty when sent,
# leave room for what a unit types or writes by hand (a date, a document number, a name and telephone, a sentence).
WIDTHS = {"target": 20, "clause": 10, "statement": 30, "unit": 6, "base": 7, "goal": 20, "last_value": 10,
          "last_period": 11, "last_status": 9, "last_verdict": 12, "value": 11, "as_at": 12, "status": 9,
          "evidence": 20, "contact": 14, "comment": 20, "due": 11, "last_date": 11, "progress": 9, "completed": 12,
          "indicator": 16, "period": 11, "measure": 14}
LINE_PT = 15              # the height of one wrapped line of 11 pt text


def asked(t: Target) -> bool:
    """Whether a lead unit's form asks for the target: all but average-growth rates (a growth rate is a statistic
    the statistics bureau publishes and returns on its own form; a department's figure would never be used for it)."""
    return t.type != "avg_growth"


def form_name(quarter: Quarter, unit: str) -> str:
    """File name of a unit's form: the quarter and the unit, so that a returned file says whose it is."""
    return f"台账_{quarter.label}_{unit}.xlsx"


def day_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# ------------------------------------------------------------------------------- what a row shows --
def goal_text(t: Target) -> str:
    """The target as a short phrase: 不少于35家（2024年）, 每季度1-2场, 年均增长10%左右（2022—2024年）."""
    if t.type == "milestone" or t.value is None:
        return f"{t.target_year}年完成"
    word = COMPARISON_WORDS.get(t.comparison or "", "")
    value = f"{t.value:g}" + (f"-{t.value_max:g}" if t.value_max else "")
    if t.type == "avg_growth":
        word = {"about": "", ">": "超过", ">=": "不低于"}.get(t.comparison or "", "")
        tail = "左右" if t.comparison == "about" else ""
        return (f"每年增长{word}{value}{t.unit}{tail}" if t.each_year else
                f"年均增长{word}{value}{t.unit}{tail}（{t.base_year + 1}—{t.target_year}年）")
    if t.per:
        return f"每{'季度' if t.per == 'quarter' else '年'}{'' if t.value_max else word}{value}{t.unit}"
    return (f"{value}{t.unit}{word}" if t.comparison == "about" else f"{word}{value}{t.unit}") + f"（{t.target_year}年）"


def clause_zh(t: Target) -> str:
    """The plan's places of a target as a reader cites them: 发展目标第1项、第26条."""
    return "、".join(f"发展目标第{c.split('.', 1)[1]}项" if c.startswith("二.") else f"第{c}条" for c in t.clause)


def shown_statements(targets: list[Target], cfg: Config) -> dict[str, str]:
    """Target id -> the statement its row shows: the full name of what is counted (name_zh), followed by the plan's
    words where the plan bundles several items in one sentence; never two rows of a form alike."""
    shared = pd.Series([t.statement for t in cfg.targets]).value_counts()
    out = {}
    for t in targets:
        text = t.name_zh or t.statement
        out[t.id] = f"{text}（规划：{t.statement}）" if shared.get(t.statement, 0) > 1 and text != t.statement else text
    seen = pd.Series(list(out.values())).value_counts()
    for t in targets:                 # a bundled item without a name of its own: its indicator tells it apart
        if seen[out[t.id]] > 1 and t.indicator in cfg.indicators:
            out[t.id] += f"（{cfg.indicators[t.indicator].name_zh}）"
    return out


def last_returned(previous: pd.DataFrame | None, target_id: str, period: str = "") -> dict:
    """The latest row a unit returned for a target (and period) in an earlier quarter (returns.read_returns), or {}."""
    if previous is None or previous.empty:
        return {}
    rows = previous[previous["target"] == target_id]
    if "period" in rows:
        rows = rows[rows["period"].fillna("").astype(str) == period]
    return rows.iloc[-1].to_dict() if len(rows) else {}


# ------------------------------------------------------------------------------------- sheets --
def _instructions(ws, unit: str, lines: list[tuple[str, bool]], quarter: Quarter) -> None:
    from openpyxl.styles import Alignment, Font

    n = 0
    for i, (text, bold) in enumerate((x for x in lines if x[0]), start=1):
        if text.startswith("#"):           # the numbered instructions, numbered as shown (a line may be left out)
            n += 1
            text = f"{n}. {text[1:]}"
        cell = ws.cell(i, 1, _cell_value(text))
        cell.font = Font(name=FONT, bold=bold, size=13 if i == 1 else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110
    _print_setup(ws, f"台账 {quarter_zh(quarter)} · {unit}", repeat_header=False)
    ws.protection.sheet = True


def _head_lines(cfg: Config, quarter: Quarter, who: str) -> list[tuple[str, bool]]:
    """The title, the unit filling the form in, the reporting date and to whom the form goes back, by when."""
    years = f"{min(cfg.plan_years)}—{max(cfg.plan_years)}"
    return [(f"《海门区现代服务业繁荣发展三年行动计划（{years}年）》目标任务推进情况台账（{quarter_zh(quarter)}）", True),
            (who, True),
            (f"报告期：截至{day_zh(quarter.end)}。请于{day_zh(form_due(cfg, quarter))}前将填好的本表报送{_collector(cfg)}。", False)]


def _collector(cfg: Config) -> str:
    """Who receives the returns (settings.yaml departments.collector)."""
    return str((cfg.settings.get("departments") or {}).get("collector", "区发改委"))


def _send_line(cfg: Config, quarter: Quarter) -> str:
    return f"#填好后按原格式保存，不要改动文件名，于{day_zh(form_due(cfg, quarter))}前报送{_collector(cfg)}。"


def _unit_lines(unit: str, units: list[Responsibility], quarter: Quarter, cfg: Config, n_targets: int,
                n_milestones: int, n_periods: int) -> list[tuple[str, bool]]:
    co = sorted({c for r in units for c in r.co_leads})
    plan_end = max(cfg.plan_years)
    return [
        *_head_lines(cfg, quarter, f"填报单位（牵头单位）：{unit}"),
        # a plan that has ended is judged on its last year's values (departments.py): ask for those, not today's
        (f"规划期已于{plan_end}年12月31日结束：量化目标请填 {plan_end}年末（截至日期 {plan_end}-12-31）的数值，"
         f"规划期后的数值不作为完成情况依据，如需报送请写在备注中。" if quarter.year > plan_end else "", False),
        (f"本表列出本单位牵头的 {n_targets} 项量化目标（“{TARGET_SHEET}”表）和 {n_milestones} 项节点任务（“{MILESTONE_SHEET}”表）。", False),
        (("与本单位按职责分工共同负责：" + "、".join(co) + "。请会同上述单位填报。") if co else "", False),
        ("填报说明：", True),
        ("#只填白色单元格；灰色单元格（条款、规划目标、目标值、上次报送情况和研判）已预填并锁定，请勿修改。", False),
        ("#本期数值：填数字本身，单位以“单位”列为准（例如 35，不写“35家”）；累计类目标填规划期（2022年起）累计数。", False),
        (f"#按期考核的目标（每季度、每年）每期一行：填该季度或该年度内的数量，截至日期已预填。本表共{n_periods}行此类数据。"
         if n_periods else "", False),
        ("#截至日期：数值对应的时点，日期格式如 2024-12-31。", False),
        ("#数据状态：下拉选择“台账数”（已核实的台账数据）或“预计数”（尚未核实的预计数据）。", False),
        ("#节点任务：进展状态下拉选择 未启动 / 推进中 / 已完成 / 已取消；选“已完成”时必须填写完成日期。", False),
        ("#依据或文号：验收文件、认定文件、统计台账等的名称或文号，便于核查；联系人及电话：填报人。", False),
        ("#暂无数据的目标：数值、日期、状态都留空，在备注中说明原因（仍计为未填完）；请勿增删行、列或工作表，不要合并或隐藏单元格。", False),
        (_send_line(cfg, quarter), False),
        ("部门报送数据在简报中标注为“部门报送”，可作为计数类目标和节点任务的依据，但不替代统计部门公布的数据。", False),
    ]


def _stat_lines(unit: str, quarter: Quarter, cfg: Config, n_growth: int, n_entry: int) -> list[tuple[str, bool]]:
    return [
        *_head_lines(cfg, quarter, f"填报单位：{unit}"),
        (f"本表请贵局提供规划中{n_growth}项增速目标逐年公布的可比口径同比增速，以及{n_entry}项规模以上（限额以上）企业"
         "目标逐年新增入库企业数。相关目标的政策牵头单位另有台账，增速和入库数据以统计部门数据为准。", False),
        ("填报说明：", True),
        ("#只填白色单元格；灰色单元格（指标、规划目标、年度、填报内容、目标值）已预填并锁定，请勿修改。", False),
        ("#数值：增速填可比口径同比增长百分数本身（例如增长8.5%填 8.5，下降填负数如 -2.1）；入库数填该年新增入库企业家数。", False),
        ("#数据状态：下拉选择“快报”或“年报”，以数据所依据的资料为准。", False),
        ("#来源文件或文号：统计公报、统计月报、年报资料等的名称、期号或文号，便于核查；联系人及电话：填报人。", False),
        ("#当年尚未结束的，填截至报告期末的累计增速或累计入库数；暂无数据的，数值和状态留空并在备注中说明。", False),
        ("#请勿增删行、列或工作表，不要合并或隐藏单元格。", False),
        (_send_line(cfg, quarter), False),
    ]


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
    ws.oddHeader.center.font = FONT
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.font = FONT
    if repeat_header:
        ws.print_title_rows = "1:1"


def _table_sheet(ws, columns: list[tuple[str, str, bool]], rows: list[dict], validations: dict, title: str = "") -> None:
    """Header, pre-filled rows, unlocked input cells with drop-downs, protection on, the id column hidden.

    A row's `_locked` keys are pre-filled and locked although their column is one to fill (the date of a period)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)      # printed, the cells to fill are visible boxes
    ws.append([h for _, h, _ in columns])
    for cell in ws[1]:
        cell.font = Font(name=FONT, bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = box
    grey, body = PatternFill("solid", fgColor="EDEDED"), Font(name=FONT)
    for row in rows:
        ws.append([_cell_value(row.get(key)) for key, _, _ in columns])
        r = ws.max_row
        for j, (key, _, fill) in enumerate(columns, start=1):
            cell = ws.cell(r, j)
            cell.border, cell.font = box, body
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if key in ("as_at", "completed"):
                cell.number_format = "yyyy-mm-dd"
            if fill and key not in row.get("_locked", ()):
                cell.protection = Protection(locked=False)
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
    ws.column_dimensions["A"].hidden = True          # the target ids: read back by returns.py, never shown
    # wrapped text needs its rows' heights set (Excel and LibreOffice keep a stored height): the header as high as
    # its longest label, each row as high as its longest text, at least two lines, room to write by hand on a printout
    shown = [(k, h) for k, h, _ in columns[1:]]
    ws.row_dimensions[1].height = max(2, *(math.ceil(_text_width(h) / (WIDTHS[k] - 1)) for k, h in shown)) * LINE_PT + 2
    for r, row in enumerate(rows, start=2):
        lines = max(math.ceil(_text_width(row.get(key)) / (WIDTHS[key] - 1)) for key, _ in shown)
        ws.row_dimensions[r].height = max(2, lines) * LINE_PT + 2
    ws.freeze_panes = "D2"
    _print_setup(ws, title)
    ws.protection.sheet = True
    ws.protection.formatColumns = False          # widths may be changed: it helps reading, changes no value


def _text_width(value: object) -> int:
    """Shown width of a cell's text in characters (a Chinese character counts two), as column widths count."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _date_rule(title: str) -> dict:
    return dict(type="date", operator="between", formula1="DATE(2022,1,1)", formula2="DATE(2030,12,31)",
                errorTitle=title, error="请填写 2022-01-01 至 2030-12-31 之间的日期，格式 2025-12-31")


def _list_rule(title: str, words: dict) -> dict:
    listed = ",".join(words)
    return dict(type="list", formula1=f'"{listed}"', errorTitle=title, error=f"请从下拉列表选择：{listed}")


def _save(wb, path: Path) -> Path:
    """Written to a temporary name, then renamed: never half written."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    wb.save(tmp)
    os.replace(tmp, path)
    return path


def write_form(path: Path, unit: str, targets: list[Target], cfg: Config, quarter: Quarter,
               previous: pd.DataFrame | None = None, verdicts: dict[str, str] | None = None) -> Path:
    """One lead unit's workbook at path.

    `previous`: the returns of earlier quarters (the last value and status the unit reported); `verdicts`:
    target -> the verdict of the latest published assessment (what the briefing last said about it).
    """
    verdicts = verdicts or {}
    from openpyxl import Workbook

    resp = responsibilities(cfg)
    counts = [t for t in targets if t.type != "milestone"]
    milestones = [t for t in targets if t.type == "milestone"]
    shown = shown_statements(targets, cfg)
    rows = []
    for t in counts:
        for period in (periods(t, quarter) if t.per else [""]):
            last = last_returned(previous, t.id, period)
            rows.append({"target": row_key(t.id, period), "clause": clause_zh(t), "unit": t.unit,
                         "statement": f"{shown[t.id]}（{period_zh(period, quarter)}）" if period else shown[t.id],
                         "base": f"{t.base_year}年", "goal": goal_text(t), "last_value": last.get("value"),
                         "last_period": str(last.get("as_at") or "")[:10] or None, "last_status": last.get("status_word"),
                         "last_verdict": verdicts.get(t.id),
                         **({"as_at": period_end(period, quarter), "_locked": ("as_at",)} if period else {})})
    wb = Workbook()
    _instructions(wb.active, unit, _unit_lines(unit, [resp[t.id] for t in targets], quarter, cfg, len(counts),
                                               len(milestones), sum("@" in r["target"] for r in rows)), quarter)
    wb.active.title = HELP_SHEET
    _table_sheet(wb.create_sheet(TARGET_SHEET), TARGET_COLUMNS, rows, {
        "value": dict(type="decimal", operator="greaterThanOrEqual", formula1="0", errorTitle="本期数值",
                      error="请填写不小于 0 的数字（不带单位）"),
        "as_at": _date_rule("截至日期"), "status": _list_rule("数据状态", FIGURE_STATUS),
    }, f"台账 {quarter_zh(quarter)} · {unit} · 量化目标")
    rows = []
    for t in milestones:
        last = last_returned(previous, t.id)
        rows.append({"target": t.id, "clause": clause_zh(t), "statement": shown[t.id],
                     "due": f"{t.target_year}年底前", "last_status": last.get("status_word"),
                     "last_date": str(last.get("completed") or "")[:10] or None, "last_verdict": verdicts.get(t.id)})
    _table_sheet(wb.create_sheet(MILESTONE_SHEET), MILESTONE_COLUMNS, rows, {
        "progress": _list_rule("进展状态", MILESTONE_STATUS), "completed": _date_rule("完成日期"),
    }, f"台账 {quarter_zh(quarter)} · {unit} · 节点任务")
    return _save(wb, path)


def write_statistics_form(path: Path, cfg: Config, quarter: Quarter) -> Path:
    """The statistics bureau's workbook: per target and year, the growth rate printed or the firms newly entered."""
    from openpyxl import Workbook

    unit, targets = statistics_unit(cfg), statistics_targets(cfg)
    shown = shown_statements(targets, cfg)
    rows = []
    for t in targets:
        growth = not entry_target(t)
        for period in periods(t, quarter, "year"):
            running = period_end(period, quarter).month != 12
            rows.append({"target": row_key(t.id, period), "indicator": cfg.indicators[t.indicator].name_zh,
                         "statement": shown[t.id], "period": period_zh(period, quarter), "goal": goal_text(t),
                         "measure": ("累计" if running else "") + ("同比增长（可比口径）" if growth else "新增入库企业数"),
                         "unit": "%" if growth else t.unit})
    wb = Workbook()
    n_growth = sum(not entry_target(t) for t in targets)
    _instructions(wb.active, unit, _stat_lines(unit, quarter, cfg, n_growth, len(targets) - n_growth), quarter)
    wb.active.title = HELP_SHEET
    _table_sheet(wb.create_sheet(STAT_SHEET), STAT_COLUMNS, rows, {
        "value": dict(type="decimal", operator="between", formula1="-100", formula2="100000", errorTitle="数值",
                      error="请填写数字（不带单位，下降填负数）"),
        "status": _list_rule("数据状态", STAT_STATUS),
    }, f"台账 {quarter_zh(quarter)} · {unit} · 统计数据")
    return _save(wb, path)


def write_forms(cfg: Config, quarter: Quarter, out_dir: Path, previous: pd.DataFrame | None = None,
                verdicts: dict[str, str] | None = None) -> list[Path]:
    """A workbook per lead unit, in plan order, then the statistics bureau's, into out_dir (reports/<q>/forms/)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    resp = responsibilities(cfg)
    written = []
    for unit in lead_units(cfg):
        mine = [t for t in cfg.targets if resp[t.id].lead == unit and asked(t)]
        written.append(write_form(out_dir / form_name(quarter, unit), unit, mine, cfg, quarter, previous, verdicts))
    if statistics_targets(cfg):
        written.append(write_statistics_form(out_dir / form_name(quarter, statistics_unit(cfg)), cfg, quarter))
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
