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
    assert width["依据或文号"] >= 20 and width["联系人及电话"] >= 14 and width["完成日期"] >= 12
    assert all(ws.cell(r, c).alignment.wrap_text for r in (1, 2) for c in range(1, ws.max_column + 1))
    # the longest statement (over 60 characters in a 30-wide column) gets a row of several lines, an empty row two
    statement = headers["规划任务"]
    longest = max(range(2, ws.max_row + 1), key=lambda r: len(ws[f"{statement}{r}"].value or ""))
    assert len(ws[f"{statement}{longest}"].value) > 60 and ws.row_dimensions[longest].height >= 4 * 15
    assert min(ws.row_dimensions[r].height for r in range(2, ws.max_row + 1)) >= 2 * 15
    assert ws.row_dimensions[1].height >= 2 * 15                    # "上次完成日期" takes two lines in its column
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
    assert "本期数值" in text and "博物馆年接待参观总量达120万人次" in text and "value" not in text


# ------------------------------------------------ issue 26 point 7: forms fit to send, as a district office sends them --
import re  # noqa: E402

from openpyxl.utils import get_column_letter  # noqa: E402

from analysis.inputs.forms import FONT, STAT_SHEET, form_name  # noqa: E402
from analysis.inputs.responsible import lead_units, statistics_targets  # noqa: E402

LATIN_ALLOWED = ("4A",)          # a grade the plan names (4A级旅游景区), as printed


@pytest.fixture(scope="module")
def all_forms(tmp_path_factory, cfg) -> dict[str, Path]:
    """Every form of the 2025Q4 round (the plan has ended) by unit, the statistics bureau's included."""
    out = tmp_path_factory.mktemp("all_forms")
    return {p.stem.split("_")[-1]: p for p in write_forms(cfg, Q, out)}


def _hidden_letters(ws) -> set[str]:
    hidden = set()
    for dim in ws.column_dimensions.values():
        if dim.hidden:
            hidden |= {get_column_letter(i) for i in range((dim.min or 1), (dim.max or dim.min or 1) + 1)}
    return hidden


def visible_texts(ws) -> list[str]:
    """What a unit sees of a sheet: its tab name, page header and footer (without the &P/&N codes), every cell not in
    a hidden column, and the words of its drop-downs and error messages."""
    hidden = _hidden_letters(ws)
    texts = [ws.title, re.sub(r"&[A-Z]", "", ws.oddHeader.center.text or ""), re.sub(r"&[A-Z]", "", ws.oddFooter.center.text or "")]
    texts += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None and c.column_letter not in hidden]
    for dv in ws.data_validations.dataValidation:
        texts += [dv.error or "", dv.errorTitle or "", dv.prompt or "", dv.promptTitle or ""]
        texts += [dv.formula1 or ""] if dv.type == "list" else []
    return texts


def _rows(path: Path, sheet: str) -> list[dict]:
    """A table sheet's rows as {header: value}, the hidden id column under its header (目标编号)."""
    ws = load_workbook(path)[sheet]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]


def test_every_sheet_a_unit_sees_is_chinese_only_and_names_no_file_path(all_forms, cfg):
    assert set(all_forms) == set(lead_units(cfg)) | {"区统计局"}
    for unit, path in all_forms.items():
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for text in visible_texts(ws):
                for allowed in LATIN_ALLOWED:
                    text = text.replace(allowed, "")
                assert not re.search(r"[A-Za-z]", text), f"{unit} / {ws.title}: {text!r}"
        help_text = "\n".join(str(c.value) for c in wb["说明"]["A"] if c.value)
        assert "data/returns" not in help_text and "前将填好的本表报送区发改委" in help_text
        assert "2026年1月15日" in help_text                                       # the due date, from settings
        for ws in wb.worksheets[1:]:             # the ids are kept, for reading back, in a hidden first column
            assert "A" in _hidden_letters(ws) and ws["A1"].value == "目标编号"
            ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
            assert all(re.fullmatch(r"[a-z0-9_]+(@\d{4}(Q[1-4])?)?", i) for i in ids), ids


def test_every_cell_is_set_in_a_standard_cjk_font(all_forms):
    for unit, path in all_forms.items():
        for ws in load_workbook(path).worksheets:
            cells = [c for row in ws.iter_rows() for c in row if c.value is not None or c.row > 1]
            assert FONT == "宋体" and cells and {c.font.name for c in cells} == {"宋体"}, (unit, ws.title)
            assert ws.oddHeader.center.font == FONT


def test_no_two_rows_of_a_form_read_alike_and_bundled_items_name_their_own(all_forms):
    for unit, path in all_forms.items():
        wb = load_workbook(path)
        for sheet in [s for s in wb.sheetnames if s != "说明"]:
            shown = [(r.get("规划目标") or r.get("规划任务"), r.get("年度")) for r in _rows(path, sheet)]
            duplicates = {s for s in shown if shown.count(s) > 1}
            assert not duplicates, f"{unit} / {sheet}: {duplicates}"
    rows = {r["目标编号"]: r["规划目标"] for r in _rows(all_forms["区文广旅局"], TARGET_SHEET)}
    assert rows["new_4a_scenic_area"].startswith("新增4A级旅游景区1个（规划：新增4A级旅游景区、省级旅游度假区")
    assert rows["new_provincial_resort"].startswith("新增省级旅游度假区1个（规划：")
    assert rows["new_leisure_street"].startswith("新增旅游休闲街区1个（规划：")


def test_a_statement_cut_from_its_sentence_shows_its_subject(all_forms, cfg):
    rows = {r["目标编号"]: r["规划目标"] for r in _rows(all_forms["区商务局"], TARGET_SHEET)}
    assert rows["retail_sales_level"] == "社会消费品零售总额2024年突破650亿元"          # the plan: 总量突破650亿元
    every = {r["目标编号"]: r["规划目标"] for p in all_forms.values() if TARGET_SHEET in load_workbook(p).sheetnames
             for r in _rows(p, TARGET_SHEET)}
    for t in cfg.targets:
        if t.id in every:
            assert every[t.id].startswith(t.name_zh), t.id


def test_a_target_every_quarter_or_year_must_reach_is_asked_one_row_per_period(all_forms, cfg, tmp_path):
    ws = load_workbook(all_forms["区投资服务中心"])[TARGET_SHEET]
    rows = _rows(all_forms["区投资服务中心"], TARGET_SHEET)
    events = [r for r in rows if r["目标编号"].startswith("investment_promotion_events")]
    assert [r["目标编号"].split("@")[1] for r in events] == [f"{y}Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]
    assert events[0]["规划目标"] == "每季度组织1-2场服务业招商活动（2022年第一季度）" and events[0]["目标值"] == "每季度1-2场"
    assert str(events[-1]["截至日期"])[:10] == "2024-12-31"                      # pre-filled with the period's end
    r = next(i for i, row in enumerate(rows, start=2) if row["目标编号"] == "investment_promotion_events@2022Q1")
    date_col = [c.value for c in ws[1]].index("截至日期") + 1
    assert ws.cell(r, date_col).protection.locked and ws.cell(r, date_col).fill.fgColor.rgb.endswith("EDEDED")
    years = [row["目标编号"] for row in _rows(all_forms["区发改委"], TARGET_SHEET) if row["目标编号"].startswith("key_service")]
    assert years == ["key_service_projects@2022", "key_service_projects@2023", "key_service_projects@2024"]
    # while the plan runs, the periods begun by the quarter's end: a year still running is asked as so far
    midway = write_forms(cfg, Quarter(2023, 2), tmp_path)
    rows = _rows(next(p for p in midway if p.stem.endswith("区发改委")), TARGET_SHEET)
    running = next(r for r in rows if r["目标编号"] == "key_service_projects@2023")
    assert "（2023年1—6月）" in running["规划目标"] and str(running["截至日期"])[:10] == "2023-06-30"
    rows = _rows(next(p for p in midway if p.stem.endswith("区投资服务中心")), TARGET_SHEET)
    assert [r["目标编号"] for r in rows if "@" in r["目标编号"]][-1] == "investment_promotion_events@2023Q2"


def test_the_statistics_bureau_is_asked_each_growth_rate_and_entry_count_per_year(all_forms, cfg):
    path = all_forms["区统计局"]
    assert path.name == form_name(Q, "区统计局") and load_workbook(path).sheetnames == ["说明", STAT_SHEET]
    rows = _rows(path, STAT_SHEET)
    wanted = {t.id for t in statistics_targets(cfg)}
    assert {"retail_sales_growth", "key_service_revenue_growth", "software_it_revenue_growth", "ecommerce_growth",
            "new_service_firms", "new_trade_hospitality_firms", "above_size_culture_firms"} <= wanted
    assert [r["目标编号"] for r in rows] == [f"{t}@{y}" for t in [t.id for t in cfg.targets if t.id in wanted]
                                         for y in (2022, 2023, 2024)]
    retail = [r for r in rows if r["目标编号"].startswith("retail_sales_growth@")]
    assert [(r["年度"], r["填报内容"], r["单位"]) for r in retail] == [(f"{y}年", "同比增长（可比口径）", "%") for y in (2022, 2023, 2024)]
    assert retail[0]["指标"] == "社会消费品零售总额" and "年均增长10%左右" in retail[0]["目标值"]
    firms = next(r for r in rows if r["目标编号"] == "new_service_firms@2022")
    assert (firms["填报内容"], firms["单位"]) == ("新增入库企业数", "家")
    lists = [dv.formula1 for dv in load_workbook(path)[STAT_SHEET].data_validations.dataValidation if dv.type == "list"]
    assert lists == ['"快报,年报"']
    # the growth rates are on no lead unit's form: their figures are the bureau's
    for unit, p in all_forms.items():
        if unit != "区统计局":
            assert not any(r["目标编号"].split("@")[0].endswith("_growth") for r in _rows(p, TARGET_SHEET))
