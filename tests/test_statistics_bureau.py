"""Verdicts a statistics bureau would sign (issue 25), each rule on a SYNTHETIC case whose answer an evaluator writes
by hand. Figures are made up (synthetic releases under pytest's tmp_path, or Figure objects)."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.model.evidence import Figure, at_precision, meets, settle
from analysis.report.briefing import p_line
from test_assess import ENDED, run_judge, series_result, target

ABOUT_10 = dict(type="avg_growth", value=10.0, unit="%", comparison="about", tolerance=1.0, base_year=2021, target_year=2024)


# ------------------------------------------------- 1. precision and 基本完成 --
@pytest.mark.parametrize("rate, key", [
    (10.0, "achieved"),              # meets the number: 完成
    (9.96, "achieved"),              # printed 10.0
    (9.0, "broadly_achieved"),       # within 左右: 基本完成
    (8.99, "broadly_achieved"),      # printed 9.0, as an evaluator compares it
    (8.95, "broadly_achieved"),      # half up
    (8.94, "not_achieved"),          # printed 8.9
])
def test_a_rate_is_compared_at_its_printed_precision_and_about_targets_have_three_words(cfg, rate, key):
    t = target(**ABOUT_10)
    assert settle(Figure(rate, "2022-2024", status="final"), t, cfg, years=3) == key


def test_rounding_half_up_does_not_hang_on_the_last_bits():
    t = target(**ABOUT_10)
    for stored in (8.95, 8.949999999999999, 8.950000000000001):
        assert float(at_precision(stored, t)) == 9.0
    assert float(at_precision(8.9499, t)) == 8.9


def test_a_level_target_is_not_rounded_to_one_decimal():
    t = target(value=650.0, comparison=">=")
    assert not meets(649.96, t) and meets(650.0, t)


def test_an_estimate_within_the_tolerance_is_broadly_achieved_as_an_estimate(cfg):
    t = target(**{**ABOUT_10, "type": "growth", "per": "year", "base_year": 2023})
    assert settle(Figure(9.4, "2024", status="estimate"), t, cfg, years=1) in ("broadly_achieved_estimate", "pending_revision")
    assert settle(Figure(9.4, "2024", status="final"), t, cfg, years=1) == "broadly_achieved"


def test_broadly_achieved_through_the_judgement_on_printed_growth(tmp_path, cfg):
    # printed growth 9.0 % three years running: the average is 9.0 %, inside "10 %左右" but short of 10
    result = series_result(tmp_path, {}, growth={2022: 9.0, 2023: 9.0, 2024: 9.0}, as_of=ENDED,
                           status={2022: "final", 2023: "final", 2024: "final"})
    row = run_judge(cfg, result, target(**ABOUT_10)).row
    assert (row["verdict"], row["verdict_key"], row["verdict_zh"]) == ("broadly_achieved", "broadly_achieved", "基本完成")


def test_p_met_of_an_about_target_says_which_line_it_counts():
    row = pd.Series({"target_value": 10.0, "tolerance": 1.0, "type": "avg_growth", "unit": "%", "comparison": "about"})
    zh, en = p_line(row)
    assert zh == "达到年均增长9.0%及以上（即完成或基本完成“10%左右”）"
    assert en == "of average growth of 9.0% or more (achieved or broadly achieved: about 10%)"
    plain = pd.Series({"target_value": 650.0, "tolerance": None, "type": "level", "unit": "亿元", "comparison": ">"})
    zh, en = p_line(plain)
    assert zh.startswith("超过650") and "more than" in en and "billion" in en
