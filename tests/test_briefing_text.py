"""The English briefing as a reader copies it out of the PDF: English words, whole numbers, no code words.

One quarter (2025Q2, shipped data) is rendered once for the module, in English only, and its text extracted
with pdftotext: what the reader sees and pastes into Excel is what is tested, not the Markdown behind it.
The number-formatting functions are tested on known answers below.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from analysis.report.briefing_notes import validation_findings
from analysis.core.wording import amount, clause_text, fmt_p, fmt_value, period_words

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Chinese is allowed only in parentheses (an official name where it helps) and in the page footer (the product's
# bilingual name); anything else in Chinese is a string that was not translated
FOOTER = "海门区现代服务业三年行动计划监测"


@pytest.fixture(scope="module")
def english_text(shipped_quarter) -> str:
    pdf = Path(shipped_quarter[0]) / "briefing.en.pdf"       # the session's one run of the shipped quarter
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _ours(text: str) -> str:
    """The text the product writes: everything before the list of source titles (the whitelist: names of Chinese
    publications, quoted as published so that a reader can find them)."""
    return text.split("Sources of the headline figures")[0]


def _outside_parentheses(text: str) -> str:
    """text without what stands in parentheses (full-width or Latin, one level deep, across line breaks)."""
    return re.sub(r"[(（][^()（）]*[)）]", "", text)


def test_no_chinese_outside_parentheses(english_text):
    body = _ours(english_text)
    # parentheses may wrap across a line, so they are removed from the whole text before it is split into lines
    stray = [line for line in _outside_parentheses(body).splitlines() if CJK.search(line.replace(FOOTER, ""))]
    assert not stray, stray[:10]


def test_every_english_page_is_footed_with_the_bulletin_series_and_its_page(shipped_quarter):
    """A district office's reader sees the bulletin's name at the foot of each English page, not the product's."""
    from analysis.core.config import load_config

    pdf = Path(shipped_quarter[0]) / "briefing.en.pdf"
    series = load_config().settings["briefing"]["series_en"]
    pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
                          .stdout, flags=re.M).group(1))
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        foot = [line for line in text.splitlines() if line.strip()][-1]
        assert series in foot and re.search(rf"{page}\s*/\s*{pages}\s*$", foot), (page, foot)
        assert "plan monitor" not in foot


def test_no_invisible_characters(english_text):
    found = INVISIBLE.findall(english_text)
    assert not found, f"{len(found)} invisible characters, e.g. {[hex(ord(c)) for c in found[:5]]}"


def test_numbers_parse(english_text):
    """Every number token (52.1, 1,234, 7.29) parses as a number once thousands separators are dropped; a number
    broken by an invisible character or a stray space inside it would leave a fragment like '52.' behind."""
    for token in re.findall(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])", english_text):
        float(token.replace(",", ""))
    # (a sentence ending in a year, "... Jan-Jun 2025.", before a numbered heading "4. Targets" is no decimal point)
    assert not re.search(r"\d\.\s+\d(?!\.\s)", english_text), "a decimal point followed by a space"
    # four decimals only where a figure printed to two decimals in 万 becomes millions (140.57万标箱: 1.4057 million
    # TEU, every printed digit kept); five or more would be spurious precision
    assert not re.search(r"\d\.\d{5,}", english_text), "more than four decimals: spurious precision"
    assert all(m.endswith(" million") for m in re.findall(r"\d\.\d{4} million|\d\.\d{4}\b(?! million)", english_text))


def test_counts_agree_and_no_year_runs_into_a_value(english_text):
    """Issue 24: "1 have too few figures" and "GDP 2024 173 billion yuan" read wrong; every count of one takes a
    singular verb or noun, and a year is never followed by a value with nothing between them."""
    flat = re.sub(r"\s+", " ", english_text)
    assert not re.findall(r"(?<![\d.,])1 (?:have|are|were|targets|figures|units|lead units|milestones)\b", flat)
    # in the prose (the data notes; a table's cells sit side by side in extracted text, so tables are left out)
    notes = flat[flat.index("Data notes", flat.index("Annex: technical notes")):]   # the annex heading, not the lead-in's mention
    assert not re.findall(r"\b(?:19|20)\d{2} \d", notes)


def test_the_data_notes_say_each_count_in_the_right_number():
    """The sentence itself, on made-up tables where each count is 1 (synthetic test data)."""
    import pandas as pd

    from analysis.report.briefing_notes import data_notes

    table = pd.DataFrame({"type": ["level", "level", "milestone"], "verdict": ["no_public_data", "insufficient_data",
                                                                            "no_public_data"]})
    observations = pd.DataFrame({"region": ["海门"], "year": [2024], "role": ["excluded"], "indicator": ["gdp"],
                                 "period": ["2024年"], "value": [173.0], "unit": ["亿元"], "status": ["reported"]})
    en = " ".join(data_notes(table, None, observations, "en", names={"gdp": "GDP"})).replace("\\", "")  # Markdown escapes
    assert "1 has no published Haimen figure and 1 has too few figures" in en
    assert "1 milestone." in en and "GDP 2024: 17.3 billion yuan" in en


def test_no_code_words_or_chinese_dates(english_text):
    assert "as_of" not in english_text
    assert not re.search(r"\d\s*[年月]", _ours(english_text))
    assert not re.search(r"\b(raw|headline|growth|visible|clean|plausible)\.[a-z_]+", english_text)
    assert "insufficient data No" not in english_text and "1 points" not in english_text


def test_quotes_have_no_gap(english_text):
    # a contraction or possessive split by a gap ("plan’ s", "don’ t"); "the models' P(met)" is a plural possessive
    gap = re.compile(r"\w[’'] (s|t|re|ll|ve|d|m)\b")
    assert not gap.search(english_text), gap.findall(english_text)[:5]


def test_clauses_are_english(english_text):
    assert "Sec. 2.1 / item" in english_text


# --- the formatting functions, on known answers ---------------------------------------------------------------

@pytest.mark.parametrize("value, unit, lang, text", [
    (72.89, "亿元", "en", "7.29 billion yuan"),
    (72.89, "亿元", "zh", "72.9亿元"),
    (521.0, "亿元", "en", "52.1 billion yuan"),
    (521.0, "亿元", "zh", "521亿元"),
    (1729.4, "亿元", "zh", "1729亿元"),         # no thousands separator in Chinese (issue 26)
    (714.0, "万人次", "en", "7.14 million visits"),
    (12345.0, "人", "en", "12,345 persons"),
])
def test_amount(value, unit, lang, text):
    assert amount(value, unit, lang) == text


def test_fmt_value_has_three_significant_figures_at_most():
    assert fmt_value(7.289) == "7.29" and fmt_value(0.15623) == "0.156" and fmt_value(52.0) == "52"
    assert fmt_value(99.96) == "100" and fmt_value(1234567) == "1,234,567" and fmt_value(None) == "—"


def test_p_is_in_whole_per_cent():
    assert fmt_p(0.1562) == "16%" and fmt_p(0.004) == "<1%" and fmt_p(0.999) == ">99%"


def test_clause_and_period_words():
    assert clause_text("二.1/16", "en") == "Sec. 2.1 / item 16" and clause_text("二.1/16", "zh") == "二.1/16"
    assert clause_text("19", "en") == "item 19"
    assert period_words("2023年", "en") == "2023" and period_words("2025年1-9月", "en") == "Jan-Sep 2025"
    # Chinese official text writes a month range with a dash, whatever the raw file typed
    assert period_words("2025年1-6月", "zh") == "2025年1—6月" and period_words("2025年1～9月", "zh") == "2025年1—9月"
    assert period_words("2023年", "zh") == "2023年" and period_words("全年", "zh") == "全年"
    assert period_words("1-6月", "en", 2024) == "Jan-Jun 2024" and period_words("2022-2024", "en") == "2022-2024"
    assert period_words("2023年", "zh") == "2023年"


def test_validation_findings_are_sentences_from_the_data():
    validation = {"checks": [{"check": "raw.published", "success": False, "rows_failing": 5,
                              "title_en": "Every row gives a publication date or year"}],
                  "failing_rows": {}}
    en, zh = validation_findings(validation, "en"), validation_findings(validation, "zh")
    assert en == ["Five figures have no publication date; the usual delay after the period is assumed."]
    assert "5项数据未注明发布日期" in zh[0] and "as_of" not in zh[0]
    validation["checks"][0]["success"] = True
    assert validation_findings(validation, "en") == []      # fixed data: the finding is gone


def test_a_forecast_chained_across_a_census_is_said_so_in_the_data_notes():
    """A target whose forecast saw levels on two calibers gets the census note, naming its indicator; one caliber
    gets none (synthetic test data)."""
    import pandas as pd

    from analysis.report.briefing_notes import data_notes

    observations = pd.DataFrame(columns=["region", "year", "role", "indicator", "period", "value", "unit", "status"])
    names = {"retail_sales": "社会消费品零售总额"}
    for calibers, expected in ((3, True), (1, False)):
        table = pd.DataFrame({"type": ["level", "avg_growth"], "verdict": ["pending", "pending"],
                              "indicator": ["retail_sales", "retail_sales"], "forecast_calibers": [calibers, calibers]})
        zh = " ".join(data_notes(table, None, observations, "zh", names=names))
        en = " ".join(data_notes(table, None, observations, "en", names={"retail_sales": "Retail sales"})).replace("\\", "")
        assert ("社会消费品零售总额每次经济普查后按新口径重新核定" in zh) is expected
        assert zh.count("经济普查") == int(expected)                    # named once, not per target
        assert ("Retail sales: re-benchmarked at each economic census" in en) is expected


@pytest.mark.parametrize("fields, text", [
    ({"name_en": "Retail sales of consumer goods in 2024", "target_value": 650.0, "unit": "亿元", "comparison": ">"},
     "Retail sales of consumer goods in 2024 (target: over 65 billion yuan)"),
    ({"name_en": "Revenue, average annual growth", "target_value": 25.0, "unit": "%", "comparison": "about"},
     "Revenue, average annual growth (target: about 25%)"),
    # a 家 counts zones and parks as well as firms: the English says the number, the name says what is counted
    ({"name_en": "Demonstration zones", "target_value": 3.0, "unit": "家", "comparison": ">="},
     "Demonstration zones (target: at least 3)"),
    ({"name_en": "New employees", "target_value": 2.0, "unit": "万人", "comparison": ">="},
     "New employees (target: at least 20,000 persons)"),
    ({"name_en": "Shopping streets", "target_value": 1.0, "target_value_max": 2.0, "unit": "个", "comparison": "between"},
     "Shopping streets (target: 1 to 2)"),
    ({"name_en": "Park and base built", "target_value": float("nan"), "unit": float("nan")}, "Park and base built"),
])
def test_an_english_target_states_its_goal(fields, text):
    """The Chinese name carries the goal (社会消费品零售总额2024年突破650亿元); the English name alone did not, so an
    English reader was told a target is pending without being told what it is (a reader's trial, 2026-12-07)."""
    import pandas as pd
    from analysis.core.wording import target_label

    row = pd.Series({"target": "t", "name_zh": "合成", "target_value_max": float("nan"), **fields})
    assert target_label(row, "en") == text
    assert target_label(row, "zh") == "合成"


def test_the_benchmark_sentence_never_says_never_when_a_cut_is_worse():
    """'never less accurate than the naive forecast (except on some cuts)' contradicted itself: with a cut worse than
    naive the sentence counts the cuts instead."""
    import json
    from analysis.core import paths
    from analysis.report.briefing_notes import benchmark_sentence

    r = json.loads((paths.ROOT / "benchmarks" / "results" / "sparse_summary.json").read_text(encoding="utf-8"))
    cuts = [v for k, v in r["patterns"].items() if k != "full"]
    worse = sum(v["smape_naive"] < v["smape_ensemble"] for v in cuts)
    en, zh = benchmark_sentence("en"), benchmark_sentence("zh")
    if worse:
        assert "never less accurate" not in en and f"on {len(cuts) - worse} of the {len(cuts)} cuts" in en
        assert f"{len(cuts)}种截短方式中有{len(cuts) - worse}种精度不低于朴素预测" in zh
    else:
        assert "never less accurate" in en and "精度均不低于朴素预测" in zh


def test_pending_targets_all_resting_on_unverified_pages_are_said_as_all():
    """'待统计数据确认2项（其中2项…）' read as a slip (a planner's trial, 2026-12-07): when every pending target's
    target-year figure is only on an unverified page, the line says all of them; when some are, how many."""
    import pandas as pd
    from analysis.report.briefing_notes import period_line

    def table(keys: list[str]) -> pd.DataFrame:
        return pd.DataFrame({"type": "level", "target_year": 2024, "plan_ended": True, "time_elapsed_share": 1.0,
                             "verdict": "pending", "verdict_key": keys})

    both = table(["pending_unverified", "pending_unverified"])
    assert "2项待统计数据确认（目标年份数据均仅见于未经核实的网络资料）" in period_line(both, "zh")
    assert "(all with a target-year figure only on unverified web pages)" in period_line(both, "en")
    one = table(["pending_unverified", "pending_publication"])
    assert "（其中1项目标年份数据仅见于未经核实的网络资料）" in period_line(one, "zh")
    assert "(1 with a target-year figure only on unverified web pages)" in period_line(one, "en")


def test_a_printed_figure_keeps_every_digit_through_a_unit_change():
    """140.57万标箱 printed as 1.406 million TEU dropped a digit the source carries (a statistician's review)."""
    assert amount(140.57, "万标箱", "en", printed=True) == "1.4057 million TEU"
    assert amount(601.8, "万人次", "en", printed=True) == "6.018 million visits"
    assert amount(54.75, "亿元", "en", printed=True) == "5.475 billion yuan"
