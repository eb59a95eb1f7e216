"""Write the synthetic department returns the tests read (SYNTHETIC: made-up numbers, not real returns).

Three lead units fill the 2025Q4 forms that forms.py writes:
- good/2025Q4: 区科技局 fills every row (complete); 区文广旅局 fills some rows (incomplete);
- mistakes/2025Q4: 区金融监管局 fills its rows with typical slips (a 约 before the number, a date after the
  quarter, a status not in the list, a value without its date).
Run again after the form layout changes: `.venv/bin/python tests/synthetic_returns/make_synthetic_returns.py`.
The files kept here were filled on the forms first sent (bilingual headers, sheets "目标 targets" and "节点 milestones",
ids in a visible column): returns.py still reads that layout, and the hostile-input tests name its sheets and headers,
so they stay as they are; tests/test_returns.py fills today's forms with the same FILLS (fill() below) and checks that
both read back alike.
"""
from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from analysis.core.config import load_config
from analysis.inputs.forms import MILESTONE_COLUMNS, MILESTONE_SHEET, TARGET_COLUMNS, TARGET_SHEET, form_name, write_forms
from analysis.core.quarters import Quarter

HERE = Path(__file__).parent
QUARTER = Quarter(2025, 4)
NOTE = "SYNTHETIC test data"
# target -> (value, as at, status) or milestone -> (progress, completed on)
FILLS = {
    ("good", "区科技局"): {
        "tech_service_firms": (38, date(2024, 12, 31), "台账数"),
        "tech_service_firms_100m": (4, date(2024, 12, 31), "台账数"),
        "tech_service_revenue": (26.5, date(2024, 12, 31), "预计数"),
        "external_tech_service_projects": (640, date(2024, 12, 31), "台账数"),
        "tech_core_zone": (1, date(2024, 12, 31), "台账数"),
        "incubation_clusters": (3, date(2024, 12, 31), "台账数"),
    },
    ("good", "区文广旅局"): {
        "new_4a_scenic_area": (1, date(2024, 12, 31), "台账数"),
        "culture_projects_2022": ("已完成", date(2022, 12, 20)),
        "culture_projects_2023": ("推进中", None),
        "culture_tourism_consumption_city": ("已完成", date(2024, 11, 15)),
    },
    ("mistakes", "区金融监管局"): {
        "financial_regional_headquarters": ("约3", date(2024, 12, 31), "台账数"),
        "private_fund_managers": (31, date(2026, 3, 31), "台账数"),
        "private_fund_aum": (160, date(2024, 12, 31), "正式数"),
        "loan_balance": (2100, None, "台账数"),
    },
}


def fill(path: Path, rows: dict) -> None:
    wb = load_workbook(path)
    for sheet, columns in ((TARGET_SHEET, TARGET_COLUMNS), (MILESTONE_SHEET, MILESTONE_COLUMNS)):
        ws = wb[sheet]
        col = {k: j for j, (k, _, _) in enumerate(columns, start=1)}
        for r in range(2, ws.max_row + 1):
            values = rows.get(ws.cell(r, 1).value)
            if values is None:
                continue
            keys = ("value", "as_at", "status") if sheet == TARGET_SHEET else ("progress", "completed")
            for key, v in zip(keys, values):
                ws.cell(r, col[key], v)
            ws.cell(r, col["evidence"], NOTE)
            ws.cell(r, col["contact"], "synthetic contact")
    wb.save(path)


def main() -> None:
    cfg = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        forms = Path(tmp)
        write_forms(cfg, QUARTER, forms)
        for (folder, unit), rows in FILLS.items():
            out = HERE / folder / QUARTER.label
            out.mkdir(parents=True, exist_ok=True)
            dest = out / f"synthetic_{form_name(QUARTER, unit)}"
            shutil.copy(forms / form_name(QUARTER, unit), dest)
            fill(dest, rows)
            print(dest.relative_to(HERE))


if __name__ == "__main__":
    main()
