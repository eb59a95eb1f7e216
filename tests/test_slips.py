"""A planner's slips end in a stop or in a correct, labelled verdict, never in a wrong one (issue 24 point 1).

Each stop's fix is followed on a SYNTHETIC copy of the shipped raw folder (the added file's name starts synthetic_):
the October slip (retail 2024 = 438.5亿元 typed as 全年, published 2024-10-28, a 1-9月 figure) and the same row
relabelled 预计 to get past the first stop.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from analysis.core import paths
from analysis.core.config import load_config
from analysis.core.errors import InputError
from analysis.checks.plausibility import early_estimate
from analysis.inputs.clean import run_clean

HEADER = ["indicator", "region", "year", "period", "value", "unit", "status", "published", "reliability",
          "source_title", "source_url", "confirmed"]
SLIP = {"indicator": "社会消费品零售总额", "region": "海门", "year": "2024", "period": "全年", "value": "438.5", "unit": "亿元",
        "status": "正式", "published": "2024-10-28", "reliability": "official",
        "source_title": "SYNTHETIC 1-9月经济运行情况", "source_url": "https://example.org/synthetic/2024-10", "confirmed": ""}
NAME = "synthetic_2024-10-28_retail_jan_sep.csv"


def _raw(tmp_path: Path, **cells) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW_DIR, raw)
    with open(raw / NAME, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, HEADER)
        w.writeheader()
        w.writerow({**SLIP, **cells})
    return raw


def test_a_full_year_published_in_october_stops_on_its_period_and_shows_how_to_write_a_year_to_date_figure(tmp_path):
    with pytest.raises(InputError) as exc:
        run_clean("2025Q2", raw_dir=_raw(tmp_path), out_dir=tmp_path / "clean")
    p = next(p for p in exc.value.problems if p.file.endswith(NAME))
    assert (p.row, p.column, p.value) == (2, "period", "全年")
    assert "1-N月" in p.message and "2024-10-28" in p.message and "2024-12-31" in p.message
    assert "1-9月" in p.fix and "year 2024" in p.fix
    assert p.fix.index("1-9月") < p.fix.index("预计")          # the likely slip first, the status second
    assert not (tmp_path / "clean").exists()


def test_following_the_fix_as_a_year_to_date_figure_settles_nothing_for_the_full_year(tmp_path, cfg):
    from analysis.model.assess import assess

    result = run_clean("2025Q2", raw_dir=_raw(tmp_path, period="1-9月"), out_dir=tmp_path / "clean")
    row = result.observations.set_index("obs_id").loc[f"{NAME}:2"]
    assert (row["period_kind"], int(row["month_to"]), row["role"]) == ("ytd", 9, "selected")
    table = assess(result, cfg).table.set_index("target")
    retail = next(t.id for t in cfg.targets if t.indicator == "retail_sales" and t.type == "level")
    # 438.5 is no full-year 2024 figure: the 650亿 target is not judged 'not achieved' on it
    assert table.loc[retail, "verdict_key"] not in ("not_achieved", "not_achieved_estimate")
    assert str(table.loc[retail, "figure_period"]) != "2024"


def test_relabelling_the_october_figure_as_an_estimate_stops_again_unless_the_source_is_confirmed(tmp_path):
    cfg = load_config()
    result = run_clean("2025Q2", raw_dir=_raw(tmp_path, status="预计"), out_dir=tmp_path / "clean")
    found = early_estimate(result.observations, cfg).set_index("obs_id").loc[f"{NAME}:2"]
    assert found["finding"] == "implausible"                   # an error: the run stops at validation
    assert "1-N月" in found["message"] and "2024-12-01" in found["message"]
    reason = "SYNTHETIC: 原文第2页为全年预计数"
    result = run_clean("2025Q2", raw_dir=_raw(tmp_path / "b", status="预计", confirmed=reason), out_dir=tmp_path / "clean_b")
    found = early_estimate(result.observations, cfg).set_index("obs_id").loc[f"{NAME}:2"]
    assert found["finding"] == "confirmed" and reason in found["message"]


def test_a_full_year_estimate_published_in_december_or_later_passes(tmp_path):
    result = run_clean("2025Q2", raw_dir=_raw(tmp_path, status="预计", published="2024-12-20", value="660"),
                       out_dir=tmp_path / "clean")
    assert early_estimate(result.observations, load_config()).set_index("obs_id").loc[f"{NAME}:2", "finding"] == "ok"


def test_a_plausibility_stop_on_a_workbook_names_sheet_cell_and_the_cell_as_typed_in_both_languages(tmp_path, cfg):
    """Issue 24 point 9: the October estimate typed in Excel stops on sheet "data", cell D2 (the period column),
    quoting 全年 as typed (not the normalised 2024年), in Chinese and English."""
    import openpyxl

    from analysis.checks.validate import ValidationFailed, raise_on_errors
    from analysis.inputs.ingest import cell_of

    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW_DIR, raw)
    wb = openpyxl.Workbook()
    wb.active.title = "data"
    wb.active.append(HEADER)
    wb.active.append([{**SLIP, "status": "预计"}[h] for h in HEADER])
    wb.save(raw / NAME.replace(".csv", ".xlsx"))
    result = run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    found = early_estimate(result.observations, cfg)
    failing = found[found["finding"] == "implausible"]
    assert len(failing) == 1
    results = {"checks": [{"check": "plausible.early_estimate", "success": False, "severity": "error",
                           "title_zh": "全年预计数不早于年末发布", "title_en": "Full-year estimates", "fix": "FIX"}],
               "failing_rows": {"plausible.early_estimate": failing.to_dict("records")}}
    with pytest.raises(ValidationFailed) as exc:
        raise_on_errors(results, "validation.pdf", lambda f, r, c: cell_of(f, r, c, cfg))
    (p,) = exc.value.problems
    assert (p.sheet, p.cell, p.column, p.value, p.row) == ("data", "D2", "period", "全年", 2)
    assert "是否把1-9月" in p.message and "year-to-date" in p.message
    assert 'sheet "data"' in str(p) and "cell D2" in str(p)


def test_the_confirmed_october_estimate_is_flagged_against_the_model_in_the_data_notes(tmp_path, cfg):
    """Past every rule on the row (预计, with a confirmation), the 438.5 still sits below the model's 80 % band for
    2024 from the years before: assessment.csv says so and both briefings' data notes ask whether it is a 1-N月
    figure, while the verdict still rests on the figure as published (labelled an estimate)."""
    from analysis.model.assess import assess
    from analysis.report.briefing_notes import data_notes

    reason = "SYNTHETIC: 原文第2页为全年预计数"
    result = run_clean("2025Q2", raw_dir=_raw(tmp_path, status="预计", confirmed=reason), out_dir=tmp_path / "clean")
    table = assess(result, cfg).table
    flagged = table[table["latest_expected_low"].notna()]
    assert set(flagged["indicator"]) == {"retail_sales"}
    row = flagged.iloc[0]
    assert row["latest_value"] == pytest.approx(438.5) and row["latest_year"] == 2024
    assert row["latest_value"] < row["latest_expected_low"] < row["latest_expected_mid"]
    zh = " ".join(data_notes(table, None, result.observations, "zh", names={"retail_sales": "社会消费品零售总额"}))
    en = " ".join(data_notes(table, None, result.observations, "en", names={"retail_sales": "Retail sales"}))
    assert "1\\-N月累计数" in zh and "社会消费品零售总额 2024年" in zh
    assert "year\\-to\\-date" in en and "Retail sales 2024\\:" in en
    # the shipped data: nothing flagged
    shipped = assess(run_clean("2025Q2", out_dir=tmp_path / "clean_shipped"), cfg).table
    assert shipped["latest_expected_low"].isna().all()
