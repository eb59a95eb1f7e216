"""End-to-end verdict scenarios: synthetic releases through the real clean step and assessment.

Each scenario writes made-up raw release rows (synthetic, under pytest's
tmp_path), runs analysis.inputs.clean.run_clean and analysis.model.assess.run_assessment
for one or more as_of quarters against the real target registry
(config/targets.yaml), and checks the verdict a statistics bureau would sign,
the figure it rests on (value, period, status) and what the basis says. The
expected verdict and the reason are written beside every scenario, before the
code was run. Scenarios marked "fails on the old code" were wrong before the
rule changes that came with this file (evidence.py: firmest_failure, meets at
9 decimals, a lower bound's own status; rules.py: broken_chain,
lower_bound_growth, year_to_date_floor, counts missing only in the target
year; figures.py: derived_figure_id).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from analysis.model.assess import run_assessment
from analysis.inputs.clean import run_clean
from conftest import synthetic_row, write_release

RETAIL = "社会消费品零售总额"
MODEL_VERDICTS = ("on_track", "at_risk", "off_track")


def fig(indicator: str, year: int, value, unit: str, *, period: str = "全年", growth="", qualifier: str = "",
        status: str = "reported", published: str | None = None, reliability: str = "official",
        region: str = "海门") -> dict[str, str]:
    """One synthetic raw row, as printed (value and unit), published by default on 1 March of the next year."""
    fig.n += 1
    return synthetic_row(indicator=indicator, region=region, year=str(year), period=period, value=str(value), unit=unit,
                         growth_pct=str(growth), qualifier=qualifier, status=status,
                         published=f"{year + 1}-03-01" if published is None else published, reliability=reliability,
                         source_title=f"SYNTHETIC scenario release {fig.n} (test data)",
                         source_url=f"https://example.org/synthetic/scenario/{fig.n}")


fig.n = 0


def retail_history(levels: dict[int, float] | None = None) -> list[dict[str, str]]:
    """Final retail sales 2019-2023 (synthetic), enough years for a model while the 2024 figure is awaited."""
    levels = levels or {2019: 420, 2020: 450, 2021: 500, 2022: 540, 2023: 600}
    return [fig(RETAIL, y, v, "亿元", status="final") for y, v in levels.items()]


def retail_bound_on_growth(name: str, bound: float, rate: str, why: str) -> "Scenario":
    """A January '突破 bound' for retail 2024 after retail_history(), read against the growth target: 社零 is
    re-benchmarked, so the bound over the 2021 level (500) is an indication only (rate: the %/yr it implies, worked
    out by hand in why) and the target stays pending with a P(met) whose paths respect the bound."""
    return Scenario(name, why, retail_history() + [fig(RETAIL, 2024, bound, "亿元", qualifier="突破", published="2025-01-10")],
                    "2025Q1", "retail_sales_growth", "pending_publication", None,
                    basis=(f"more than {rate}%/yr, an indication only",), p="some")


def verdicts(tmp_path: Path, rows: list[dict[str, str]], as_of: str) -> pd.DataFrame:
    """The assessment table (one row per registry target, indexed by target id) for these rows at as_of."""
    raw = tmp_path / "raw"
    if not raw.exists():
        write_release(raw, "synthetic_scenario.csv", rows)
    work = tmp_path / as_of
    (work / "returns").mkdir(parents=True, exist_ok=True)          # no department returns in these scenarios
    run_clean(as_of, raw_dir=raw, out_dir=work / "clean")
    a, _ = run_assessment(as_of, work / "out", clean_dir=work / "clean", raw_dir=raw, returns_dir=work / "returns")
    # what a reader opens is assessment.csv: it must say the same as the table in memory
    written = pd.read_csv(work / "out" / "assessment.csv").set_index("target")
    table = a.table.set_index("target")
    assert (written["verdict_key"] == table["verdict_key"]).all()
    table.attrs["figure_ids"] = set(pd.read_csv(work / "out" / "figures.csv")["figure_id"])
    return table


@dataclass
class Scenario:
    name: str
    why: str                                   # the verdict a statistician would sign, and why
    rows: list[dict[str, str]]
    as_of: str
    target: str                                # a target id of config/targets.yaml
    verdict: str                               # expected verdict_key
    figure: tuple | None = None                # (value, period, status words that must appear) or None: no figure
    basis: tuple[str, ...] = ()                # phrases the basis must contain
    not_basis: tuple[str, ...] = ()            # phrases it must not contain
    p: str = "any"                             # "none": no P(met) shown; "some": a P(met) is shown
    extra: dict = field(default_factory=dict)


def check(row: pd.Series, s: Scenario, known_ids: set[str]) -> None:
    assert row["verdict_key"] == s.verdict, f"{s.name}: {row['verdict_key']} ({row['basis']}); expected: {s.why}"
    if s.figure is None:
        assert pd.isna(row["figure_value"]), f"{s.name}: rests on no figure, got {row['figure_value']}"
    else:
        value, period, status = s.figure
        assert row["figure_value"] == pytest.approx(value, abs=1e-6), s.name
        assert str(row["figure_period"]) == period, s.name
        for word in status.split(","):
            assert word.strip() in row["figure_status"], (s.name, row["figure_status"])
        cited = str(row["figure_ids"]).split("; ")               # a reader can trace each one in figures.csv
        assert cited and set(cited) <= known_ids, (s.name, cited)
    for phrase in s.basis:
        assert phrase in row["basis"], (s.name, row["basis"])
    for phrase in s.not_basis:
        assert phrase not in row["basis"], (s.name, row["basis"])
    if s.p == "none":
        assert pd.isna(row["p_met"]) and pd.isna(row["likelihood_en"]), (s.name, row["p_met"], row["likelihood_en"])
    elif s.p == "some":
        assert 0 <= row["p_met"] <= 1
    for col, want in s.extra.items():
        assert row[col] == want, (s.name, col, row[col])


# ------------------------------------------------------------------------------------------- scenarios --
TOURIST = "接待游客"
SCENARIOS = [
    # --- thresholds hit exactly, and units as printed ------------------------------------------------------
    Scenario("retail_exactly_650_against_more_than_650",
             "not achieved: the plan says 突破650 (more than 650); a final 650.0 does not exceed it",
             retail_history() + [fig(RETAIL, 2024, 650, "亿元", status="final")], "2025Q2", "retail_sales_level",
             "not_achieved", (650, "2024", "final"), p="none"),
    Scenario("retail_printed_in_wanyuan",
             "achieved: 6,500,100万元 is 650.01亿元, just above 650 (the conversion must not round it away)",
             retail_history() + [fig(RETAIL, 2024, "6500100", "万元", status="final")], "2025Q2", "retail_sales_level",
             "achieved", (650.01, "2024", "final")),
    Scenario("visits_in_million",
             "achieved: 6.5 million visits are 650万人次, above 640万",
             [fig(TOURIST, 2024, 6.5, "million", status="final")], "2025Q2", "tourist_visits",
             "achieved", (650, "2024", "final")),
    Scenario("visits_exactly_640_in_person_times",
             "not achieved: 6,400,000人次 is exactly 640万人次, and the target is 超640万 (more than)",
             [fig(TOURIST, 2024, "6400000", "人次", status="final")], "2025Q2", "tourist_visits",
             "not_achieved", (640, "2024", "final")),
    Scenario("share_exactly_90_against_more_than_90",
             "not achieved: coverage of 90.0 % is not 'over 90 %'",
             [fig("rural_logistics_coverage", y, v, "%") for y, v in {2021: 80, 2022: 85, 2023: 88, 2024: 90}.items()],
             "2025Q2", "rural_logistics_coverage", "not_achieved", (90, "2024", "reported")),
    Scenario("share_just_over_90",
             "achieved: 90.1 % is over 90 %",
             [fig("rural_logistics_coverage", y, v, "%") for y, v in {2021: 80, 2022: 85, 2023: 88, 2024: 90.1}.items()],
             "2025Q2", "rural_logistics_coverage", "achieved", (90.1, "2024", "reported")),
    Scenario("buildings_exactly_12_against_at_least_12",
             "achieved: 达12幢 is reached by exactly 12",
             [fig("tax_buildings_50m", 2024, 12, "幢")], "2025Q2", "tax_buildings_50m", "achieved", (12, "2024", "reported")),
    Scenario("tonghai_port_in_teu",
             "achieved: 1,700,000 TEU at the Tonghai port area are 170万标箱, over 160万",
             [fig("通海港区集装箱吞吐量", 2024, "1700000", "TEU")], "2025Q2", "container_throughput",
             "achieved", (170, "2024", "reported")),
    Scenario("domestic_trade_containers_are_not_the_port_area_total",
             "no public data: only the port company's domestic-trade throughput is published, another caliber; "
             "the port area's own indicator has no Haimen figure at all (the legend's 无公开数据)",
             [fig("内贸集装箱吞吐量", 2024, 170, "万标箱")], "2025Q2", "container_throughput",
             "no_public_data", None),
    Scenario("a_nantong_figure_never_settles_haimen",
             "pending publication: the only 2024 figure is Nantong city's; Haimen's is not yet out",
             retail_history() + [fig(RETAIL, 2024, 5000, "亿元", region="南通")], "2025Q2", "retail_sales_level",
             "pending_publication", None, basis=("2024 figure not yet in the data",), p="some"),
    # --- growth targets --------------------------------------------------------------------------------------
    Scenario("printed_growth_not_level_ratios",
             "not achieved: printed (comparable) growth is 8.5 %/yr, below 10 % less the 1-point tolerance, although "
             "the printed levels rise 10 %/yr",
             [fig(RETAIL, y, v, "亿元", growth=8.5 if y > 2021 else "", status="final")
              for y, v in {2021: 500, 2022: 550, 2023: 605, 2024: 665.5}.items()],
             "2025Q2", "retail_sales_growth", "not_achieved", (8.5, "2021-2024", "final")),
    Scenario("growth_from_levels_exactly_20",                   # fails on the old code: 19.999999999999996 % missed
             "pending: 100 in 2021 and 172.8 in 2024 are exactly 20 %/yr (no floating-point miss), but a level ratio is "
             "no printed comparable growth: an indication (derived), and at the line it is within the usual revision",
             [fig("ecommerce_transactions", 2021, 100, "亿元"), fig("ecommerce_transactions", 2024, 172.8, "亿元")],
             "2025Q2", "ecommerce_growth", "pending_revision", (20, "2021-2024", "reported, derived"), basis=("20.0%",)),
    Scenario("a_year_end_stock",
             "achieved: the 2024年末 loan balance of 2100亿元 is over 2000",
             [fig("loan_balance", 2024, 2100, "亿元", period="年末")], "2025Q2", "loan_balance", "achieved",
             (2100, "2024", "reported")),
    Scenario("panel_growth_exactly_at_the_tolerance",
             "broadly achieved (基本完成): 22.5 % every year is 25 % 左右 within the 2.5-point tolerance, short of 25 "
             "(no floating-point miss)",
             [fig("规模以上服务业重点行业营业收入", y, "", "", growth=22.5, status="final") for y in (2022, 2023, 2024)],
             "2025Q2", "key_service_revenue_growth", "broadly_achieved", (22.5, "2021-2024", "final")),
    Scenario("panel_growth_just_below_the_tolerance",
             "not achieved: 22.4 %/yr is outside 25 % ± 2.5",
             [fig("规模以上服务业重点行业营业收入", y, "", "", growth=22.4, status="final") for y in (2022, 2023, 2024)],
             "2025Q2", "key_service_revenue_growth", "not_achieved", (22.4, "2021-2024", "final")),
    Scenario("retail_growth_exactly_9",
             "broadly achieved (基本完成): 9.0 % every year is 10 % 左右 at the edge of its 1-point tolerance",
             [fig(RETAIL, 2021, 500, "亿元", status="final")]
             + [fig(RETAIL, y, "", "", growth=9.0, status="final") for y in (2022, 2023, 2024)],
             "2025Q2", "retail_sales_growth", "broadly_achieved", (9.0, "2021-2024", "final")),
    Scenario("software_exactly_30_every_year",
             "achieved: 30 % in each year meets 'at least 30 % every year'",
             [fig("software_it_revenue", y, "", "", growth=30, status="final") for y in (2022, 2023, 2024)],
             "2025Q2", "software_it_revenue_growth", "achieved", (30, "2022-2024", "final")),
    Scenario("every_year_target_fails_on_a_final_figure",          # fails on the old code: rested on the 2023 estimate
             "not achieved (not 'estimate'): the final 2022 growth of 29.9 % already misses 30 %; a lower 2023 "
             "estimate adds nothing firmer",
             [fig("software_it_revenue", 2022, "", "", growth=29.9, status="final"),
              fig("software_it_revenue", 2023, "", "", growth=20, status="estimate"),
              fig("software_it_revenue", 2024, "", "", growth=35, status="final")],
             "2025Q2", "software_it_revenue_growth", "not_achieved", (29.9, "2022", "final")),
    Scenario("every_year_target_short_only_on_an_estimate_near_the_line",
             "pending (revision): 35 and 31 % are final; 2024's estimated 29.5 % is 0.4 % (in level terms) below "
             "30 %, inside the usual revision",
             [fig("software_it_revenue", 2022, "", "", growth=35, status="final"),
              fig("software_it_revenue", 2023, "", "", growth=31, status="final"),
              fig("software_it_revenue", 2024, "", "", growth=29.5, status="estimate")],
             "2025Q2", "software_it_revenue_growth", "pending_revision", (29.5, "2022-2024", "estimate")),
    Scenario("growth_above_an_about_target",
             "achieved: 30 %/yr against 25 % 左右: exceeding 'about 25 %' is no miss",
             [fig("规模以上服务业重点行业营业收入", y, "", "", growth=30, status="final") for y in (2022, 2023, 2024)],
             "2025Q2", "key_service_revenue_growth", "achieved", (30, "2021-2024", "final")),
    Scenario("every_year_target_awaits_its_last_year",
             "pending publication: every year so far is above 30 %; the 2024 rate is not yet out after the plan ended",
             [fig("software_it_revenue", y, "", "", growth=g, status="final")
              for y, g in ((2019, 31), (2020, 33), (2021, 34), (2022, 32), (2023, 35))],
             "2025Q1", "software_it_revenue_growth", "pending_publication", None,
             basis=("2024 figure not yet in the data",), p="some"),
    Scenario("base_year_level_missing_for_a_growth_target",     # fails on the old code: said "2024 ... not yet published"
             "insufficient data: 2024 is published, but with no 2021 level and no printed 2022 growth the growth "
             "since 2021 cannot be computed; the basis must say that, not that the 2024 figure is missing",
             [fig(RETAIL, 2022, 540, "亿元", status="final"), fig(RETAIL, 2023, 600, "亿元", growth=11.1, status="final"),
              fig(RETAIL, 2024, 660, "亿元", growth=10, status="final")],
             "2025Q2", "retail_sales_growth", "insufficient_data", None,
             basis=("no printed growth for 2022", "2021 (base-year) level"), not_basis=("not yet published", "not yet in the data"), p="none"),
    Scenario("a_printed_growth_keeps_the_status_of_its_own_row",   # fails on the old code: firm 'not achieved'
             "pending (revision): the 2024 link of the chain is January's 预计 +8.9 % (the March bulletin gives the "
             "final level without growth); 9, 9 and 8.9 % give 8.97 %/yr, inside the revision of 9 %; it was "
             "labelled 'final' (the level's status) and settled 'not achieved'",
             [fig(RETAIL, 2021, 500, "亿元", status="final"), fig(RETAIL, 2022, 545, "亿元", growth=9, status="final"),
              fig(RETAIL, 2023, 594.05, "亿元", growth=9, status="final"),
              fig(RETAIL, 2024, "", "", growth=8.9, status="estimate", published="2025-01-10"),
              fig(RETAIL, 2024, 660, "亿元", status="final", published="2025-03-10")],
             "2025Q2", "retail_sales_growth", "pending_revision",
             (100 * ((1.09 * 1.09 * 1.089) ** (1 / 3) - 1), "2021-2024", "estimate")),
    Scenario("growth_estimate_inside_the_revision",
             "pending (revision): 9, 9 and an estimated 9.5 % give 9.2 %/yr, within the usual revision of 9 %",
             [fig(RETAIL, 2021, 500, "亿元", status="final")]
             + [fig(RETAIL, y, "", "", growth=g, status=s) for y, g, s in ((2022, 9, "final"), (2023, 9, "final"),
                                                                          (2024, 9.5, "estimate"))],
             "2025Q2", "retail_sales_growth", "pending_revision", (100 * ((1.09 * 1.09 * 1.095) ** (1 / 3) - 1),
                                                                   "2021-2024", "estimate")),
    Scenario("growth_estimate_far_above",
             "achieved (estimate): 12 %/yr with the 2024 rate an estimate is far above 9 %",
             [fig(RETAIL, 2021, 500, "亿元", status="final")]
             + [fig(RETAIL, y, "", "", growth=12, status=s) for y, s in ((2022, "final"), (2023, "final"),
                                                                        (2024, "estimate"))],
             "2025Q2", "retail_sales_growth", "achieved_estimate", (12, "2021-2024", "estimate")),
    # --- the evidence ladder -------------------------------------------------------------------------------
    Scenario("an_estimate_published_after_the_final_figure",
             "not achieved: the final 640 outranks a later 预计 700 (a government report repeating an old estimate)",
             retail_history() + [fig(RETAIL, 2024, 640, "亿元", status="final", published="2025-03-01"),
                                 fig(RETAIL, 2024, 700, "亿元", status="estimate", published="2025-04-01")],
             "2025Q2", "retail_sales_level", "not_achieved", (640, "2024", "final")),
    Scenario("official_beats_a_secondary_copy_of_the_same_day",
             "not achieved: the official 630 beats a periodical's 660 printed the same day",
             retail_history() + [fig(RETAIL, 2024, 630, "亿元"), fig(RETAIL, 2024, 660, "亿元", reliability="secondary")],
             "2025Q2", "retail_sales_level", "not_achieved", (630, "2024", "reported")),
    Scenario("a_secondary_copy_of_the_final_figure_beats_a_preliminary_one",
             "achieved: a faithful copy of the final 660 settles it over the official preliminary 640",
             retail_history() + [fig(RETAIL, 2024, 640, "亿元", status="preliminary"),
                                 fig(RETAIL, 2024, 660, "亿元", status="final", reliability="secondary")],
             "2025Q2", "retail_sales_level", "achieved", (660, "2024", "final")),
    Scenario("an_unverified_figure_loses_to_an_official_one",
             "not achieved: the official 630; a forum's later 700 never counts",
             retail_history() + [fig(RETAIL, 2024, 630, "亿元"),
                                 fig(RETAIL, 2024, 700, "亿元", reliability="unverified", published="2025-04-01")],
             "2025Q2", "retail_sales_level", "not_achieved", (630, "2024", "reported")),
    Scenario("an_approximate_figure_near_the_line",
             "pending (revision): 约655 is within the 2 % an approximate figure may be off by",
             retail_history() + [fig(RETAIL, 2024, 655, "亿元", qualifier="约")], "2025Q2", "retail_sales_level",
             "pending_revision", (655, "2024", "approximate"), basis=("within the usual revision",)),
    Scenario("a_target_year_level_derived_from_growth_near_the_line",  # fails on the old code: its D... id was not in figures.csv
             "pending (revision): 600 × 1.09 = 654 is derived from printed growth, within 3 % of 650",
             retail_history() + [fig(RETAIL, 2024, "", "", growth=9, status="final")], "2025Q2", "retail_sales_level",
             "pending_revision", (654, "2024", "derived")),
    Scenario("a_target_year_level_derived_from_growth_far_above",
             "achieved (estimate): 600 × 1.12 = 672 is derived, 3.4 % above 650",
             retail_history() + [fig(RETAIL, 2024, "", "", growth=12, status="final")], "2025Q2", "retail_sales_level",
             "achieved_estimate", (672, "2024", "derived")),
    Scenario("a_lower_bound_above_the_target_needs_no_model",    # fails on the old code: P 33 % 'unlikely' beside it
             "achieved on '突破700': more than 700 exceeds 650 for certain; no P(met) from the paths beside it",
             retail_history() + [fig(RETAIL, 2024, 700, "亿元", qualifier="突破", published="2025-01-20")],
             "2025Q1", "retail_sales_level", "achieved", (700, "2024", "lower bound"), p="none"),
    Scenario("an_estimated_lower_bound_far_above",              # fails on the old code: firm 'achieved', 'reported'
             "achieved (estimate): January's '预计突破700' is an estimate that the year exceeded 700; the status "
             "named is 'estimate', not 'reported'",
             retail_history() + [fig(RETAIL, 2024, 700, "亿元", qualifier="突破", status="estimate",
                                     published="2025-01-10")],
             "2024Q4", "retail_sales_level", "achieved_estimate", (700, "2024", "estimate, lower bound"), p="none"),
    Scenario("an_estimated_lower_bound_near_the_line",             # fails on the old code: firm 'achieved'
             "pending (revision): '预计突破655' is an estimate 0.8 % above 650, inside the usual 3 % revision",
             retail_history() + [fig(RETAIL, 2024, 655, "亿元", qualifier="突破", status="estimate",
                                     published="2025-01-10")],
             "2024Q4", "retail_sales_level", "pending_revision", (655, "2024", "estimate, lower bound")),
    retail_bound_on_growth("a_lower_bound_settles_the_growth_target_too", 700, "11.9",   # old code: pending, P 38 %
                           "pending: 2024 '突破700' against 500 in 2021 is more than 11.9 %/yr, but 社零 is re-benchmarked "
                           "after a census, so a level ratio is no comparable growth (issue 25); the paths respect the "
                           "bound, so P(met) is not left at 38 % while the level target on the same figure is met"),
    retail_bound_on_growth("a_short_lower_bound_on_growth_keeps_the_paths_above_it", 620, "7.4",
                           "pending publication: '突破620' gives more than 7.4 %/yr (an indication: 社零 is "
                           "re-benchmarked), short of 9 %; P(met) counts only paths above it"),
    Scenario("a_lower_bound_at_a_strict_line_meets_it",
             "achieved: a final '突破640万人次' says more than 640, which is what the target '突破640万人次' asks",
             [fig(TOURIST, 2024, 640, "万人次", qualifier="突破", status="final", published="2025-03-01")],
             "2025Q2", "tourist_visits", "achieved", (640, "2024", "lower bound"), p="none"),
    Scenario("a_lower_bound_just_under_a_strict_line_decides_nothing",
             "insufficient data: '突破639' leaves open whether more than 640 were reached, and with no other figure "
             "there is nothing to project",
             [fig(TOURIST, 2024, 639, "万人次", qualifier="突破", status="final", published="2025-03-01")],
             "2025Q2", "tourist_visits", "insufficient_data", (639, "2024", "lower bound"),
             basis=("only a lower bound",)),
    retail_bound_on_growth("a_lower_bound_growth_exactly_at_the_line_meets_it", 688.5, "11.3",
                           "pending: '突破688.5' against 500 in 2021 is more than (688.5/500)^(1/3) - 1 = 11.26 %/yr, an "
                           "indication only (社零 is re-benchmarked: printed comparable growth decides); the paths respect "
                           "the bound"),
    Scenario("a_short_lower_bound_decides_nothing",
             "pending publication: '突破600' does not tell whether 650 was exceeded",
             retail_history() + [fig(RETAIL, 2024, 600, "亿元", qualifier="突破")], "2025Q2", "retail_sales_level",
             "pending_publication", (600, "2024", "lower bound"), basis=("2024 figure >600 亿元: only a lower bound",), p="some"),
    Scenario("an_unverified_count_is_an_indication",
             "pending an official figure: 15 buildings from an aggregator are shown, never counted",
             [fig("tax_buildings_50m", 2024, 15, "幢", reliability="unverified")], "2025Q2", "tax_buildings_50m",
             "pending_unverified", (15, "2024", "unverified")),
    # --- year to date --------------------------------------------------------------------------------------
    Scenario("a_1_to_12_month_figure_is_the_year",
             "achieved: 1-12月 660 is the full year 2024",
             retail_history() + [fig(RETAIL, 2024, 660, "亿元", period="1-12月", published="2025-01-20")],
             "2025Q1", "retail_sales_level", "achieved", (660, "2024", "reported")),
    Scenario("a_year_to_date_level_above_the_target",              # fails on the old code: P 89 % 'likely'
             "pending publication (the full-year figure is not out), but with P(met) 100 %: retail sales cannot "
             "fall, and 1-9月 already reached 660 > 650",
             retail_history() + [fig(RETAIL, 2024, 660, "亿元", period="1-9月", growth=10, published="2024-10-20")],
             "2025Q1", "retail_sales_level", "pending_publication", None,
             basis=("2024 1-9月 660 亿元: the year cannot end below it",), extra={"p_met": 1.0}),
    Scenario("after_the_plan_a_new_year_to_date_figure_changes_nothing",
             "not achieved: the final 2024 figure (640) settles it; 2025 1-6月 is outside the plan",
             retail_history() + [fig(RETAIL, 2024, 640, "亿元", status="final"),
                                 fig(RETAIL, 2025, 360, "亿元", period="1-6月", growth=8, published="2025-07-20")],
             "2025Q3", "retail_sales_level", "not_achieved", (640, "2024", "final")),
    Scenario("after_the_plan_only_next_years_year_to_date",
             "pending publication: the 2024 figure is not out; a 2025 1-6月 figure never stands in for it",
             retail_history() + [fig(RETAIL, 2025, 330, "亿元", period="1-6月", growth=5, published="2025-07-20")],
             "2025Q3", "retail_sales_level", "pending_publication", None, basis=("2024 figure not yet in the data",),
             p="some"),
    # --- additions and counts ------------------------------------------------------------------------------
    Scenario("additions_printed_in_persons",
             "achieved: 8000 + 7000 + 6000 人 = 2.1万人, at least 2万",
             [fig("新增服务业从业人员", y, v, "人") for y, v in ((2022, 8000), (2023, 7000), (2024, 6000))],
             "2025Q2", "new_service_employees", "achieved", (2.1, "2022-2024", "reported")),
    Scenario("additions_about_20_at_the_tolerance",
             "broadly achieved (基本完成): 18 first stores is 20 左右 within the tolerance of 2, short of 20",
             [fig("flagship_first_stores", y, 6, "家") for y in (2022, 2023, 2024)], "2025Q2", "flagship_first_stores",
             "broadly_achieved", (18, "2022-2024", "reported")),
    Scenario("additions_about_20_below_the_tolerance",
             "not achieved: 17 is outside 20 ± 2",
             [fig("flagship_first_stores", y, v, "家") for y, v in ((2022, 6), (2023, 6), (2024, 5))], "2025Q2",
             "flagship_first_stores", "not_achieved", (17, "2022-2024", "reported")),
    Scenario("additions_with_an_estimated_last_year_near_the_line",
             "pending (revision): 60 + 55 + an estimated 56 = 171 is within 3 % of 170",
             [fig("new_above_size_service_firms", 2022, 60, "家"), fig("new_above_size_service_firms", 2023, 55, "家"),
              fig("new_above_size_service_firms", 2024, 56, "家", status="estimate")],
             "2025Q2", "new_service_firms", "pending_revision", (171, "2022-2024", "estimate")),
    Scenario("additions_with_a_year_missing_in_the_middle",
             "insufficient data: 2023 additions were never published; no silent zero",
             [fig("new_above_size_service_firms", y, v, "家") for y, v in {2022: 60, 2024: 58}.items()],
             "2025Q2", "new_service_firms", "insufficient_data", None, basis=("2023",)),
    Scenario("additions_awaiting_the_last_year",
             "pending publication: 2022-2023 additions are out (115); 2024's are not yet, with the model's P",
             [fig("new_above_size_service_firms", y, v, "家")
              for y, v in {2019: 50, 2020: 52, 2021: 55, 2022: 60, 2023: 55}.items()],
             "2025Q1", "new_service_firms", "pending_publication", None, basis=("115",), p="some"),
    Scenario("a_yearly_count_short_on_an_estimate",
             "not achieved (estimate): an estimated 4 projects in 2024 is 20 % short of 5",
             [fig("key_service_projects", 2022, 6, "个"), fig("key_service_projects", 2023, 5, "个"),
              fig("key_service_projects", 2024, 4, "个", status="estimate")],
             "2025Q2", "key_service_projects", "not_achieved_estimate", (4, "2024", "estimate")),
    Scenario("a_yearly_count_fails_on_a_final_figure",               # fails on the old code: rested on the estimate
             "not achieved: the final 2023 count of 4 settles it; the lower 2024 estimate is weaker evidence",
             [fig("key_service_projects", 2022, 6, "个"), fig("key_service_projects", 2023, 4, "个", status="final"),
              fig("key_service_projects", 2024, 2, "个", status="estimate")],
             "2025Q2", "key_service_projects", "not_achieved", (4, "2023", "final")),
    Scenario("a_yearly_count_awaiting_its_last_year",               # fails on the old code: insufficient data
             "pending publication: 2022 and 2023 reach 5; the 2024 count is simply not out yet after the plan ended",
             [fig("key_service_projects", y, v, "个") for y, v in {2022: 6, 2023: 5}.items()],
             "2025Q1", "key_service_projects", "pending_publication", None,
             basis=("2024 figure not yet in the data", "every year published so far reaches 5"), p="none"),
    Scenario("a_designation_reached_before_the_target_year",
             "achieved: 3 culture demonstration bases designated by 2023 stay designated (the basis names 2023)",
             [fig("culture_demo_bases", 2023, 3, "家")], "2025Q2", "culture_demo_bases", "achieved",
             (3, "2023", "reported"), basis=("2023 figure 3",)),
    Scenario("a_threshold_count_reached_before_the_target_year",
             "pending: 5 firms over 100 million revenue in 2023 can be 4 in 2024; the 2024 count decides (issue 25)",
             [fig("tech_service_firms_100m", 2023, 5, "家")], "2025Q2", "tech_service_firms_100m", "pending_publication",
             None, basis=("can fall",)),
    Scenario("a_milestone_without_any_return",
             "no public data: no bulletin publishes milestones and no department return came back",
             [fig(TOURIST, 2024, 700, "万人次")], "2025Q2", "culture_projects_2022", "no_public_data", None),
]


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(tmp_path, s: Scenario):
    table = verdicts(tmp_path, s.rows, s.as_of)
    check(table.loc[s.target], s, table.attrs["figure_ids"])


# ------------------------------------------------------------ replays: the same files at several quarters --
def test_an_estimate_then_a_lower_final_figure(tmp_path):
    """2024Q4 (cut-off 2025-02-14) sees only the January 预计 680: achieved (estimate), 4.6 % above 650.
    2025Q1 sees the final 645 published in March: not achieved, on the final figure."""
    rows = retail_history() + [fig(RETAIL, 2024, 680, "亿元", status="estimate", published="2025-01-10"),
                               fig(RETAIL, 2024, 645, "亿元", status="final", published="2025-03-20")]
    row = verdicts(tmp_path, rows, "2024Q4").loc["retail_sales_level"]
    assert (row["verdict_key"], row["figure_value"], row["figure_status"]) == ("achieved_estimate", 680, "estimate")
    assert row["verdict_en"] == "achieved (estimate)" and row["verdict_zh"] == "已完成（预计数）"
    row = verdicts(tmp_path, rows, "2025Q1").loc["retail_sales_level"]
    assert (row["verdict_key"], row["figure_value"], row["figure_status"]) == ("not_achieved", 645, "final")


def test_a_preliminary_figure_then_a_final_one_below_the_line(tmp_path):
    """A preliminary (初步核算) 655 settles it as achieved in 2025Q2 (official, not an estimate: no revision band);
    the final 648 published in January 2026 turns it into not achieved from 2025Q4 (cut-off 2026-02-14)."""
    rows = retail_history() + [fig(RETAIL, 2024, 655, "亿元", status="preliminary", published="2025-03-01"),
                               fig(RETAIL, 2024, 648, "亿元", status="final", published="2026-01-15")]
    row = verdicts(tmp_path, rows, "2025Q2").loc["retail_sales_level"]
    assert (row["verdict_key"], row["figure_status"]) == ("achieved", "preliminary")
    row = verdicts(tmp_path, rows, "2025Q4").loc["retail_sales_level"]
    assert (row["verdict_key"], row["figure_value"], row["figure_status"]) == ("not_achieved", 648, "final")


def test_a_lower_bound_then_a_final_figure(tmp_path):
    """January's '突破660' settles achieved at 2025Q1; the final 648 a year later outranks it (final over reported)."""
    rows = retail_history() + [fig(RETAIL, 2024, 660, "亿元", qualifier="突破", published="2025-01-20"),
                               fig(RETAIL, 2024, 648, "亿元", status="final", published="2026-01-20")]
    row = verdicts(tmp_path, rows, "2025Q1").loc["retail_sales_level"]
    assert row["verdict_key"] == "achieved" and "lower bound" in row["figure_status"]
    row = verdicts(tmp_path, rows, "2025Q4").loc["retail_sales_level"]
    assert (row["verdict_key"], row["figure_value"]) == ("not_achieved", 648)


@pytest.mark.parametrize("published, first_quarter", [
    ("2025-02-14", "2024Q4"),        # on the 2024Q4 cut-off day (31 Dec + 45 days): visible then
    ("2025-02-15", "2025Q1"),        # a day later: only from 2025Q1
    ("2025-02", "2025Q1"),           # a month only: placed at its end, never earlier than it could have been
    ("", "2025Q1"),                  # no date: period end + 60 days (1 March)
])
def test_a_figure_is_used_only_from_the_quarter_that_could_see_it(tmp_path, published, first_quarter):
    rows = retail_history() + [fig(RETAIL, 2024, 700, "亿元", published=published)]
    before = verdicts(tmp_path, rows, "2024Q4").loc["retail_sales_level"]
    if first_quarter == "2024Q4":
        assert before["verdict_key"] == "achieved" and before["figure_value"] == 700
        return
    # not visible at 2024Q4: the plan is still running (its last quarter), the model judges, no figure is named
    assert before["verdict_key"] in MODEL_VERDICTS and pd.isna(before["figure_value"])
    after = verdicts(tmp_path, rows, first_quarter).loc["retail_sales_level"]
    assert after["verdict_key"] == "achieved" and after["figure_value"] == 700


def test_an_estimate_published_on_the_last_day_of_the_quarter(tmp_path):
    """A 预计 figure in a work report dated 31 Dec 2024 is visible in the 2024Q4 briefing, not in 2024Q3's (its
    period, the year 2024, had not ended)."""
    rows = retail_history() + [fig(RETAIL, 2024, 700, "亿元", status="estimate", published="2024-12-31")]
    row = verdicts(tmp_path, rows, "2024Q3").loc["retail_sales_level"]
    assert row["verdict_key"] in MODEL_VERDICTS and pd.isna(row["figure_value"])
    row = verdicts(tmp_path, rows, "2024Q4").loc["retail_sales_level"]
    assert (row["verdict_key"], row["figure_status"]) == ("achieved_estimate", "estimate")


def test_a_revised_base_year_changes_the_growth_verdict(tmp_path):
    """E-commerce 2021 was first 100 (reported), then 110 (final, published January 2023). Against 180 in 2024 the
    growth is (180/110)^(1/3) - 1 = 17.8 %/yr: not achieved (at least 20 %), as a level-ratio indication (estimate);
    on the old 100 it would be 21.6 %. (社零 would not do: re-benchmarked, its levels give no growth, issue 25.)"""
    rows = [fig("ecommerce_transactions", 2021, 100, "亿元", published="2022-03-01"),
            fig("ecommerce_transactions", 2021, 110, "亿元", status="final", published="2023-01-10"),
            fig("ecommerce_transactions", 2024, 180, "亿元", status="final")]
    row = verdicts(tmp_path, rows, "2025Q2").loc["ecommerce_growth"]
    assert row["verdict_key"] == "not_achieved_estimate"
    assert row["figure_value"] == pytest.approx(100 * ((180 / 110) ** (1 / 3) - 1))
    figures = pd.read_csv(tmp_path / "2025Q2" / "out" / "figures.csv")
    cited = figures[figures["figure_id"].isin(row["figure_ids"].split("; "))]
    assert sorted(cited["value"]) == [110, 180]                  # the final base, not the superseded 100


def test_a_yearly_count_in_the_last_quarter_of_the_plan(tmp_path):
    """At 2024Q4 the plan is still running: 2022 and 2023 reach 5 and 2024's count is not out: on track
    (every year so far), not insufficient data (fails on the old code)."""
    rows = [fig("key_service_projects", y, v, "个") for y, v in {2022: 6, 2023: 5}.items()]
    row = verdicts(tmp_path, rows, "2024Q4").loc["key_service_projects"]
    assert row["verdict_key"] == "on_track" and "2024 not yet in the data" in row["basis"]


# ------------------------------------------------------------------------- P(met) as the reader sees it --
def test_p_met_is_whole_per_cent_and_worded_only_with_confidence(tmp_path):
    """Two points and one model: P(met) is shown, in whole per cent, as 'low confidence' without a likelihood word.
    Twelve points growing 10 %/yr against 650 in 2024 (300 × 1.1^12 = 941): high confidence and a word."""
    few = verdicts(tmp_path / "few", [fig(RETAIL, y, v, "亿元") for y, v in {2021: 500, 2022: 540}.items()],
                   "2023Q1").loc["retail_sales_level"]
    assert few["confidence"] == "low" and few["likelihood_en"] == "low confidence" and few["likelihood_zh"] == "低置信度"
    assert round(few["p_met"] * 100, 9) == round(few["p_met"] * 100)
    many = verdicts(tmp_path / "many", [fig(RETAIL, y, round(300 * 1.1 ** (y - 2012), 1), "亿元")
                                        for y in range(2012, 2024)], "2024Q1").loc["retail_sales_level"]
    assert many["confidence"] in ("high", "medium") and many["verdict_key"] == "on_track"
    assert many["likelihood_en"] not in ("low confidence", "") and many["p_met"] >= 0.9
    assert round(many["p_met"] * 100, 9) == round(many["p_met"] * 100)


def test_a_year_to_date_figure_published_after_the_cutoff_is_not_used(tmp_path):
    """A 1-9月 figure published on 20 Nov 2024 (after the 2024Q3 cut-off, 14 Nov) must not move the 2024Q3
    projection: P(met) and the median are those of the same files without it. On the cut-off day it does move."""
    base = retail_history()
    ytd = dict(period="1-9月", growth=25)
    without = verdicts(tmp_path / "none", base, "2024Q3").loc["retail_sales_level"]
    late = verdicts(tmp_path / "late", base + [fig(RETAIL, 2024, 560, "亿元", published="2024-11-20", **ytd)],
                    "2024Q3").loc["retail_sales_level"]
    assert late["p_met"] == without["p_met"] and late["projection_q50"] == without["projection_q50"]
    on_time = verdicts(tmp_path / "on_time", base + [fig(RETAIL, 2024, 560, "亿元", published="2024-11-14", **ytd)],
                       "2024Q3").loc["retail_sales_level"]
    assert on_time["projection_q50"] > without["projection_q50"] and on_time["p_met"] > without["p_met"]


@pytest.mark.parametrize("bound", [
    dict(reliability="unverified"),                               # never evidence: not even for the model
    dict(status="estimate"),                                      # '预计突破655': inside the revision, P stays the model's
])
def test_a_lower_bound_that_cannot_settle_leaves_p_met_to_the_model(tmp_path, bound):
    """'突破655' that cannot settle the verdict (unverified: pending an official figure; an estimate 0.8 % above 650:
    pending within the revision) must not condition the paths as if it were certain: P(met) is the one the same
    files give without it (a lower bound is no level for the models), not 100 %."""
    row = fig(RETAIL, 2024, 655, "亿元", qualifier="突破", published="2025-01-10", **bound)
    with_bound = verdicts(tmp_path / "with", retail_history() + [row], "2024Q4").loc["retail_sales_level"]
    without = verdicts(tmp_path / "without", retail_history(), "2024Q4").loc["retail_sales_level"]
    assert with_bound["verdict_key"] == ("pending_unverified" if "reliability" in bound else "pending_revision")
    assert with_bound["p_met"] == without["p_met"] < 1


# ------------------------------------------------------------------ through the whole quarterly pipeline --
SCENARIO_DIR = Path(__file__).parent / "synthetic_scenarios"


@pytest.mark.slow
def test_an_evaluation_quarter_through_the_pipeline(tmp_path):
    """tests/synthetic_scenarios/ through run_quarter at 2025Q1 (the plan has ended), both languages:
    - retail sales: January's '预计突破700' → level achieved (estimate); growth from 500 in 2021: more than
      11.9 %/yr from levels, an indication only (社零 is re-benchmarked) → pending, its P respecting the bound;
    - software revenue, at least 30 % every year: final 2022 = 29.9 % settles not achieved (the estimated 20 % of
      2023 is weaker evidence);
    - key projects, at least 5 a year: 6 and 5, 2024 not out yet → pending publication;
    - e-commerce: 100 → 172.8 is exactly 20 %/yr from levels, an indication at the line → pending (revision).
    The briefings name these verdicts; figures.csv resolves every id the assessment cites."""
    import shutil

    from analysis.inputs.figures import cited_ids
    from analysis.run.pipeline import run_quarter

    raw = tmp_path / "raw"
    shutil.copytree(SCENARIO_DIR, raw)
    folder = run_quarter("2025Q1", reports_dir=tmp_path / "reports", clean_dir=tmp_path / "clean", raw_dir=raw,
                         progress=lambda *_: None)
    rows = pd.read_csv(folder / "assessment.csv", encoding="utf-8-sig").set_index("target")
    expected = {"retail_sales_level": "achieved_estimate", "retail_sales_growth": "pending_publication",
                "software_it_revenue_growth": "not_achieved", "key_service_projects": "pending_publication",
                "ecommerce_growth": "pending_revision"}
    assert {t: rows.loc[t, "verdict_key"] for t in expected} == expected
    assert rows.loc["software_it_revenue_growth", "figure_value"] == 29.9
    assert rows.loc["retail_sales_level", "figure_status"] == "estimate, lower bound"
    figures = pd.read_csv(folder / "figures.csv", encoding="utf-8-sig")
    assert cited_ids(rows.reset_index()) <= set(figures["figure_id"])
    from pypdf import PdfReader
    # after the plan's end the PDFs word verdicts in the final evaluation's standard words (core.wording.FINAL_WORDS)
    for lang, words in (("zh", ("完成（预计数）", "未完成", "待统计数据确认")),
                        ("en", ("achieved (estimate)", "not achieved", "awaiting the statistics"))):
        text = "".join(p.extract_text() for p in PdfReader(folder / f"briefing.{lang}.pdf").pages)
        flat = "".join(text.split())
        for word in words:
            assert "".join(word.split()) in flat, (lang, word)


# ------------------------------------------------------------------------------- department returns --
def test_a_published_statistic_outranks_a_department_return(tmp_path):
    """The synthetic 2025Q4 returns (tests/synthetic_returns/good) say 4 firms with revenue over 100 million
    (区科技局, 台账数) and 2022's culture projects completed on 2022-12-20 (区文广旅局). A published official count
    of 6 for 2024 settles 'at least 5' as achieved on the published figure (a return never outranks a published
    statistic); the milestone, which nothing publishes, is achieved on the return, marked as such."""
    raw = tmp_path / "raw"
    write_release(raw, "synthetic_scenario.csv", [fig("tech_service_firms_100m", 2024, 6, "家")])
    returns = Path(__file__).parent / "synthetic_returns" / "good"
    run_clean("2025Q4", raw_dir=raw, out_dir=tmp_path / "clean")
    a, _ = run_assessment("2025Q4", tmp_path / "out", clean_dir=tmp_path / "clean", raw_dir=raw, returns_dir=returns)
    rows = a.table.set_index("target")
    firms = rows.loc["tech_service_firms_100m"]
    assert (firms["verdict_key"], firms["figure_value"], firms["figure_status"]) == ("achieved", 6, "reported")
    assert str(firms["figure_ids"]).startswith("F")                        # the published figure, not an R... return
    milestone = rows.loc["culture_projects_2022"]
    assert milestone["verdict_key"] == "achieved_department" and milestone["verdict_zh"] == "已完成（部门报送）"
    assert "2022-12-20" in milestone["basis"] and str(milestone["figure_ids"]).startswith("R")
