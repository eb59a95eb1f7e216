"""The replay's evolution report on a synthetic history: every quarter drawn, a page per target with data and
none for a target without, the quarter each figure arrived listed, in Chinese and in English."""
import numpy as np
import pandas as pd
from pypdf import PdfReader

from analysis.report.evolution import arrivals, targets_with_data
from analysis.report.evolution import evolution_pdf

QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
NAMES = {  # target -> (name_zh, name_en): synthetic targets, not the plan's
    "synthetic_level": ("合成目标甲2024年达到100亿元", "Synthetic level target A in 2024"),
    "synthetic_late": ("合成目标乙2024年达到50万人次", "Synthetic target B, data only at the end"),
    "synthetic_empty": ("合成目标丙无任何数据", "Synthetic target C without any data"),
}


def synthetic_history() -> pd.DataFrame:
    """Made-up assessment rows (synthetic): 2024Q3 failed (no rows at all), target C never has a figure."""
    rows = []
    for q in QUARTERS:
        if q == "2024Q3":
            continue                        # a quarter whose run failed: no assessment rows
        settled = q == "2025Q1"
        for target, (zh, en) in NAMES.items():
            row = {"target": target, "as_of": q, "statement": zh, "name_zh": zh, "name_en": en, "clause": "二.1/16",
                   "headline": target == "synthetic_late", "type": "level", "unit": "亿元", "target_value": 100.0,
                   "target_year": 2024, "indicator": f"ind_{target}", "p_met": np.nan, "projection_q10": np.nan,
                   "projection_q50": np.nan, "projection_q90": np.nan, "latest_value": np.nan, "latest_year": np.nan,
                   "figure_value": np.nan, "verdict": "no_public_data", "verdict_key": "no_public_data",
                   "verdict_zh": "无公开数据", "verdict_en": "no public data"}
            if target == "synthetic_level":
                row.update(latest_value=90.0, latest_year=2023.0, verdict="achieved" if settled else "on_track",
                           verdict_key="achieved" if settled else "on_track",
                           verdict_zh="已完成" if settled else "有望完成", verdict_en="achieved" if settled else "on track")
                if settled:
                    row.update(figure_value=104.0)
                else:
                    row.update(p_met=0.7, projection_q10=95.0, projection_q50=101.0, projection_q90=108.0)
            if target == "synthetic_late" and settled:
                row.update(figure_value=55.0, verdict="pending", verdict_key="pending_unverified",
                           verdict_zh="仅有未核实资料", verdict_en="pending an official figure")
            rows.append(row)
    return pd.DataFrame(rows)


def synthetic_arrivals() -> pd.DataFrame:
    return pd.DataFrame([
        {"as_of": "2025Q1", "indicator": "ind_synthetic_level", "region": "海门", "period": "2024年", "year": 2024,
         "value": 104.0, "unit": "亿元", "growth_pct": 5.0, "status": "reported", "reliability": "official",
         "figure_id": "Fsynth1"},
    ])


def page_texts(pdf) -> list[str]:
    return [p.extract_text().replace("\n", " ") for p in PdfReader(pdf).pages]


def test_targets_with_data_put_headline_first_and_leave_out_the_empty_one():
    assert targets_with_data(synthetic_history()) == ["synthetic_late", "synthetic_level"]


def test_both_languages_have_an_overview_and_one_page_per_target_with_data(tmp_path, cfg):
    for lang in ("zh", "en"):
        pdf = tmp_path / f"evolution.{lang}.pdf"
        chosen = evolution_pdf(synthetic_history(), QUARTERS, synthetic_arrivals(), pdf, cfg, lang)
        assert chosen == ["synthetic_late", "synthetic_level"]
        texts = page_texts(pdf)
        assert len(texts) == 3                          # the P(met) heatmap, then targets B and A
        name = 0 if lang == "zh" else 1
        assert NAMES["synthetic_late"][name] in texts[1] and NAMES["synthetic_level"][name] in texts[2]
        assert not any(NAMES["synthetic_empty"][name] in t for t in texts)
        for text in texts:                              # every quarter of the range, also the failed 2024Q3
            assert all(q in text for q in QUARTERS), (lang, text)


def test_the_english_report_is_in_english_and_lists_the_arrival(tmp_path, cfg):
    pdf = tmp_path / "evolution.en.pdf"
    evolution_pdf(synthetic_history(), QUARTERS, synthetic_arrivals(), pdf, cfg, "en")
    overview, _, level = page_texts(pdf)
    assert "70%" in overview and "achieved" in overview       # P in whole per cent; the settled quarter's verdict
    assert "2025Q1 2024: 10.4 billion yuan, growth +5.0% (published · official) [Fsynth1]" in level
    assert "no result this quarter" in level                 # the failed quarter is drawn and says so
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in level), level


def test_a_replay_without_any_target_data_says_so(tmp_path, cfg):
    history = synthetic_history()
    history = history[history["target"] == "synthetic_empty"]
    pdf = tmp_path / "evolution.en.pdf"
    assert evolution_pdf(history, QUARTERS, synthetic_arrivals().iloc[:0], pdf, cfg, "en") == []
    (text,) = page_texts(pdf)
    assert "No target had data" in text and "2024Q1" in text


def test_arrivals_are_the_rows_first_visible_in_each_quarter_of_the_range():
    obs = pd.DataFrame([  # synthetic rows
        {"obs_id": "synthetic.csv:2", "indicator": "x", "region": "海门", "period": "2024年", "year": 2024, "value": 1.0,
         "growth_pct": np.nan, "first_visible": "2025Q1"},
        {"obs_id": "synthetic.csv:3", "indicator": "x", "region": "南通", "period": "2024年", "year": 2024, "value": 2.0,
         "growth_pct": np.nan, "first_visible": "2025Q1"},       # another region
        {"obs_id": "synthetic.csv:4", "indicator": "x", "region": "海门", "period": "2022年", "year": 2022, "value": 3.0,
         "growth_pct": np.nan, "first_visible": "2023Q1"},       # before the range
        {"obs_id": "synthetic.csv:5", "indicator": "x", "region": "海门", "period": "2024年1-6月", "year": 2024,
         "value": np.nan, "growth_pct": 4.0, "first_visible": "2024Q3"},   # printed growth is news too
    ])
    got = arrivals(obs, QUARTERS, "海门")
    assert list(got["as_of"]) == ["2024Q3", "2025Q1"]
    assert list(got["period"]) == ["2024年1-6月", "2024年"]
    assert got["figure_id"].str.match(r"^F[a-z2-7]{6}$").all()


def test_chinese_labels_wrap_without_cutting_a_number_and_cells_fit_their_words():
    from analysis.report.heatmaps import fit_words, wrap_cjk

    assert wrap_cjk("社会消费品零售总额年均增长10%左右", 14) == ["社会消费品零售总额", "年均增长10%左右"]
    assert wrap_cjk("2024年旅游总收入突破55亿元", 8) == ["2024年旅游总", "收入突破55亿元"]
    assert wrap_cjk("数据不足", 3) == ["数据", "不足"]            # balanced, not 3 + 1
    assert wrap_cjk("短", 14) == ["短"]
    for width in range(2, 16):                               # nothing lost, no line too long (but unbreakable runs)
        text = "2024年接待游客突破640万人次"
        lines = wrap_cjk(text, width)
        assert "".join(lines) == text and all(len(x) <= max(width, 4) for x in lines)
    assert fit_words("insufficient data", 8, "en").split("\n") == ["insuffi-", "cient", "data"]
    assert fit_words("not achieved", 8, "en").split("\n") == ["not", "achieved"]
    assert all(len(x) <= 5 for x in fit_words("insufficient data", 5, "en").split("\n"))
