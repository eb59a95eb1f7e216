"""Department returns in the validation report (validate_returns.py): the suite on the returns table fires on
each slip with its severity, and the report's section lists the files, rows and units that returned.

The returns are SYNTHETIC (tests/synthetic_returns/good: 区科技局 complete, 区文广旅局 incomplete).
"""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from analysis.core.quarters import Quarter
from analysis.inputs.returns import read_returns
from analysis.checks.validate import ValidationReport, run_checks, with_where
from analysis.checks.validate_returns import TABLE, define_return_checks, returns_table, section

SYN = Path(__file__).parent / "synthetic_returns" / "good"
Q = Quarter(2025, 4)


@pytest.fixture(scope="module")
def returns(cfg):
    return read_returns(SYN, cfg, Q)


def _run(cfg, frame) -> ValidationReport:
    report = run_checks({TABLE: with_where(TABLE, returns_table(frame))}, define_return_checks(cfg, Q), Q.label)
    report.returns = frame
    return report


def test_the_synthetic_returns_pass_every_returns_check(cfg, returns):
    report = _run(cfg, returns)
    assert set(report.results["check"]) == {"returns.value_non_negative", "returns.day_in_plan", "returns.status_in_list",
                                            "returns.unit_leads_target"}
    assert report.results["success"].all(), report.results.to_string()
    assert len(returns) == 10 and (report.results["rows_checked"] == 10).all()


def test_each_returns_check_fires_with_its_severity_and_names_its_row(cfg, returns):
    """One slip per check, each in another row (one Great Expectations run for all four: the suite stays cheap)."""
    slips = {"returns.value_non_negative": ("error", "tech_service_firms", "value", -3.0),
             "returns.day_in_plan": ("warning", "tech_service_firms_100m", "as_at", date(2019, 6, 30)),
             "returns.status_in_list": ("error", "tech_core_zone", "status_word", "完成了"),
             "returns.unit_leads_target": ("error", "incubation_clusters", "unit", "区某某局")}
    bad = returns.copy()
    for _, target, column, value in slips.values():
        bad[column] = bad[column].astype(object)
        bad.at[bad.index[bad["target"] == target][0], column] = value
    report = _run(cfg, bad)
    failed = report.results[~report.results["success"]].set_index("check")
    assert set(failed.index) == set(slips)
    for check_id, (severity, target, _, _) in slips.items():
        row = returns[returns["target"] == target].iloc[0]
        assert failed.loc[check_id, "severity"] == severity and failed.loc[check_id, "rows_failing"] == 1
        rows = report.failures[check_id]
        assert list(rows["figure_id"]) == [row["figure_id"]] and row["obs_id"] in rows.loc[0, "where"]


def test_the_section_lists_files_rows_units_and_checks_for_auditors(cfg, returns):
    text = section(_run(cfg, returns), cfg, Q, SYN)
    assert "2 returned files read, 10 rows; 2 of 7 lead units returned their 2025Q4 form" in text
    assert "读取报送文件2个、数据10行；7个牵头单位中2个报送了2025Q4台账" in text
    for name in ("synthetic_台账_2025Q4_区科技局.xlsx", "synthetic_台账_2025Q4_区文广旅局.xlsx"):
        assert name.replace("_", r"\_") in text.replace("\u200b", "")
        digest = hashlib.sha256((SYN / "2025Q4" / name).read_bytes()).hexdigest()
        assert " ".join(digest[i:i + 16] for i in range(0, 64, 16)) in text      # in groups, so the column fits the page
    assert "区金融监管局" in text                          # a lead unit that returned nothing is listed (0 rows)
    assert text.count("通过 pass") == 4 and "部门报送数值非负 / Department returns" in text and "values are not negative" in text


def test_without_a_returns_folder_the_section_says_none_were_read(cfg, returns):
    report = _run(cfg, returns)
    report.returns = None
    assert "No department returns" in section(report, cfg, Q)
