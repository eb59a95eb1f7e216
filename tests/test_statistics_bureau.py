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


# ------------------------------------------------------ 5. qualifier words --
@pytest.mark.parametrize("cell, number, code", [
    ("近118", "118", "upper_bound"), ("接近118", "118", "upper_bound"), ("不足118", "118", "upper_bound"),
    ("突破650", "650", "lower_bound"), ("超过650", "650", "lower_bound"), ("逾650", "650", "lower_bound"),
    ("650余", "650", "lower_bound"), ("650以上", "650", "at_least"), ("不少于650", "650", "at_least"),
    ("约650", "650", "approximately"), ("20左右", "20", "approximately"), ("650", "650", ""),
])
def test_each_qualifier_word_reads_as_chinese_statistics_mean_it(cell, number, code):
    from analysis.core.parse import parse_number_text

    got_number, _, got_code = parse_number_text(cell)
    assert (got_number, got_code) == (number, code)


@pytest.mark.parametrize("qualifier, value, comparison, key", [
    ("upper_bound", 118, ">=", "not_achieved"),      # 近118 against 达120: below 118, so short of 120
    ("upper_bound", 120, ">=", "not_achieved"),      # 近120: just below 120
    ("upper_bound", 125, ">=", None),                # 近125 may be above or below 120: decides nothing
    ("lower_bound", 120, ">", "achieved"),           # 突破120 meets 突破120
    ("lower_bound", 119, ">=", None),                # 超过119 may be 119.5
    ("at_least", 120, ">=", "achieved"),             # 120以上 includes 120: meets 达120
    ("at_least", 120, ">", None),                    # but not 超过120: it may be exactly 120
    ("at_least", 121, ">", "achieved"),
])
def test_bounds_settle_only_what_they_prove(cfg, qualifier, value, comparison, key):
    t = target(value=120.0, comparison=comparison, unit="家", type="level")
    assert settle(Figure(float(value), "2024", status="reported", qualifier=qualifier), t, cfg) == key


def test_an_about_target_with_a_count_within_its_tolerance_is_broadly_achieved(cfg):
    t = target(value=20.0, comparison="about", tolerance=2.0, unit="家", type="level")
    assert settle(Figure(18.0, "2024", status="final"), t, cfg) == "broadly_achieved"      # 20家左右 with 18
    assert settle(Figure(20.0, "2024", status="final"), t, cfg) == "achieved"
    assert settle(Figure(17.0, "2024", status="final"), t, cfg) == "not_achieved"


def test_near_x_against_a_target_through_the_judgement(tmp_path, cfg):
    result = series_result(tmp_path, {2021: 100, 2022: 105, 2024: "近118"}, indicator="tourist_visits", unit="万人次",
                           as_of=ENDED)
    row = run_judge(cfg, result, target(value=120.0, comparison=">=", unit="万人次", indicator="tourist_visits")).row
    assert row["verdict_key"] == "not_achieved" and row["figure_value"] == 118
    assert "upper bound" in row["figure_status"]


# ------------------------------------------------------------- 6. stocks --
def _cfg_target(cfg, tid):
    return next(t for t in cfg.targets if t.id == tid)


def test_a_threshold_count_met_before_the_target_year_waits_for_the_target_year(tmp_path, cfg):
    """营业收入超亿元科技服务企业5家: 6 in 2023 can be 4 in 2024 (a firm's revenue falls below 1亿): not settled."""
    t = _cfg_target(cfg, "tech_service_firms_100m")
    assert not cfg.indicators[t.indicator].irreversible
    result = series_result(tmp_path, {2022: 4, 2023: 6}, indicator=t.indicator, unit="家", as_of=ENDED)
    row = run_judge(cfg, result, t).row
    assert row["verdict_key"] == "pending_publication" and "can fall" in row["basis"]


def test_a_designation_met_before_the_target_year_stays_met(tmp_path, cfg):
    """文化产业示范基地3家: three designated by 2023 remain designated in 2024."""
    t = _cfg_target(cfg, "culture_demo_bases")
    assert cfg.indicators[t.indicator].irreversible
    result = series_result(tmp_path, {2022: 1, 2023: 3}, indicator=t.indicator, unit="家", as_of=ENDED)
    row = run_judge(cfg, result, t).row
    assert row["verdict_key"] == "achieved" and row["figure_period"] == "2023"


def test_a_base_year_count_never_achieves_a_target(tmp_path, cfg):
    t = _cfg_target(cfg, "culture_demo_bases")
    result = series_result(tmp_path, {t.base_year: 5}, indicator=t.indicator, unit="家", as_of=ENDED)
    row = run_judge(cfg, result, t).row
    assert row["verdict"] == "insufficient_data" and "base year" in row["basis"]


def test_a_net_addition_may_be_negative_and_counts_as_published(tmp_path, cfg):
    """累计新增服务业从业人员2万人: +1.2, -0.5, +0.8万人 is 1.5万: not achieved; two years at 2.5 with the last year
    missing settle nothing (jobs can be lost), where gross additions would."""
    t = _cfg_target(cfg, "new_service_employees")
    assert not cfg.indicators[t.indicator].non_negative
    full = series_result(tmp_path, {2022: 1.2, 2023: -0.5, 2024: 0.8}, indicator=t.indicator, unit="万人", as_of=ENDED,
                         status={2022: "final", 2023: "final", 2024: "final"})
    row = run_judge(cfg, full, t).row
    assert row["verdict_key"] == "not_achieved" and row["figure_value"] == pytest.approx(1.5)
    part = series_result(tmp_path / "b", {2022: 1.5, 2023: 1.0}, indicator=t.indicator, unit="万人", as_of=ENDED)
    assert run_judge(cfg, part, t).row["verdict"] not in ("achieved", "broadly_achieved")


def test_a_share_moves_in_percentage_points(tmp_path, cfg):
    """农村物流服务站点覆盖率超90%: 80 % in 2021, 86 % in 2023: 3.3 points a year were needed, 3 achieved, 4 needed
    in 2024; never compound growth of a percentage."""
    t = _cfg_target(cfg, "rural_logistics_coverage")
    result = series_result(tmp_path, {2021: 80, 2023: 86}, indicator=t.indicator, unit="%", as_of="2024Q2")
    row = run_judge(cfg, result, t).row
    assert row["rate_unit"] == "pp"
    assert row["required_growth_pct"] == pytest.approx(10 / 3) and row["actual_growth_pct"] == pytest.approx(3.0)
    assert row["remaining_required_growth_pct"] == pytest.approx(4.0)
    if row.get("projection_q975") is not None:
        assert row["projection_q975"] <= 100.0                 # a share is bounded at 100 %


# ------------------------------------------------------------ 4. provenance --
def test_a_mirror_settles_nothing_until_cross_checked(tmp_path, cfg):
    t = target(value=650, comparison=">")
    mirror = series_result(tmp_path, {2022: 540, 2023: 600, 2024: 700}, as_of=ENDED, status={2024: "final"},
                           reliability={2024: "mirror"})
    row = run_judge(cfg, mirror, t).row
    assert row["verdict_key"] == "pending_crosscheck" and row["verdict_zh"] == "待核对（转载）"
    checked = series_result(tmp_path / "b", {2022: 540, 2023: 600, 2024: 700}, as_of=ENDED, status={2024: "final"},
                            reliability={2024: "secondary"})
    assert run_judge(cfg, checked, t).row["verdict_key"] == "achieved"


def test_an_undated_aggregator_never_beats_a_dated_official_estimate(tmp_path, cfg):
    from analysis.inputs.clean import run_clean
    from conftest import synthetic_row, write_release

    official = synthetic_row(indicator="gdp", year="2023", value="1690", status="estimate", published="2024-01-11",
                             reliability="official", source_url="https://example.org/official")
    aggregator = synthetic_row(indicator="gdp", year="2023", value="1710", status="reported", published="",
                               reliability="aggregator", source_url="https://example.org/aggregator")
    write_release(tmp_path / "raw", "synthetic_provenance.csv", [official, aggregator])
    result = run_clean(ENDED, raw_dir=tmp_path / "raw", out_dir=tmp_path / "clean")
    best = result.best[(result.best["indicator"] == "gdp") & (result.best["year"] == 2023)]
    assert float(best["value"].iloc[0]) == 1690
    lost = result.observations[result.observations["value"] == 1710]["reason"].iloc[0]
    assert "beats an aggregator source" in lost or "beats an undated page" in lost


# ------------------------------------------------------- 2. growth basis --
def test_a_level_ratio_fills_a_growth_gap_only_as_a_labelled_indication(tmp_path, cfg):
    """GDP 100 (2021) and 140.49 (2024), no printed growth: 12.0 %/yr from levels settles only '(estimate)', derived
    (it is no comparable growth), never a firm 'achieved'."""
    t = target(**{**ABOUT_10, "indicator": "gdp"})
    result = series_result(tmp_path, {2021: 100, 2024: 140.49}, indicator="gdp", as_of=ENDED,
                           status={2021: "final", 2024: "final"})
    row = run_judge(cfg, result, t).row
    assert row["verdict_key"] == "achieved_estimate" and "derived" in row["figure_status"]


def test_a_re_benchmarked_total_gets_no_growth_from_level_ratios(tmp_path, cfg):
    """社零 500 (2021) and 665.5 (2024), no printed growth: a census re-benchmark breaks the level ratio, so the
    growth target is not settled on it (the model's P, labelled, instead)."""
    assert cfg.indicators["retail_sales"].rebenchmarked
    t = target(**{**ABOUT_10, "indicator": "retail_sales"})
    result = series_result(tmp_path, {2019: 450, 2020: 470, 2021: 500, 2024: 665.5}, as_of=ENDED,
                           status={2021: "final", 2024: "final"})
    row = run_judge(cfg, result, t).row
    assert row["verdict"] not in ("achieved", "broadly_achieved", "not_achieved")


def test_panel_and_derive_from_growth_are_refused_together(tmp_path):
    import shutil

    import yaml

    from analysis.core import paths
    from analysis.core.config import load_config
    from analysis.core.errors import InputError

    shutil.copytree(paths.CONFIG_DIR, tmp_path / "config")
    spec = yaml.safe_load((tmp_path / "config" / "indicators.yaml").read_text(encoding="utf-8"))
    spec["indicators"]["key_service_revenue"]["derive_from_growth"] = True
    (tmp_path / "config" / "indicators.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_config(tmp_path / "config")
    assert any("contradict" in p.message and p.column == "key_service_revenue" for p in exc.value.problems)


def test_a_real_growth_gap_is_explained_as_price_not_basis():
    from analysis.report.briefing_notes import validation_findings

    validation = {"checks": [{"check": "growth.consistent", "success": False, "rows_failing": 1}],
                  "failing_rows": {"growth.consistent": [{"indicator": "gdp", "period": "2023年",
                                                          "printed_growth_pct": 6.0, "implied_growth_pct": 3.4}]}}
    zh = " ".join(validation_findings(validation, "zh", {"gdp": "地区生产总值"}, {"gdp": "real"}))
    en = " ".join(validation_findings(validation, "en", {"gdp": "GDP"}, {"gdp": "real"}))
    assert "价格因素" in zh and "constant prices" in en
    nominal = " ".join(validation_findings(validation, "zh", {"gdp": "地区生产总值"}, {"gdp": "nominal"}))
    assert "价格因素" not in nominal and "可比口径" in nominal


# -------------------------------------------- 7. what the forecast rests on --
def test_confidence_counts_independent_recent_points_only(tmp_path, cfg):
    """Levels 2005, 2013, 2017, 2022 and a 2021 level derived from 2022's printed growth: three independent points
    within ten years of 2022 (2013, 2017, 2022), so P(met) is 'low confidence', shown without a likelihood word."""
    result = series_result(tmp_path, {2005: 75, 2013: 270, 2017: 377, 2022: 521}, growth={2022: 3.0}, as_of=ENDED,
                           ytd=[(2025, 6, "", 0.3)])
    row = run_judge(cfg, result, target(value=650, comparison=">")).row
    assert row["confidence"] == "low" and row["likelihood_zh"] == "低置信度"
    assert row["latest_ytd_growth_pct"] == pytest.approx(0.3) and row["latest_ytd_period"].endswith("1-6月")
