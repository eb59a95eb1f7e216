"""Return forms as printed (forms.py): A4 landscape, one page wide, header row on every page, cells wide and
wrapped enough to read and to fill by hand; and, where LibreOffice is installed, the PDF it prints shows the
Chinese in full (the instructions are not cut at the page edge)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from analysis.inputs.forms import HELP_SHEET, MILESTONE_COLUMNS, MILESTONE_SHEET, TARGET_COLUMNS, TARGET_SHEET, WIDTHS, write_forms
from analysis.core.quarters import Quarter

Q = Quarter(2025, 4)


@pytest.fixture(scope="module")
def form(tmp_path_factory, cfg) -> Path:
    out = tmp_path_factory.mktemp("forms")
    return next(p for p in write_forms(cfg, Q, out) if p.stem.endswith("区文广旅局"))   # targets and milestones


def test_every_sheet_prints_a4_landscape_one_page_wide_with_its_header_on_every_page(form):
    wb = load_workbook(form)
    for name in (HELP_SHEET, TARGET_SHEET, MILESTONE_SHEET):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9      # 9: A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert "区文广旅局" in ws.oddHeader.center.text and "&P" in ws.oddFooter.center.text
    for name in (TARGET_SHEET, MILESTONE_SHEET):
        assert wb[name].print_title_rows.replace("$", "") == "1:1"


def test_columns_are_wide_enough_to_fill_and_rows_high_enough_for_their_wrapped_text(form):
    ws = load_workbook(form)[MILESTONE_SHEET]
    headers = {c.value: c.column_letter for c in ws[1]}
    width = {h: ws.column_dimensions[col].width for h, col in headers.items()}
    assert width["依据或文号 evidence"] >= 20 and width["联系人及电话 contact"] >= 14 and width["完成日期 completed on"] >= 12
    assert all(ws.cell(r, c).alignment.wrap_text for r in (1, 2) for c in range(1, ws.max_column + 1))
    # the longest statement (over 60 characters in a 30-wide column) gets a row of several lines, an empty row two
    statement = headers["规划任务 statement"]
    longest = max(range(2, ws.max_row + 1), key=lambda r: len(ws[f"{statement}{r}"].value or ""))
    assert len(ws[f"{statement}{longest}"].value) > 60 and ws.row_dimensions[longest].height >= 4 * 15
    assert min(ws.row_dimensions[r].height for r in range(2, ws.max_row + 1)) >= 2 * 15
    assert ws.row_dimensions[1].height >= 3 * 15                    # "上次完成日期 last completed" takes three lines
    assert {k for k, _, _ in TARGET_COLUMNS + MILESTONE_COLUMNS} <= set(WIDTHS)      # every column has a designed width


def _calc_installed() -> bool:
    """soffice with its Calc component (libreoffice-calc-nogui): Writer alone, as once found here, cannot load
    an .xlsx, and the conversion then fails with "source file could not be loaded"."""
    soffice = shutil.which("soffice")
    return bool(soffice) and (Path(soffice).resolve().parent / "libscfiltlo.so").exists()


@pytest.mark.skipif(not _calc_installed(), reason="LibreOffice Calc is not installed (apt-get install libreoffice-calc-nogui)")
def test_libreoffice_prints_the_form_landscape_with_the_chinese_in_full(form, tmp_path):
    profile = tmp_path / "lo_profile"          # a profile of its own: a shared or unwritable HOME profile fails the run
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(form)], check=True, capture_output=True, timeout=180)
    from pypdf import PdfReader
    reader = PdfReader(tmp_path / f"{form.stem}.pdf")
    assert len(reader.pages) == 3                                   # instructions, targets, milestones: one page each
    assert all(p.mediabox.width > p.mediabox.height for p in reader.pages)
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert "不要合并或隐藏单元格" in text                           # the end of the longest instruction line
    assert "本期数值value" in text and "博物馆年接待参观总量达120万人次" in text
