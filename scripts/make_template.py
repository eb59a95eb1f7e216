"""Regenerate data/templates/raw_release_template.{xlsx,csv} from the column contract and the registries.

Run with the project's environment: .venv/bin/python scripts/make_template.py [output folder]

Why the workbook looks as it does (issue 10):
- the sheet "data" holds only the header: the example row (a real published
  figure, also committed in data/raw/) lives on its own sheet, so a template
  saved into data/raw/ can never repeat a committed figure;
- drop-down lists (data validation) for indicator, unit (the chosen
  indicator's accepted units), region, period, status and reliability come
  from config/*.yaml, so a planner picks what the suite reads;
- the data cells are formatted as text, so "2.1%" or "1,352.37" stay as typed
  (a percent-formatted number cell would store 0.021);
- instructions in Chinese and English.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from analysis.core.config import load_config  # noqa: E402
from analysis.inputs.ingest import DATA_SHEET, EXAMPLE_SHEET, HELP_SHEET, LISTS_SHEET  # noqa: E402

ROWS = 500   # rows of the data sheet that carry drop-downs and text format
COLUMNS = [
    ("indicator", "指标", "yes", "指标名称（下拉选择，或填 config/indicators.yaml 中的别名）",
     "indicator as the source names it (drop-down, or an alias from config/indicators.yaml)"),
    ("indicator_en", "指标英文", "no", "英文名称", "English name"),
    ("region", "地区", "yes", "海门、南通、通州、海安（下拉选择）", "海门, 南通, 通州, 海安 (drop-down)"),
    ("year", "年份", "yes*", "数据所属年份（期间中已含年份时可空）", "year of the figure (*unless the period has it)"),
    ("period", "期间", "yes", "全年、年末、1-9月、2024年1-9月、2024Q3（下拉或按此格式填写）",
     "全年, 年末, 1-9月, 2024年1-9月, 2024Q3 (drop-down or this pattern)"),
    ("value", "数值", "yes*", "按原文填写的数字（*或只填同比增长）", "number as printed (*or give growth_pct)"),
    ("unit", "单位", "yes*", "原文单位（下拉列出所选指标可用的单位）", "unit as printed (drop-down: the chosen indicator's units)"),
    ("growth_pct", "同比增长%", "no", "原文同比增速，单位 %，如 3.1 或 -2.5", "printed year-on-year growth, %: 3.1 or -2.5"),
    ("qualifier", "限定", "no", "精确数留空；约、突破、取整、年份推断", "empty, approximately, lower bound (突破), rounded, year inferred"),
    ("status", "数据状态", "yes", "预计数、初步数、正式数/最终数、reported（下拉选择）",
     "estimate (预计数), preliminary (初步数), final (正式数/最终数), reported (drop-down)"),
    ("published", "发布日期", "recommended", "2024-01-11、2024-01 或 2024", "2024-01-11, 2024-01 or 2024"),
    ("reliability", "可靠性", "yes", "official 官方 / secondary 转载（已核对）/ mirror 转载待核对 / aggregator 聚合网站 / "
     "unverified 未核实（下拉选择）", "official, secondary (checked copy), mirror, aggregator, unverified (drop-down)"),
    ("source_title", "来源标题", "yes", "出处标题", "title of the publication"),
    ("source_url", "来源网址", "yes", "出处网址（http:// 或 https:// 开头）", "http(s) address of the publication"),
    ("publisher", "发布机构", "no", "发布单位", "who published it"),
    ("notes", "备注", "no", "口径说明、年份如何推断等", "caliber, how a year was inferred, ..."),
    ("confirmed", "确认说明", "no", "仅当核对检查报“数值可疑”而数值确实无误时填写：核实的理由（如“统计局 2025-03-01 确认，口径调整”）",
     "only when a plausibility check flags a figure that is right: why it is right (who confirmed it, when)"),
]
WIDTHS = [22, 16, 8, 8, 12, 10, 12, 10, 14, 12, 12, 12, 40, 40, 24, 30, 30]
EXAMPLE = ["地区生产总值", "GDP", "海门", "2025", "1-6月", "925.5", "亿元", "5.8", "", "reported", "2025-08-04", "official",
           "关于南通市海门区2025年国民经济和社会发展计划上半年执行情况的报告",
           "https://www.haimen.gov.cn/hmsfghjxw/gzgh/content/e1c72edf-2e98-489b-ad49-ad0f2a95a955.html",
           "南通市海门区发展和改革委员会", "示例（真实数据，已在 data/raw/ 中）example: a real figure already in data/raw/", ""]
YEAR_COLUMN = 4
PERIODS = ["全年", "年末", "1-2月", "1-3月", "1-4月", "1-5月", "1-6月", "1-7月", "1-8月", "1-9月", "1-10月", "1-11月",
           "一季度", "上半年", "前三季度"]
INSTRUCTIONS = [
    ("怎么填", "How to fill it in"),
    ("1. 每个出处（一份公报、报告或新闻）一个文件；在 data 工作表第 2 行起每行填一个数字。",
     "1. One file per publication; on sheet data, one published figure per row from row 2."),
    ("2. 指标、单位、地区、期间、数据状态、可靠性可用下拉选择；单位列出的是所选指标可用的单位。",
     "2. Indicator, unit, region, period, status and reliability have drop-downs; the unit list follows the chosen indicator."),
    ("3. 数值按原文填写（如 521、1,352.37、约500）；百分数可写 2.1 或 2.1%，按显示的数字读取。",
     "3. Type numbers as printed (521, 1,352.37, 约500); a percent may be typed 2.1 or 2.1% and is read as shown."),
    ("4. 不要使用公式、隐藏行、合并单元格或筛选；这些会被拒绝并提示位置。",
     "4. No formulas without values, hidden rows, merged cells or filters: they are refused with their location."),
    ("5. 示例见“example 示例”工作表（不会被读取）；自用的备注列请以 _ 开头命名（如 _comment）。",
     "5. The example is on sheet \"example 示例\" (never read); a column of your own must start with _ (e.g. _comment)."),
    ("6. 另存到 data/raw/，文件名如 2025-08-04_haimen_plan_execution_report_2025h1.xlsx，然后运行 make briefing。",
     "6. Save into data/raw/ as <publication date>_<publisher>_<topic>.xlsx and run `make briefing`."),
    ("完整规则见 data/raw/README.md。", "Full rules: data/raw/README.md."),
]


def _lists_sheet(wb: Workbook, cfg) -> dict[str, str]:
    """Write the drop-down choices on their own sheet; return the validation formula per column."""
    ws = wb.create_sheet(LISTS_SHEET)
    ref = quote_sheetname(LISTS_SHEET)
    indicators = sorted(cfg.indicators.values(), key=lambda i: i.id)
    statuses = [w for code, words in cfg.settings["vocabulary"]["status"].items() for w in dict.fromkeys([*words, code]) if w]
    reliabilities = [w for code, words in cfg.settings["vocabulary"]["reliability"].items()
                     for w in dict.fromkeys([code, *words]) if w]
    simple = {"indicator": [i.name_zh for i in indicators], "region": list(cfg.settings["regions"]), "period": PERIODS,
              "status": statuses, "reliability": reliabilities}
    formulas = {}
    for col, (name, values) in enumerate(simple.items(), start=1):
        letter = get_column_letter(col)
        ws.cell(1, col, name).font = Font(bold=True)
        for r, v in enumerate(values, start=2):
            ws.cell(r, col, v)
        formulas[name] = f"{ref}!${letter}$2:${letter}${len(values) + 1}"
    # Units: one column per indicator (row 1 its Chinese name, row 2 how many units, rows 3.. the units);
    # the unit drop-down finds the column of the indicator typed in the same row.
    first = len(simple) + 2
    for k, ind in enumerate(indicators):
        col = first + k
        ws.cell(1, col, ind.name_zh).font = Font(bold=True)
        ws.cell(2, col, len(ind.units))
        for r, unit in enumerate(ind.units, start=3):
            ws.cell(r, col, unit)
    a, b = get_column_letter(first), get_column_letter(first + len(indicators) - 1)
    match = f"MATCH($A2,{ref}!${a}$1:${b}$1,0)"
    formulas["unit"] = f"OFFSET({ref}!${a}$3,0,{match}-1,INDEX({ref}!${a}$2:${b}$2,{match}),1)"
    ws.sheet_properties.tabColor = "BFBFBF"
    return formulas


def main(out: Path = ROOT / "data" / "templates") -> None:
    cfg = load_config(ROOT / "config")
    out.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([c[0] for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=2, max_row=ROWS + 1, max_col=len(COLUMNS)):
        for cell in row:
            if cell.column != YEAR_COLUMN:
                cell.number_format = "@"       # text: kept exactly as typed (the year keeps a whole-number check)
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet(HELP_SHEET)          # sheet order: data, help, example, lists
    example = wb.create_sheet(EXAMPLE_SHEET)
    example.append([c[0] for c in COLUMNS])
    example.append(EXAMPLE)
    example.append([])
    example.append(["这一行只是示例，不会被读取；请在 data 工作表填写。This row is only an example and is never read: "
                    "fill in sheet data."])
    for cell in example[1]:
        cell.font = Font(bold=True)
    for i, width in enumerate(WIDTHS, start=1):
        example.column_dimensions[get_column_letter(i)].width = width

    for zh, en in INSTRUCTIONS:
        help_ws.append([zh, en])
    help_ws.append([])
    help_ws.append(["列名 column", "中文表头", "必填 required", "填写说明", "what it holds"])
    for cell in help_ws[help_ws.max_row]:
        cell.font = Font(bold=True)
    for row in COLUMNS:
        help_ws.append(list(row))
    help_ws["A1"].font = help_ws["B1"].font = Font(bold=True)
    for letter, width in zip("ABCDE", (70, 70, 14, 50, 60)):
        help_ws.column_dimensions[letter].width = width
    for row in help_ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    formulas = _lists_sheet(wb, cfg)
    position = {c[0]: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    strict = {"indicator": False, "unit": False, "region": True, "period": False, "status": True, "reliability": True}
    for name, is_strict in strict.items():
        zh, en = next((c[3], c[4]) for c in COLUMNS if c[0] == name)
        dv = DataValidation(type="list", formula1=formulas[name], allow_blank=True, showErrorMessage=True,
                            showInputMessage=True, errorStyle="stop" if is_strict else "warning",
                            promptTitle=name, prompt=f"{zh}\n{en}"[:255],
                            errorTitle="不在列表中 Not in the list",
                            error=("请从下拉列表选择。Pick a value from the list." if is_strict else
                                   "不在列表中；如为别名或其他格式可继续。Not in the list: continue only for an alias or "
                                   "another accepted form (data/raw/README.md)."))
        dv.add(f"{position[name]}2:{position[name]}{ROWS + 1}")
        ws.add_data_validation(dv)
    year = DataValidation(type="whole", operator="between", formula1="1949", formula2="2100", allow_blank=True,
                          showErrorMessage=True, errorTitle="年份 Year", error="四位数年份 A four-digit year, e.g. 2024")
    year.add(f"{position['year']}2:{position['year']}{ROWS + 1}")
    ws.add_data_validation(year)

    wb.active = 0
    wb.save(out / "raw_release_template.xlsx")
    # The CSV template is the header only; the example row is in data/raw/README.md.
    with open(out / "raw_release_template.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow([c[0] for c in COLUMNS])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "templates")
