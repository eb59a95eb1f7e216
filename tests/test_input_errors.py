"""Each kind of bad input gets a message naming file, row, column, value and fix;
no traceback; data/raw and the previous data/clean stay as they were."""
import shutil

import pytest

from conftest import SYNTHETIC_DIR, tree_digest

# file, then what the message must contain (besides the file name and "Fix:")
CASES = {
    "synthetic_missing_column.csv": ['row 1', 'column "unit"', 'required column "unit" is missing'],
    "synthetic_unknown_indicator.csv": ["row 3", 'column "indicator"', '"社会零售总额XYZ"', "not a known indicator",
                                        "did you mean 社会消费品零售总额"],
    "synthetic_unknown_unit.csv": ["row 3", 'column "unit"', '"万辆"', "万人次"],
    "synthetic_non_numeric_value.csv": ["row 3", 'column "value"', '"六百"', "not a number"],
    "synthetic_negative_value.csv": ["row 3", 'column "value"', '"-600"', "negative"],
    "synthetic_unparseable_period.csv": ["row 3", 'column "period"', '"第5季度"', "1-9月"],
    "synthetic_period_in_future.csv": ["row 3", 'column "year"', "2099-12-31", "after today"],   # the year column gave 2099
    "synthetic_duplicate_row.csv": ["row 3", 'column "value"', '"521"', "repeats the figure", "row 2", "delete one"],
    "synthetic_conflicting_values.csv": ["row 3", 'column "value"', '"530"', "521", "same publication"],
    "synthetic_wrong_encoding_utf16.csv": ["UTF-16", "CSV UTF-8"],
    "synthetic_wrong_encoding_bytes.csv": ["row 2", "neither UTF-8 nor GBK", "CSV UTF-8"],
    "synthetic_empty.csv": ["is empty"],
    "synthetic_not_a_table.csv": ["row 1", "not a table", "Minutes of the synthetic planning meeting", "header row"],
}


def test_every_error_file_is_synthetic_and_present():
    for name in CASES:
        assert (SYNTHETIC_DIR / name).exists(), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_reported_clearly_and_loses_nothing(name, tmp_path, run_cli):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SYNTHETIC_DIR / "synthetic_valid_release.csv", raw / "synthetic_valid_release.csv")
    shutil.copy(SYNTHETIC_DIR / name, raw / name)
    out = tmp_path / "clean"
    good = tmp_path / "good"   # a previous good run whose output must survive
    good.mkdir()
    shutil.copy(SYNTHETIC_DIR / "synthetic_valid_release.csv", good)
    code, _, _ = run_cli("clean", "--as-of", "2025Q2", "--raw", str(good), "--out", str(out))
    assert code == 0
    before_raw, before_clean = tree_digest(raw), tree_digest(out)

    code, stdout, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(out))

    assert code == 2
    assert "Traceback" not in stderr + stdout
    assert name in stderr and "Fix:" in stderr
    for needle in CASES[name]:
        assert needle in stderr, f"{needle!r} missing from:\n{stderr}"
    assert tree_digest(raw) == before_raw, "raw files must never be modified"
    assert tree_digest(out) == before_clean, "a failed run must leave the previous clean data in place"


def test_all_problems_are_reported_in_one_run(tmp_path, run_cli):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("synthetic_unknown_unit.csv", "synthetic_negative_value.csv", "synthetic_empty.csv"):
        shutil.copy(SYNTHETIC_DIR / name, raw)
    code, _, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "万辆" in stderr and "-600" in stderr and "synthetic_empty.csv: is empty" in stderr
    assert "repeats the figure" in stderr      # the two files share a row: caught across files too
    assert stderr.startswith("4 problems")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["synthetic_valid_gbk.csv", "synthetic_valid_utf8_bom.csv", "synthetic_valid_release.csv"])
def test_excel_encodings_are_read(name, tmp_path, run_cli):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SYNTHETIC_DIR / name, raw)
    code, stdout, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    import pandas as pd
    obs = pd.read_parquet(tmp_path / "out" / "observations.parquet")
    assert obs.loc[obs["indicator"] == "retail_sales", "value"].tolist() == [521.0]
    assert obs["region"].eq("海门").all()


@pytest.mark.parametrize("as_of", ["25Q2", "2025Q5", "2025Q2; import os", "1999Q4", "2999Q1"])
def test_bad_as_of_is_refused_before_anything_runs(as_of, tmp_path, run_cli):
    code, _, stderr = run_cli("clean", "--as-of", as_of, "--out", str(tmp_path / "out"))
    assert code == 2 and "Traceback" not in stderr and "as_of" in stderr
    assert not (tmp_path / "out").exists()


def test_xlsx_release_is_read(tmp_path, run_cli):
    from openpyxl import Workbook

    raw = tmp_path / "raw"
    raw.mkdir()
    wb = Workbook()
    ws = wb.active
    ws.append(["指标", "地区", "年份", "期间", "数值", "单位", "数据状态", "发布日期", "可靠性", "来源标题", "来源网址"])
    ws.append(["接待游客", "海门区", 2023, "全年", 5.5, "million tourists", "reported",
               __import__("datetime").datetime(2024, 2, 1), "official", "SYNTHETIC", "https://example.org/synthetic"])
    wb.save(raw / "synthetic_release_chinese_headers.xlsx")
    code, _, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    import pandas as pd
    obs = pd.read_parquet(tmp_path / "out" / "observations.parquet")
    assert obs["value"].tolist() == [550.0] and obs["published_date"].astype(str).tolist() == ["2024-02-01"]


def test_broken_xlsx_is_reported(tmp_path, run_cli):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "synthetic_broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    code, _, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(tmp_path / "out"))
    assert code == 2 and "synthetic_broken.xlsx" in stderr and ".xlsx" in stderr and "Traceback" not in stderr


def test_free_text_is_kept_as_typed_while_names_and_units_are_normalised(tmp_path, cfg):
    """A synthetic title with full-width brackets and a ~ keeps them (NFKC would rewrite both); the full-width
    unit and region still match after normalisation."""
    from analysis.inputs.ingest import ingest
    from conftest import synthetic_row, write_release

    title = "SYNTHETIC 海门区统计公报（修订版）~第2版"
    write_release(tmp_path / "raw", "synthetic_free_text.csv",
                  [synthetic_row(source_title=title, publisher="SYNTHETIC 统计局（海门）", unit="亿元")])
    obs, _ = ingest(tmp_path / "raw", cfg)
    assert obs.loc[0, "source_title"] == title and obs.loc[0, "publisher"] == "SYNTHETIC 统计局（海门）"


def test_files_in_the_raw_folder_that_are_not_read_are_named_not_skipped(tmp_path, run_cli):
    """Issue 24 point 9: a .txt or .pdf in data/raw/ is not read; the planner is told which, with the fix, on the
    console and in the clean manifest. The folder's README, the plan text and _-named files stay quiet."""
    import json
    import shutil

    from analysis.inputs.rawfolder import ignored_files, ignored_note

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SYNTHETIC_DIR / "synthetic_valid_release.csv", raw)
    (raw / "synthetic_notes.txt").write_text("社会消费品零售总额 2024年 650亿元", encoding="utf-8")
    (raw / "synthetic_scan.pdf").write_bytes(b"%PDF-1.4 synthetic")
    (raw / "_synthetic_kept_unread.txt").write_text("kept here on purpose", encoding="utf-8")
    (raw / "README.md").write_text("the contract", encoding="utf-8")
    (raw / "plan").mkdir()
    (raw / "synthetic_old_releases").mkdir()
    assert ignored_files(raw) == ["synthetic_notes.txt", "synthetic_old_releases/", "synthetic_scan.pdf"]
    code, out, _ = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(tmp_path / "clean"))
    assert code == 0
    line = next(x for x in out.splitlines() if "Not read" in x)
    assert "synthetic_notes.txt" in line and "synthetic_scan.pdf" in line and "_synthetic_kept" not in line
    assert "README" in line and "start the name with _" in line          # what to do instead
    manifest = json.loads((tmp_path / "clean" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ignored_files"] == ignored_files(raw)
    (raw / "synthetic_notes.txt").unlink()
    (raw / "synthetic_scan.pdf").unlink()
    (raw / "synthetic_old_releases").rmdir()
    assert ignored_files(raw) == [] and ignored_note(raw) == ""


def test_an_empty_status_is_refused_not_read_as_reported(tmp_path, cfg):
    """An empty status was read as 'reported', firmer than 预计数: an estimate left blank could settle a verdict
    (a planner's trial, 2026-12-07). The stop names the cell and says what to write, in both languages."""
    from analysis.core.errors import InputError
    from analysis.inputs.ingest import ingest
    from conftest import synthetic_row, write_release

    write_release(tmp_path / "raw", "synthetic_empty_status.csv", [synthetic_row(status="")])
    with pytest.raises(InputError) as err:
        ingest(tmp_path / "raw", cfg)
    text = str(err.value)
    assert "synthetic_empty_status.csv" in text and "row 2" in text and 'column "status"' in text
    assert "is empty / 数据状态未填" in text and "reported if it states none" in text and "公布数" in text


def test_a_future_year_is_blamed_on_the_year_cell_and_年报_is_a_final_status(tmp_path, cfg):
    """2026 in the year column with 全年 in the period was blamed on the period cell ("全年"); and 年报 (the annual
    statistical returns) was refused with 快报 suggested (a planner's trial, 2026-12-07)."""
    from analysis.core.errors import InputError
    from analysis.inputs.ingest import ingest
    from conftest import synthetic_row, write_release

    write_release(tmp_path / "raw", "synthetic_future_year.csv", [synthetic_row(year="2098")])
    with pytest.raises(InputError) as err:
        ingest(tmp_path / "raw", cfg)
    assert 'column "year"' in str(err.value) and '(value: "2098")' in str(err.value) and "请核对年份" in str(err.value)
    write_release(tmp_path / "ok", "synthetic_annual_returns.csv", [synthetic_row(status="年报")])
    obs, _ = ingest(tmp_path / "ok", cfg)
    assert obs["status"].tolist() == ["final"]
