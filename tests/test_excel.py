"""Excel in and out (issue 10, point 6): workbooks are read as the planner saw them, every trap a
spreadsheet can hide is refused with file, sheet, row, column and fix, the template carries drop-downs,
and assessment.xlsx is formatted for planners with no cell that could run as a formula.

Every workbook here is synthetic, built in the test with openpyxl (file names say so)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from analysis.core import paths
from analysis.core.errors import InputError
from analysis.inputs.ingest import DATA_SHEET, EXAMPLE_SHEET, ingest
from analysis.core.storage import formula_safe
from conftest import HEADER, synthetic_row, tree_digest, write_release

TEMPLATE = paths.ROOT / "data" / "templates" / "raw_release_template.xlsx"


def synthetic_workbook(folder: Path, name: str, rows: list[dict[str, object]], header: list[str] = HEADER,
                       sheet: str = DATA_SHEET) -> tuple[Path, Workbook]:
    """A synthetic release workbook (not saved yet: tests change cells first); returns (path, workbook)."""
    assert name.startswith("synthetic_")
    folder.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append([row.get(h, "") for h in header])
    return folder / name, wb


def problems_of(raw: Path, cfg) -> list:
    before = tree_digest(raw)
    with pytest.raises(InputError) as exc:
        ingest(raw, cfg)
    assert tree_digest(raw) == before, "raw files are never modified"
    return exc.value.problems


def test_percent_cell_is_read_as_displayed(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_percent.xlsx", [synthetic_row(growth_pct="")])
    ws = wb[DATA_SHEET]
    col = HEADER.index("growth_pct") + 1
    ws.cell(2, col).value = 0.021            # what Excel stores when 2.1% is typed into a cell
    ws.cell(2, col).number_format = "0.0%"
    ws.cell(2, HEADER.index("value") + 1).value = 100.0
    wb.save(path)
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert obs["growth_pct"].tolist() == [2.1]
    assert obs["value"].tolist() == [100.0]


def test_quoted_percent_sign_is_not_scaled(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_percent_literal.xlsx", [synthetic_row()])
    cell = wb[DATA_SHEET].cell(2, HEADER.index("growth_pct") + 1)
    cell.value, cell.number_format = 2.1, '0.0"%"'        # shows 2.1% without scaling
    wb.save(path)
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert obs["growth_pct"].tolist() == [2.1]


def test_formula_without_cached_value_is_refused_with_its_place(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_formula.xlsx", [synthetic_row()])
    wb[DATA_SHEET].cell(2, HEADER.index("value") + 1).value = "=400+121"   # openpyxl saves no cached result
    wb.save(path)
    problems = problems_of(tmp_path / "raw", cfg)
    text = "\n".join(map(str, problems))
    assert "synthetic_formula.xlsx" in text and 'sheet "data"' in text and "row 2" in text
    assert 'column "value"' in text and "cell E2" in text and "=400+121" in text
    assert "formula" in text and "save" in text and "Excel" in text and "WPS" in text


def test_formula_with_a_saved_result_is_refused_not_read(tmp_path, cfg):
    """=500*1.1 saved by Excel as 550 was read as a figure and changed a headline verdict (a planner's trial,
    2026-12-07): a raw figure is typed as printed, never computed, so the formula is refused with its place."""
    import zipfile

    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_formula_saved.xlsx", [synthetic_row()])
    wb[DATA_SHEET].cell(2, HEADER.index("value") + 1).value = "=500*1.1"
    wb.save(path)
    # openpyxl writes no result; add the one Excel would save (<v>550</v>) beside the formula
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n, b in parts.items() if n.startswith("xl/worksheets/") and b"<f>500*1.1</f>" in b)
    parts[sheet] = parts[sheet].replace(b"<f>500*1.1</f><v></v>", b"<f>500*1.1</f><v>550</v>").replace(
        b"<f>500*1.1</f></c>", b"<f>500*1.1</f><v>550</v></c>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    problems = problems_of(tmp_path / "raw", cfg)
    text = "\n".join(map(str, problems))
    assert "synthetic_formula_saved.xlsx" in text and 'sheet "data"' in text and "row 2" in text and "cell E2" in text
    assert "=500*1.1" in text and "shows its result 550" in text and "Paste Special > Values" in text
    assert "原始数据须按原文填写数字" in text


def test_hidden_row_is_refused(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_hidden_row.xlsx",
                                  [synthetic_row(), synthetic_row(year="2021", value="90", source_url="https://example.org/s2")])
    wb[DATA_SHEET].row_dimensions[3].hidden = True
    wb.save(path)
    text = "\n".join(map(str, problems_of(tmp_path / "raw", cfg)))
    assert "hidden row" in text and "row 3" in text and 'sheet "data"' in text and "Unhide" in text


def test_hidden_sheet_with_figures_is_reported(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_hidden_sheet.xlsx", [synthetic_row()])
    extra = wb.create_sheet("Sheet2")
    extra.append(HEADER)
    extra.append([synthetic_row(year="2021")[h] for h in HEADER])
    extra.sheet_state = "hidden"
    wb.save(path)
    text = "\n".join(map(str, problems_of(tmp_path / "raw", cfg)))
    assert 'hidden sheet "Sheet2"' in text and "only sheet" in text


def test_merged_cells_and_excel_errors_are_reported(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_merged.xlsx",
                                  [synthetic_row(), synthetic_row(year="2021", source_url="https://example.org/s2")])
    ws = wb[DATA_SHEET]
    ws.merge_cells("B2:B3")
    ws.cell(2, HEADER.index("value") + 1).value = "#DIV/0!"      # an error value Excel cached
    wb.save(path)
    text = "\n".join(map(str, problems_of(tmp_path / "raw", cfg)))
    assert "merged cells (B2:B3)" in text and "unmerge" in text
    assert "Excel error #DIV/0!" in text and "cell E2" in text


def test_figures_on_a_second_sheet_are_found_or_reported(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_second_sheet.xlsx", [synthetic_row()], sheet="Sheet2")
    wb.create_sheet("Sheet1", 0)                                # an empty first sheet, figures on the second
    wb.save(path)
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert len(obs) == 1


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("typo, meant", [("publish_date", "published"), ("growth", "growth_pct")])
def test_misspelt_optional_header_is_named_with_the_nearest(tmp_path, cfg, kind, typo, meant):
    header = [typo if h == meant else h for h in HEADER]
    row = synthetic_row()
    row[typo] = row.pop(meant) or "3.0"
    if kind == "xlsx":
        path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_typo_header.xlsx", [row], header=header)
        wb.save(path)
    else:
        (tmp_path / "raw").mkdir()
        pd.DataFrame([row], columns=header).to_csv(tmp_path / "raw" / "synthetic_typo_header.csv", index=False)
    text = "\n".join(map(str, problems_of(tmp_path / "raw", cfg)))
    assert f'the header "{typo}" is not a known column (did you mean "{meant}"?)' in text
    assert f'rename it to "{meant}"' in text and "row 1" in text


def test_own_column_starting_with_underscore_is_ignored(tmp_path, cfg):
    (tmp_path / "raw").mkdir()
    row = synthetic_row()
    pd.DataFrame([{**row, "_comment": "checked by hand"}]).to_csv(tmp_path / "raw" / "synthetic_own_column.csv", index=False)
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert len(obs) == 1


@pytest.mark.parametrize("word, code", [("正式数", "final"), ("最终数", "final"), ("初步数", "preliminary"),
                                        ("预计数", "estimate")])
def test_chinese_status_words_are_accepted(tmp_path, cfg, word, code):
    write_release(tmp_path / "raw", "synthetic_status_zh.csv", [synthetic_row(status=word)])
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert obs["status"].tolist() == [code]


def test_unknown_status_fix_lists_the_chinese_words(tmp_path, cfg):
    write_release(tmp_path / "raw", "synthetic_status_bad.csv", [synthetic_row(status="正式版本")])
    text = "\n".join(map(str, problems_of(tmp_path / "raw", cfg)))
    assert 'column "status"' in text and "正式数" in text and "初步数" in text and "预计数" in text and "final" in text


def test_template_example_collision_never_says_delete_a_committed_row(tmp_path, cfg):
    committed = synthetic_row(notes="committed release")
    write_release(tmp_path / "raw", "synthetic_2023_committed.csv", [committed])
    write_release(tmp_path / "raw", "synthetic_2024_new_release.csv", [synthetic_row(notes="example row copied")])
    text = "\n".join(map(str, problems_of(tmp_path / "raw", cfg)))
    assert "repeats the figure" in text and "synthetic_2024_new_release.csv, row 2" in text
    assert "files you are adding now" in text and "never edited" in text
    assert "delete one of the two rows" not in text


def test_template_has_drop_downs_and_the_example_on_its_own_sheet(tmp_path, cfg):
    wb = load_workbook(TEMPLATE)
    data = wb[DATA_SHEET]
    assert data.max_row == 1 or not any(c.value for row in data.iter_rows(min_row=2) for c in row), \
        "the data sheet holds the header only"
    header = [c.value for c in data[1]]
    covered = {}
    for dv in data.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            covered[header[rng.min_col - 1]] = dv
    for column in ("indicator", "unit", "region", "period", "status", "reliability"):
        assert column in covered and covered[column].type == "list", column
    assert "MATCH($A2" in covered["unit"].formula1        # the unit list follows the chosen indicator
    example = wb[EXAMPLE_SHEET]
    assert [c.value for c in example[1]] == header and example.cell(2, 1).value
    assert any("说明" in name for name in wb.sheetnames)
    # a template saved unchanged but for one figure is read, and its example never collides with data/raw/
    ws = data
    row = synthetic_row(status="正式数")
    for j, name in enumerate(header, start=1):
        ws.cell(2, j).value = row.get(name, "")
    (tmp_path / "raw").mkdir()
    wb.save(tmp_path / "raw" / "synthetic_from_template.xlsx")
    shutil.copytree(paths.RAW_DIR, tmp_path / "raw", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("plan", "README.md"))
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert (obs["file"].str.endswith("synthetic_from_template.xlsx")).sum() == 1


def test_template_script_writes_what_is_committed(tmp_path):
    """scripts/make_template.py runs (into a scratch folder) and writes the sheets of the committed template."""
    code = subprocess.run([sys.executable, str(paths.ROOT / "scripts" / "make_template.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert code.returncode == 0, code.stderr
    fresh, committed = load_workbook(tmp_path / TEMPLATE.name), load_workbook(TEMPLATE)
    assert fresh.sheetnames == committed.sheetnames and fresh.sheetnames[0] == DATA_SHEET
    for name in fresh.sheetnames:
        assert [[c.value for c in r] for r in fresh[name].iter_rows()] == \
               [[c.value for c in r] for r in committed[name].iter_rows()], f"regenerate the template: sheet {name}"
    assert (tmp_path / "raw_release_template.csv").read_text(encoding="utf-8") == \
        (TEMPLATE.parent / "raw_release_template.csv").read_text(encoding="utf-8")


def test_formula_safe_text():
    assert formula_safe("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert formula_safe("@SUM(1)") == "'@SUM(1)" and formula_safe("+1+2") == "'+1+2"
    assert formula_safe("-2.5") == "-2.5" and formula_safe(-2.5) == -2.5 and formula_safe("海门") == "海门"


def test_assessment_xlsx_is_written_beside_the_csv_and_safe(tmp_path):
    from analysis.model.assess import run_assessment

    rows = [synthetic_row(year=str(y), value=str(round(400 * 1.05 ** (y - 2015), 1)), published=f"{y + 1}-01-20",
                          source_url=f"https://example.org/{y}", source_title=f"=HYPERLINK(\"http://x\",\"{y}\")",
                          notes="@SUM(A1)") for y in range(2015, 2023)]
    write_release(tmp_path / "raw", "synthetic_assess.csv", rows)
    out = tmp_path / "report"
    a, _ = run_assessment("2023Q4", out, clean_dir=tmp_path / "clean", raw_dir=tmp_path / "raw")
    assert (out / "assessment.csv").exists() and (out / "assessment.xlsx").exists()
    wb = load_workbook(out / "assessment.xlsx")
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "B2" and ws.auto_filter.ref
    assert "研判（详细） verdict_zh" in header and "研判（详细，英文） verdict_en" in header
    # the words the briefing prints come first, beside the detailed ones (an auditor reconciles word for word)
    assert header.index("研判（简报用语） printed_zh") < header.index("研判（详细） verdict_zh")
    # a target whose year has not ended prints its verdict's own words; one whose year has, a final evaluation's
    from analysis.core.wording import FINAL_WORDS
    running, ended = a.table[~a.table["plan_ended"].astype(bool)], a.table[a.table["plan_ended"].astype(bool)]
    assert len(running) and (running["printed_zh"] == running["verdict_zh"]).all()
    finals = {zh for zh, _ in FINAL_WORDS.values()}
    assert ended["printed_zh"].str.replace("（预计数）", "").isin(finals | set(ended["verdict_zh"])).all()
    assert ws.max_row == len(a.table) + 1
    p_col = header.index("完成概率 p_met") + 1
    assert all(c.number_format == "0%" for (c,) in ws.iter_rows(min_row=2, min_col=p_col, max_col=p_col))
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "@")), cell.value
    # the CSV copies of the clean tables follow the same rule
    obs = pd.read_csv(tmp_path / "clean" / "observations.csv", encoding="utf-8-sig")
    assert obs["source_title"].str.startswith("'=").all() and obs["notes"].str.startswith("'@").all()


def test_assessment_xlsx_writer_neutralises_formulas(tmp_path):
    from analysis.core.excel import write_assessment_xlsx

    table = pd.DataFrame([{"target": "=1+1", "name_zh": "+cmd", "verdict_zh": "已完成", "verdict_en": "achieved",
                           "p_met": 0.7, "basis": "-2+3", "as_of": datetime(2024, 1, 1).date().isoformat()}])
    path = write_assessment_xlsx(table, tmp_path / "synthetic_assessment.xlsx")
    ws = load_workbook(path).active
    values = [c.value for c in ws[2]]
    assert "'=1+1" in values and "'+cmd" in values and "'-2+3" in values
    assert ws.cell(2, [c.value for c in ws[1]].index("完成概率 p_met") + 1).number_format == "0%"


def test_a_file_under_the_wrong_extension_gets_the_right_fix(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "wb", "synthetic_real_workbook.xlsx", [synthetic_row()])
    wb.save(path)
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(path, raw / "synthetic_workbook_named.csv")
    write_release(tmp_path / "csv", "synthetic_text.csv", [synthetic_row()])
    shutil.copy(tmp_path / "csv" / "synthetic_text.csv", raw / "synthetic_text_named.xlsx")
    text = "\n".join(map(str, problems_of(raw, cfg)))
    assert "synthetic_workbook_named.csv: is an Excel workbook (.xlsx) named .csv" in text and "rename it to .xlsx" in text
    assert "synthetic_text_named.xlsx: is a text (CSV) file named .xlsx" in text and "rename it to .csv" in text


def test_excel_numbers_are_read_to_the_digits_excel_shows(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_float_noise.xlsx", [synthetic_row()])
    ws = wb[DATA_SHEET]
    ws.cell(2, HEADER.index("value") + 1).value = 521.00000000000006      # a cached formula result
    ws.cell(2, HEADER.index("year") + 1).value = 2022.0
    ws.cell(2, HEADER.index("published") + 1).value = datetime(2023, 2, 1, 9, 30)
    wb.save(path)
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert obs[["value", "year", "published"]].values.tolist() == [[521.0, 2022, "2023-02-01"]]


def test_a_wide_table_with_years_as_columns_gets_one_clear_message(tmp_path, cfg):
    (tmp_path / "raw").mkdir()
    header = ["indicator", "region", "unit", "status", "reliability", "source_title", "source_url", "2021", "2022", "2023"]
    pd.DataFrame([["retail_sales", "海门", "亿元", "reported", "official", "SYNTHETIC", "https://example.org/s", 500, 521, 548]],
                 columns=header).to_csv(tmp_path / "raw" / "synthetic_wide.csv", index=False)
    problems = problems_of(tmp_path / "raw", cfg)
    text = "\n".join(map(str, problems))
    assert "years as column headers (2021, 2022, 2023)" in text and "one row per figure" in text
    assert 'the header "2022"' not in text


def test_data_sheet_name_is_found_whatever_its_case(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_sheet_case.xlsx", [synthetic_row()], sheet="Data")
    wb.create_sheet("notes", 0).append(["not figures"])
    wb.save(path)
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert len(obs) == 1


@pytest.mark.parametrize("sep, prefix", [(";", ""), ("\t", ""), (";", "sep=;\n")])
def test_csv_saved_with_another_separator_is_read(tmp_path, cfg, sep, prefix):
    (tmp_path / "raw").mkdir()
    row = synthetic_row()
    text = prefix + sep.join(HEADER) + "\n" + sep.join(row[h] for h in HEADER) + "\n"
    (tmp_path / "raw" / "synthetic_separator.csv").write_text(text, encoding="utf-8")
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert obs["value"].tolist() == [100.0]


def test_a_date_shown_as_an_excel_serial_number_is_explained(tmp_path, cfg):
    path, wb = synthetic_workbook(tmp_path / "raw", "synthetic_serial_date.xlsx", [synthetic_row()])
    wb[DATA_SHEET].cell(2, HEADER.index("published") + 1).value = 45302           # General format: shows 45302
    wb.save(path)
    text = "\n".join(map(str, problems_of(tmp_path / "raw", cfg)))
    assert 'column "published"' in text and "cell J2" in text and "Excel date serial number" in text
