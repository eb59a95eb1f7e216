"""Regenerate data/templates/raw_release_template.{xlsx,csv} from the column contract.

Run with the project's environment: .venv/bin/python scripts/make_template.py
The example row is a real published figure (Haimen GDP, 2025 H1).
"""
import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [
    ("indicator", "指标", "yes", "indicator as the source names it (id, Chinese name or alias in config/indicators.yaml)"),
    ("indicator_en", "指标英文", "no", "English name"),
    ("region", "地区", "yes", "海门, 南通, 通州, 海安"),
    ("year", "年份", "yes*", "year of the figure (*unless the period has it)"),
    ("period", "期间", "yes", "全年, 年末, 1-9月, 2024年1-9月, 2024Q3"),
    ("value", "数值", "yes*", "number as printed (*or give growth_pct)"),
    ("unit", "单位", "yes*", "unit as printed: 亿元, billion yuan, 万人次 ..."),
    ("growth_pct", "同比增长%", "no", "printed year-on-year growth, %"),
    ("qualifier", "限定", "no", "empty, approximately, lower bound (突破), rounded, year inferred from context"),
    ("status", "数据状态", "yes", "预计, 初步核算, 最终核实, reported"),
    ("published", "发布日期", "recommended", "2024-01-11, 2024-01 or 2024"),
    ("reliability", "可靠性", "yes", "official, secondary, unverified"),
    ("source_title", "来源标题", "yes", "title of the publication"),
    ("source_url", "来源网址", "yes", "http(s) address of the publication"),
    ("publisher", "发布机构", "no", "who published it"),
    ("notes", "备注", "no", "caliber, how a year was inferred, ..."),
]
EXAMPLE = ["地区生产总值", "GDP", "海门", "2025", "1-6月", "925.5", "亿元", "5.8", "", "reported", "2025-08-04", "official",
           "关于南通市海门区2025年国民经济和社会发展计划上半年执行情况的报告",
           "https://www.haimen.gov.cn/hmsfghjxw/gzgh/content/e1c72edf-2e98-489b-ad49-ad0f2a95a955.html",
           "南通市海门区发展和改革委员会", "example row (a real figure): replace it with yours"]


def main() -> None:
    out = ROOT / "data" / "templates"
    out.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append([c[0] for c in COLUMNS])
    ws.append(EXAMPLE)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, width in enumerate([22, 16, 8, 8, 10, 10, 12, 10, 14, 10, 12, 11, 40, 40, 24, 30]):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("说明 help")
    help_ws.append(["column", "中文表头", "required", "what it holds"])
    for row in COLUMNS:
        help_ws.append(list(row))
    help_ws.append([])
    help_ws.append(["One file per publication. Save into data/raw/ and run `make briefing`. Full rules: data/raw/README.md"])
    wb.save(out / "raw_release_template.xlsx")
    with open(out / "raw_release_template.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([c[0] for c in COLUMNS])
        w.writerow(EXAMPLE)


if __name__ == "__main__":
    main()
