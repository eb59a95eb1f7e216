"""What changed since the last report (changes.py) and every number traceable (figures.py), on synthetic tables.

The figures and assessments below are made up for the tests (SYNTHETIC titles
and example.org URLs); only the last test reads the shipped raw files.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.model.assess import assess
from analysis.report.changes import changes_table, figure_changes, previous_report, verdict_changes, write_changes
from analysis.report.changes_words import briefing_section, console_summary
from analysis.inputs.clean import run_clean
from analysis.inputs.figures import FIGURE_COLUMNS, cited_ids, figure_id, figures_table


def synthetic_figure(obs_id: str, period: str = "2024", value: float = 100.0, status: str = "reported",
                     role: str = "selected", indicator: str = "retail_sales", region: str = "海门",
                     title: str = "SYNTHETIC bulletin", growth: float = float("nan")) -> dict:
    file, row = obs_id.split(":")
    return {**{c: "" for c in FIGURE_COLUMNS}, "figure_id": figure_id(obs_id), "indicator": indicator, "region": region,
            "period": period, "value": value, "unit": "亿元", "growth_pct": growth, "status": status,
            "reliability": "official", "role": role, "source_title": title, "source_url": "https://example.org/synthetic",
            "raw_file": f"data/raw/{file}", "raw_row": int(row), "obs_id": obs_id}


def synthetic_target(target: str, verdict_key: str, p_met: float | None, zh: str = "有望完成", en: str = "on track") -> dict:
    return {"target": target, "indicator": "retail_sales", "name_zh": f"合成目标{target}", "name_en": f"synthetic {target}",
            "statement": target, "verdict": verdict_key, "verdict_key": verdict_key, "verdict_zh": zh, "verdict_en": en,
            "p_met": p_met, "figure_ids": "", "latest_figure_id": ""}


@pytest.fixture
def before() -> tuple[pd.DataFrame, pd.DataFrame]:
    figures = pd.DataFrame([synthetic_figure("synthetic_q1.csv:2", "2023", 500.0, "estimate"),
                            synthetic_figure("synthetic_q1.csv:3", "2022", 480.0)])
    assessment = pd.DataFrame([synthetic_target("t_flip", "on_track", 0.70),
                               synthetic_target("t_move", "on_track", 0.80),
                               synthetic_target("t_small", "on_track", 0.60)])
    return figures, assessment


@pytest.fixture
def after(before) -> tuple[pd.DataFrame, pd.DataFrame]:
    figures = pd.DataFrame([
        synthetic_figure("synthetic_q1.csv:2", "2023", 500.0, "estimate", role="superseded"),
        synthetic_figure("synthetic_q2.csv:2", "2023", 521.0, "final", title="SYNTHETIC final figures *2023*"),  # revised
        synthetic_figure("synthetic_q1.csv:3", "2022", 480.0),                                                  # unchanged
        synthetic_figure("synthetic_q2.csv:3", "2024", 560.0),                                                  # new
    ])
    assessment = pd.DataFrame([synthetic_target("t_flip", "at_risk", 0.55, "存在风险", "at risk"),
                               synthetic_target("t_move", "on_track", 0.74),       # -6 points
                               synthetic_target("t_small", "on_track", 0.64)])     # +4 points: not listed
    return figures, assessment


def test_new_and_revised_figures_are_listed_with_their_source(before, after):
    out = figure_changes(after[0], before[0])
    assert sorted(out["change"]) == ["new_figure", "revised_figure"]
    rev = out[out["change"] == "revised_figure"].iloc[0]
    assert rev["period"] == "2023" and "500" in rev["old"] and "estimate" in rev["old"]
    assert "521" in rev["new"] and "final" in rev["new"]
    assert rev["figure_id"] == figure_id("synthetic_q2.csv:2") and rev["source_url"] == "https://example.org/synthetic"
    assert rev["raw_file"] == "data/raw/synthetic_q2.csv" and rev["raw_row"] == 2
    new = out[out["change"] == "new_figure"].iloc[0]
    assert new["period"] == "2024" and new["old"] == ""


def test_a_status_change_alone_is_a_revision():
    old = pd.DataFrame([synthetic_figure("synthetic_a.csv:2", "2023", 521.0, "estimate")])
    new = pd.DataFrame([synthetic_figure("synthetic_a.csv:2", "2023", 521.0, "final")])
    assert list(figure_changes(new, old)["change"]) == ["revised_figure"]
    assert figure_changes(old, old).empty


def test_verdict_changes_and_p_moves_of_five_points_or_more(before, after):
    out = verdict_changes(after[1], before[1])
    flip = out[(out["target"] == "t_flip") & (out["change"] == "verdict")].iloc[0]
    assert (flip["old"], flip["new"], flip["old_zh"], flip["new_zh"]) == ("on track", "at risk", "有望完成", "存在风险")
    moves = out[out["change"] == "p_met"].set_index("target")
    assert set(moves.index) == {"t_flip", "t_move"}                # -15 and -6 points; +4 is below the line
    assert moves.loc["t_move", "note"] == "-6 points"
    assert "t_small" not in set(out["target"])


def test_exactly_five_points_is_listed():
    a = pd.DataFrame([synthetic_target("t", "on_track", 0.60)])
    b = pd.DataFrame([synthetic_target("t", "on_track", 0.65)])
    assert list(verdict_changes(b, a)["change"]) == ["p_met"]


def test_no_previous_report_says_first_report(tmp_path, after):
    table = changes_table(after[0], after[1], None, None, None)
    assert list(table["change"]) == ["first_report"]
    assert console_summary(table) == "What changed: first report, nothing to compare."
    assert "首份报告" in briefing_section(table, after[1], {}, "zh")
    assert "First report, nothing to compare" in briefing_section(table, after[1], {}, "en")
    assert previous_report(tmp_path / "reports", "2025Q2") is None


def test_nothing_changed_is_said(before):
    table = changes_table(before[0], before[1], before[0], before[1], "2025Q1")
    assert list(table["change"]) == ["none"]
    assert "nothing" in console_summary(table)
    assert "无变化" in briefing_section(table, before[1], {}, "zh")


def test_changes_are_against_the_published_folder_not_staging(tmp_path, before, after):
    reports = tmp_path / "reports"
    for name, (figs, table) in {"2025Q1": before, ".2025Q2-new-123": after, "2024Q4.failed": after}.items():
        (reports / name).mkdir(parents=True)
        figs.to_csv(reports / name / "figures.csv", index=False, encoding="utf-8-sig")
        table.to_csv(reports / name / "assessment.csv", index=False, encoding="utf-8-sig")
    assert previous_report(reports, "2025Q2") == reports / "2025Q1"
    assert previous_report(reports, "2024Q4") is None               # only later or non-report folders
    out = write_changes(reports / ".2025Q2-new-123", reports, "2025Q2")
    assert (reports / ".2025Q2-new-123" / "changes.csv").exists()
    assert set(out["compared_with"]) == {"2025Q1"}
    assert {"new_figure", "revised_figure", "verdict", "p_met"} <= set(out["change"])
    back = pd.read_csv(reports / ".2025Q2-new-123" / "changes.csv", encoding="utf-8-sig")
    assert len(back) == len(out)


def _publish(reports: Path, name: str, figs: pd.DataFrame, table: pd.DataFrame, version: dict | None = None) -> None:
    (reports / name).mkdir(parents=True)
    figs.to_csv(reports / name / "figures.csv", index=False, encoding="utf-8-sig")
    table.to_csv(reports / name / "assessment.csv", index=False, encoding="utf-8-sig")
    if version:
        (reports / name / "manifest.json").write_text(json.dumps({"version": version}), encoding="utf-8")


def test_a_rerun_is_told_against_the_previous_quarter_and_in_a_line_of_its_own_against_the_version_it_replaces(tmp_path, before, after):
    """Rerunning 2025Q2 over a published 2025Q2 (issue 24 point 4): what changed is against 2025Q1, always; what this
    version revised since version 1 is a separate line, never 'since the 2025Q2 report' inside the 2025Q2 report."""
    reports = tmp_path / "reports"
    _publish(reports, "2025Q1", *before)
    _publish(reports, "2025Q2", *before, version={"number": 1, "published": "2025-08-14T16:22:05"})
    stage = tmp_path / "staging"
    _publish(stage.parent, stage.name, *after)
    assert previous_report(reports, "2025Q2") == reports / "2025Q1"
    out = write_changes(stage, reports, "2025Q2")
    assert set(out["against"]) == {"report", "version"}
    assert set(out.loc[out["against"] == "report", "compared_with"]) == {"2025Q1"}
    assert set(out.loc[out["against"] == "version", "compared_with"]) == {"2025Q2 v1, published 2025-08-14T16:22:05"}
    for part in ("report", "version"):                  # before -> after: the same changes against either state
        assert {"verdict", "p_met", "new_figure"} <= set(out.loc[out["against"] == part, "change"])
    zh = briefing_section(out, after[1], {}, "zh")
    en = briefing_section(out, after[1], {}, "en")
    assert zh.startswith("与2025年第1季度简报相比，")      # the heading 三、本季度变化 introduces it; no file name in the body
    assert "changes.csv" not in zh and "changes.csv" not in en
    assert "\n\n**本版修订**：本版（第2版）与第1版（2025年8月14日16:22发布）相比" in zh
    assert "since the 2025 q1 briefing" in en.lower() and "**This version** (2): since version 1 (published 2025-08-14 16:22)" in en
    assert "与2025年第2季度简报相比" not in zh and "since the 2025 Q2 briefing" not in en
    text = console_summary(out)
    assert text.startswith("What changed since the 2025Q1 report") and "This version revises 2025Q2 v1" in text


def test_a_rerun_with_the_same_data_says_this_version_changed_nothing(tmp_path, before, after):
    reports = tmp_path / "reports"
    _publish(reports, "2025Q1", *before)
    _publish(reports, "2025Q2", *after, version={"number": 3, "published": "2025-08-20T09:05:00"})
    stage = tmp_path / "staging"
    _publish(stage.parent, stage.name, *after)
    out = write_changes(stage, reports, "2025Q2")
    assert list(out.loc[out["against"] == "version", "change"]) == ["none"]
    zh = briefing_section(out, after[1], {}, "zh")
    assert "**本版修订**：本版（第4版）与第3版（2025年8月20日09:05发布）相比，数据、研判和达标可能性均无变化。" in zh
    from analysis.report.changes_words import edition
    assert edition(out) == 4                     # the 期号 of this rerun: 2025年第2期（第4版）
    assert "与2025年第1季度简报相比" in zh                       # the quarter's own changes are still told


def test_without_a_report_of_the_previous_quarter_the_changes_are_against_that_quarter_rebuilt(tmp_path, before, after):
    """No 2025Q1 report was published: the forecast step wrote the data as at 2025Q1 (previous_quarter/), said so."""
    reports = tmp_path / "reports"
    reports.mkdir()
    stage = tmp_path / "staging"
    _publish(stage.parent, stage.name, *after)
    _publish(stage, "previous_quarter", *before)
    out = write_changes(stage, reports, "2025Q2")
    assert set(out["against"]) == {"rebuilt"} and set(out["compared_with"]) == {"2025Q1"}
    assert "new_figure" in set(out["change"])
    assert "与2025年第1季度相比（该季度未发布简报，比较基准为按当时已公布数据重新测算的结果）" \
        in briefing_section(out, after[1], {}, "zh")
    assert "Compared with 2025 Q1 as rebuilt from the data available then (no 2025 Q1 briefing was published)" \
        in briefing_section(out, after[1], {}, "en")
    assert "rebuilt from the data as at 2025Q1" in console_summary(out)


def test_briefing_section_is_short_and_shows_source_titles_as_text(before, after):
    table = changes_table(after[0], after[1], before[0], before[1], "2025Q1")
    zh = briefing_section(table, after[1], {"retail_sales": "社会消费品零售总额"}, "zh")
    en = briefing_section(table, after[1], {"retail_sales": "Retail sales"}, "en")
    assert "与2025年第1季度简报相比" in zh and "存在风险" in zh and r"合成目标t\_flip" in zh
    assert "since the 2025 q1 briefing" in en.lower() and "on track → at risk" in en and "70% → 55%" in en
    assert "t_small" not in zh                                         # a 4-point move is not news
    # the title's *2023* is data, not emphasis
    assert r"SYNTHETIC final figures \*2023\*" in zh and "*2023*" not in zh.replace(r"\*", "")
    assert f"[{figure_id('synthetic_q2.csv:2')}]" not in en           # ids stay in changes.csv (issue 26)
    assert len(zh.splitlines()) == 1 and len(zh) < 400               # one short paragraph: the briefing has a page budget


def test_every_id_cited_in_assessment_resolves_in_figures_with_file_row_and_url(tmp_path, cfg):
    """On the shipped raw files: the assessment's figure ids are rows of figures.csv carrying file, row and URL."""
    result = run_clean("2025Q2", out_dir=tmp_path / "clean")
    table = assess(result, cfg).table
    figures = figures_table(result.observations, result.best)
    ids = cited_ids(table)
    assert ids, "the assessment cites figures"
    assert not figures["figure_id"].duplicated().any()
    found = figures.set_index("figure_id").loc[sorted(ids)]
    assert found["raw_file"].astype(bool).all() and found["raw_row"].notna().all()
    assert found["source_url"].str.startswith("http").all()
    # every settling figure is cited: a figure value without an id would be untraceable
    with_figure = table[table["figure_value"].notna()]
    assert with_figure["figure_ids"].fillna("").astype(bool).all(), with_figure[["target", "figure_ids"]]


def test_figure_ids_are_stable_and_tell_derived_levels_apart():
    assert figure_id("a.csv:3") == figure_id("a.csv:3") != figure_id("a.csv:4")
    assert figure_id("a.csv:3", "2021").startswith("D") and figure_id("a.csv:3").startswith("F")
    assert figure_id("") == "" and figure_id(float("nan")) == ""


def test_the_briefing_body_names_figures_without_ids_and_the_annex_lists_them(tmp_path, cfg):
    """Issue 26: key messages and the status table carry no [id] (a leader's body); the technical annex lists the
    ids each judged target rests on, every one a row of figures.csv."""
    from analysis.report.briefing import evidence_ids, has_figures, key_message, status_table

    result = run_clean("2025Q2", out_dir=tmp_path / "clean")
    table = assess(result, cfg).table
    row = table.set_index("target").loc["retail_sales_level"].copy()
    row["target"] = "retail_sales_level"
    assert row["latest_figure_id"] and row["latest_figure_id"] not in key_message(row, cfg, "zh")
    evidence = status_table(table[has_figures(table)], cfg, "en")["Evidence"]
    assert not evidence.str.contains(r"\[[FD][a-z2-7]{6}").any()
    annex = evidence_ids(table, "zh")
    cells = [*annex["最新可用数据"], *annex["目标年数据"]]
    ids = {i.strip() for cell in cells for i in cell.replace("+", ",").split(",") if i.strip()[:1] in "FD"}
    assert row["latest_figure_id"] in ids and len(annex) >= 3
    # each id under the heading that says what it is: the latest usable figure the body quotes, and apart from
    # it the target year's (unverified) figure that leaves a target 仅有未核实资料 (reviewer: one column mixed them)
    visits = table.set_index("target").loc["tourist_visits"]
    line = annex[annex["最新可用数据"].str.contains(visits["latest_figure_id"], regex=False)].iloc[0]
    assert visits["verdict_key"] == "pending_unverified" and str(visits["figure_ids"]).split(";")[0] in line["目标年数据"]
    assert str(visits["figure_ids"]).split(";")[0] not in line["最新可用数据"]


def test_new_figures_from_unverified_sources_are_counted_as_such(before, after):
    """'新增数据3项' alone reads as three published figures: the paragraph says how many came from unverified pages
    (no verdict may rest on them), and says nothing of the kind when none did (reviewer, issue 26)."""
    unverified = {**synthetic_figure("synthetic_web.csv:2", "2024年1-9月", 450.0), "reliability": "unverified",
                  "status": "reported, unverified"}
    figures = pd.concat([after[0], pd.DataFrame([unverified, synthetic_figure("synthetic_q2.csv:4", "2025年1-6月", 300.0)])],
                        ignore_index=True)
    table = changes_table(figures, after[1], before[0], before[1], "2025Q1")
    zh = briefing_section(table, after[1], {"retail_sales": "社会消费品零售总额"}, "zh")
    en = briefing_section(table, after[1], {"retail_sales": "Retail sales"}, "en")
    assert "新增数据3项（其中1项来源未经核实）" in zh and "3 new figures (1 of them from unverified sources)" in en
    # the example named as Chinese names it, period first: 2025年1—6月社会消费品零售总额
    assert "，如2025年1—6月社会消费品零售总额" in zh
    plain = briefing_section(changes_table(after[0], after[1], before[0], before[1], "2025Q1"), after[1], {}, "zh")
    assert "新增数据1项" in plain and "未经核实" not in plain


def test_a_pending_verdict_resting_on_new_evidence_is_not_called_a_verdict_change():
    """After the plan's end both 尚未取得数据 and 仅有未核实资料 print as 待统计数据确认 (wording.shown_verdict): the
    paragraph must not say the verdict changed when every table shows the same word (a reader's trial, 2026-12-07)."""
    def ended(key: str, zh: str, en: str, p: float) -> dict:
        return {**synthetic_target("t_wait", key, p, zh, en), "verdict": "pending", "plan_ended": True}

    before = pd.DataFrame([ended("pending_publication", "尚未取得数据", "pending (figure not yet in hand)", 0.37)])
    after = pd.DataFrame([ended("pending_unverified", "仅有未核实资料", "pending an official figure", 0.38)])
    out = verdict_changes(after, before)
    assert list(out["change"]) == ["verdict_basis"]
    assert (out.iloc[0]["old_zh"], out.iloc[0]["new_zh"]) == ("尚未取得数据", "仅有未核实资料")
    table = changes_table(pd.DataFrame([synthetic_figure("synthetic_q1.csv:2")]), after,
                          pd.DataFrame([synthetic_figure("synthetic_q1.csv:2")]), before, "2025Q1")
    zh, en = briefing_section(table, after, {}, "zh"), briefing_section(table, after, {}, "en")
    # in words, not the internal labels: an unverified figure is no evidence, so the basis did not change (statistician)
    assert "研判均未变化，达标可能性变动均不足5个百分点。其中" in zh
    assert "仍为待统计数据确认，新见未经核实的目标年份数据（未采用）" in zh and "尚未取得数据" not in zh
    assert "no verdict changed" in en and "still awaiting the statistics, with a target-year figure from an " \
        "unverified page (not used)" in en.replace("\\", "")
    # while the plan runs the two words are the verdicts themselves: a change between them is a verdict change
    running = verdict_changes(after.assign(plan_ended=False), before.assign(plan_ended=False))
    assert list(running["change"]) == ["verdict"] and running.iloc[0]["new_zh"] == "仅有未核实资料"


def test_a_level_derived_from_printed_growth_is_not_counted_as_a_new_figure(before, after):
    """A D-id level back-calculated from printed growth adds no publication: the briefing's count leaves it out, and
    changes.csv shows it rounded and marked as about (≈), never to three decimals."""
    derived = {**synthetic_figure("synthetic_q2.csv:5", "2024年1-6月", 874.7637, "reported, derived"),
               "figure_id": "D" + figure_id("synthetic_q2.csv:5")[1:], "role": "derived"}
    figures = pd.concat([after[0], pd.DataFrame([derived])], ignore_index=True)
    table = changes_table(figures, after[1], before[0], before[1], "2025Q1")
    row = table[table["figure_id"] == derived["figure_id"]].iloc[0]
    assert row["change"] == "new_figure" and row["new"].startswith("≈875 亿元")
    zh = briefing_section(table, after[1], {"retail_sales": "社会消费品零售总额"}, "zh")
    assert "新增数据1项" in zh
