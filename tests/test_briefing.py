"""The briefing's words on known rows: status, probability in words and numbers, gap, growth still needed."""
import pandas as pd
import pytest

from analysis.model.assess import assess, indicator_data, model_series
from analysis.report.briefing import has_figures, key_message, status_table
from analysis.report.briefing_notes import data_notes
from analysis.inputs.clean import run_clean


@pytest.fixture(scope="module")
def shipped(tmp_path_factory, cfg):
    result = run_clean("2025Q2", out_dir=tmp_path_factory.mktemp("c") / "clean")
    return result, assess(result, cfg).table


def test_key_message_for_a_level_target_of_an_ended_plan(shipped, cfg):
    _, table = shipped
    row = table.set_index("target").loc["retail_sales_level"].copy()
    row["target"] = "retail_sales_level"
    zh, en = key_message(row, cfg, "zh"), key_message(row, cfg, "en")
    # the statement names what it measures, the verdict is an evaluation of an ended plan, with P beside it
    # after the plan ended, the standard word of a final evaluation (as 一、总体情况 says it), then what is pending
    assert "社会消费品零售总额2024年突破650亿元：待统计数据确认" in zh and row["verdict_zh"] == "尚未取得数据"
    assert "本期尚未取得2024年统计数据" in zh and f"{row['p_met']:.0%}" in zh
    assert "2022年521亿元（预计数）" in zh
    assert "awaiting the statistics" in en and "No 2024 figure is in hand yet" in en and "52.1 billion yuan (2022, estimate)" in en
    # the English reader is told what the target is (the Chinese name carries it: 突破650亿元)
    assert en.replace("\\", "").startswith("**Retail sales of consumer goods in 2024 (target: over 65 billion yuan): awaiting")


def test_key_message_for_an_unverified_figure_does_not_contradict_itself(shipped, cfg):
    _, table = shipped
    row = table.set_index("target").loc["tourist_visits"].copy()
    row["target"] = "tourist_visits"
    zh, en = key_message(row, cfg, "zh"), key_message(row, cfg, "en")
    assert "待统计数据确认" in zh and "待官方数据核实" in zh and "2024年714万人次" in zh and "网络资料，未核实，未采用" in zh \
        and "已完成" not in zh
    assert "achieved" not in en and "unverified" in en
    # the model's P(met) may stand beside the unverified figure, worded only as far as its confidence allows
    shown = [b["en"] for b in cfg.settings["assessment"]["likelihood"] if f"({b['en']})" in en]
    if pd.isna(row["p_met"]) or row["confidence"] == "low":
        assert not shown
    else:
        assert len(shown) == 1 and f"{row['p_met']:.0%}" in en


def test_key_message_says_plainly_when_there_is_no_data(shipped, cfg):
    _, table = shipped
    row = table.set_index("target").loc["key_service_revenue_growth"].copy()
    # no Haimen figure at all is published for it: said as "none" (the legend's 无公开数据), never "too few"
    # (数据不足 means some figures exist); one status, said one way
    zh, en = key_message(row, cfg, "zh"), key_message(row, cfg, "en")
    # after the plan ended the standard word says it (暂无数据), once: no second sentence repeating it
    assert zh.endswith("暂无数据。**") and "不足" not in zh and zh.count("暂无") == 1
    assert "no data yet" in en and "Too few" not in en


def test_the_detailed_table_has_every_target_with_figures_and_coloured_verdicts(shipped, cfg):
    # every target once across the grouped table and the no-data block: test_briefing_layout.py
    _, table = shipped
    detailed = status_table(table[has_figures(table)], cfg, "zh")
    assert sorted(detailed["目标"]) == sorted(table.loc[has_figures(table), "name_zh"])
    assert detailed["研判"].str.contains("{=typst}").all()        # coloured in the PDF


def test_data_notes_name_the_gaps_and_unverified_figures(shipped, cfg):
    result, table = shipped
    validation = {"checks": [{"check": "headline.missing_years", "success": False, "title_zh": "核心指标缺失年份",
                              "title_en": "missing years", "rows_failing": 2}],
                  "failing_rows": {"headline.missing_years": [{"indicator": "retail_sales", "year": 2023},
                                                              {"indicator": "retail_sales", "year": 2024}]}}
    notes = data_notes(table, validation, result.observations, "zh", names={"retail_sales": "社会消费品零售总额"})
    text = " ".join(notes)
    assert "53项量化目标和5项节点任务" in text and "无海门公开数据" in text and "未经核实" in text and "预计数" in text
    # findings from the failing rows, not the check's title
    assert "社会消费品零售总额 2023—2024年" in text                 # a Chinese range (issue 26) and "核心指标缺失年份" not in text and "as_of" not in text


def test_pandemic_years_can_be_masked(shipped, cfg):
    from dataclasses import replace
    result, _ = shipped
    data = indicator_data(result, cfg, "retail_sales")
    masked_cfg = replace(cfg, indicators={**cfg.indicators,
                                          "retail_sales": replace(cfg.indicators["retail_sales"], pandemic="mask")})
    assert 2021 in model_series(data, cfg).years and 2022 in model_series(data, cfg).years
    years = model_series(data, masked_cfg).years
    assert not {2020, 2021, 2022} & set(years.tolist())


def test_amounts_follow_each_language_s_conventions():
    from analysis.core.wording import amount
    assert amount(521.0, "亿元", "zh") == "521亿元"
    assert amount(521.0, "亿元", "en") == "52.1 billion yuan"
    assert amount(714.0, "万人次", "en") == "7.14 million visits"


def test_the_line_over_the_targets_without_figures_counts_targets_and_milestones_apart():
    """Issue 24: page 1 counts 53 quantitative targets; page 2 said "其余53项目标" for 48 targets and 5 milestones."""
    from analysis.report.summary import no_data_sentence

    rest = pd.DataFrame({"type": ["level"] * 48 + ["milestone"] * 5})
    assert no_data_sentence(rest, "zh").startswith("其余48项量化目标和5项节点任务暂无")
    assert no_data_sentence(rest, "en").startswith("The other 48 quantitative targets and 5 milestones have no")
    one = pd.DataFrame({"type": ["count"]})
    assert "1 quantitative target has no" in no_data_sentence(one, "en")


def test_an_ended_level_target_says_the_growth_still_needed_not_a_plan_requirement(shipped, cfg):
    """Issue 24: "规划要求8.7%" was a rate from a derived 2021 base, not what the plan says (a level of 650亿元 in
    2024); the evaluation states the growth the latest figure still needed, and labels a derived base."""
    _, table = shipped
    row = table.set_index("target").loc["retail_sales_level"].copy()
    row["target"] = "retail_sales_level"
    zh, en = key_message(row, cfg, "zh"), key_message(row, cfg, "en")
    need = f"{row['remaining_required_growth_pct']:.1f}%"
    assert "规划要求" not in zh and "the plan needs" not in en
    # the sum's base named: the latest figure (2022's 521), not the derived 2021 base mentioned just before
    assert f"以{int(row['latest_year'])}年521亿元为基数测算，{int(row['latest_year']) + 1}—2024年需年均增长{need}方能达标" in zh
    assert f"meeting the target required {need} a year" in en
    assert bool(row["base_derived"]) and "推算" in zh and "derived from printed growth" in en


def test_the_methods_quote_the_record_on_both_collections_from_the_results_files():
    """Issue 27 point 4: the methods line reads its benchmark figures from benchmarks/results (never typed), naming
    M3 and the M1 collection no width was fitted on, in both languages."""
    import json

    from analysis.core import paths
    from analysis.report.briefing_notes import benchmark_sentence

    m1 = json.loads((paths.ROOT / "benchmarks" / "results" / "collections_summary.json").read_text(encoding="utf-8"))
    m1 = m1["collections"]["m1"]["full"]
    zh, en = benchmark_sentence("zh"), benchmark_sentence("en")
    assert "M3" in zh and f"M1竞赛{m1['series']}个年度序列" in zh
    assert f"{m1['criteria']['smape']:.1f}" in zh and f"{m1['criteria']['cov80_pooled']:.0f}%" in zh
    assert f"On the {m1['series']} M1 yearly series" in en
