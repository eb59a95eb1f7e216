"""The briefing as a district office sends it up (issue 26, report/bulletin.py): known answers on SYNTHETIC tables,
and the shipped Chinese briefing's body read as a leader reads it (no ids, no ISO dates, no English)."""
from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.quarters import Quarter
from analysis.report.bulletin import action_list, cn_date, masthead, overall, tail


def synthetic_table() -> pd.DataFrame:
    """Three targets and a milestone, made up: a headline level pending with a low-confidence P, a growth target
    without data, a count without data, a milestone."""
    base = {"plan_ended": True, "target_year": 2024, "base_year": 2021, "confidence": "low", "p_met": None,
            "verdict_key": "", "name_en": "", "headline": False}
    rows = [dict(base, target="retail_sales_level", type="level", indicator="retail_sales", verdict="pending",
                 verdict_key="pending_publication", name_zh="社零", headline=True, p_met=0.2),
            dict(base, target="key_service_revenue_growth", type="avg_growth", indicator="key_service_revenue",
                 verdict="no_public_data", verdict_key="no_public_data", name_zh="营收增长", headline=True),
            dict(base, target="culture_demo_bases", type="count", indicator="culture_demo_bases",
                 verdict="no_public_data", verdict_key="no_public_data", name_zh="示范基地"),
            dict(base, target="culture_projects_2022", type="milestone", indicator="", verdict="no_public_data",
                 verdict_key="no_public_data", name_zh="节点")]
    return pd.DataFrame(rows)


def test_dates_are_written_the_chinese_way():
    assert cn_date(date(2025, 8, 14)) == "2025年8月14日"


def test_masthead_and_tail_carry_the_settings_words(cfg):
    typst, portable = masthead(cfg, Quarter(2025, 2), date(2025, 8, 14), "zh")
    w = cfg.settings["briefing"]
    for text in (typst, portable):
        assert w["series_zh"] in text and "2025年第2期" in text and "2025年8月14日" in text and w["publisher_zh"] in text
    # a rerun replacing a published version says which version it is in the 期号
    assert "2025年第2期（第2版）" in masthead(cfg, Quarter(2025, 2), date(2025, 8, 20), "zh", 2)[1]
    assert "（第" not in masthead(cfg, Quarter(2025, 2), date(2025, 8, 20), "zh", 1)[1]
    typst, portable = tail(cfg, "zh", date(2025, 8, 14))
    assert f"报：{w['report_to_zh']}" in portable and f"共印{w['copies']}份" in portable
    # 版记 as GB/T 9704 writes it: the compiling unit and the date it is issued (印发)
    assert f"{w['publisher_zh']}　　2025年8月14日印发" in portable and "2025年8月14日印发" in typst


def test_the_overall_judgement_names_the_headlines_in_standard_words_and_what_to_collect(cfg):
    names = {"retail_sales": "社会消费品零售总额", "key_service_revenue": "规模以上服务业重点行业营业收入"}
    text = overall(synthetic_table(), cfg, names, "zh")
    # a low-confidence P stays out of the paragraph a leader reads aloud; a medium one is given in parentheses
    assert "社会消费品零售总额（2024年）待统计数据确认；" in text and "20%" not in text
    medium = synthetic_table().assign(confidence="medium")
    assert "待统计数据确认（模型推算达标可能性约20%）" in overall(medium, cfg, names, "zh")
    assert "规模以上服务业重点行业营业收入年均增长暂无数据" in text
    assert "暂不能作出终期结论" in text and "区统计局" in text


def test_growth_targets_go_to_the_statistics_bureau_in_the_action_list(cfg):
    table = synthetic_table()
    out = action_list(table, cfg, date(2025, 10, 15), "zh").set_index("单位")
    bureau = out.loc["区统计局", "报送内容"]
    assert "规模以上服务业重点行业营业收入1项指标的2022—2024年各年同比增长" in bureau     # named, not only counted
    assert set(out["报送时限"]) == {"2025年10月15日"}
    counted = sum(int(n) for text in out["报送内容"] for n in re.findall(r"(\d+)项", text))
    assert counted == 4                                                    # every open target once


def test_the_shipped_chinese_body_reads_as_a_government_briefing(shipped_quarter):
    from conftest import body_pages

    pdf = Path(shipped_quarter[0]) / "briefing.zh.pdf"
    n = body_pages(pdf)
    body = subprocess.run(["pdftotext", "-enc", "UTF-8", "-l", str(n), str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert not re.findall(r"\[[FDR][a-z2-7]{6}", body), "figure ids in the leader's body"
    assert not re.findall(r"\d{4}-\d{2}-\d{2}", body), "ISO dates"
    assert not re.findall(r"\d{4}-\d{4}", body), "hyphen year ranges (2022—2024)"
    assert not re.findall(r"[A-Za-z]{2,}", body), re.findall(r"[A-Za-z]{2,}", body)[:5]
    assert "一、总体情况" in body.replace(" ", "") and "五、数据收集工作安排" in body.replace(" ", "")
    flat = re.sub(r"\s+", "", body)
    assert "（以下简称《行动计划》）" in flat                    # the short name is introduced before it is used


def test_no_translated_term_is_left_in_the_sources_or_the_settings():
    """Issue 26: 达标概率, 不太可能, 可能性相当 ... are translated, not written; only the catalogue that bans them
    (core/wording.TRANSLATED) may name them."""
    from analysis.core import paths
    from analysis.core.wording import TRANSLATED

    files = [f for f in paths.PACKAGE_DIR.rglob("*.py") if f.name != "wording.py"]
    files += list(paths.CONFIG_DIR.glob("*.yaml")) + list(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert len(files) > 50
    found = [(f.name, t) for f in files for t in TRANSLATED if t in f.read_text(encoding="utf-8")]
    assert not found, found


def test_the_whole_chinese_briefing_uses_the_catalogue_words(shipped_quarter):
    """The printed zh briefing, annex included, carries none of the translated phrases, and the table's P column is
    headed with the catalogue's term."""
    from analysis.core.wording import TRANSLATED, term

    pdf = Path(shipped_quarter[0]) / "briefing.zh.pdf"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert not [t for t in TRANSLATED if t in flat]
    assert term("p_met", "zh") in flat


@pytest.mark.parametrize("typed, printed", [
    ("集装箱吞吐量(通海港区)", "集装箱吞吐量（通海港区）"),        # full-width brackets around Chinese
    ("每季度组织1-2场服务业招商活动", "每季度组织1～2场服务业招商活动"),   # a range of quantities: ～
    ("2022-2024年", "2022—2024年"), ("1-6月", "1—6月"),              # years and months: —
    ("2022年,开工建设", "2022年，开工建设"),                        # a comma in Chinese text
    ("1,733亿元", "1,733亿元"), ("增长2.5%", "增长2.5%"), ("GDP (real)", "GDP (real)"),   # digits' own marks, Latin text
])
def test_names_and_statements_print_with_chinese_marks(typed, printed):
    from analysis.core.wording import zh_text
    assert zh_text(typed) == printed
