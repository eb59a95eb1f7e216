"""Withdraw and correct a committed figure without editing a raw file (issue 24 point 3).

The correction rows are SYNTHETIC (written here into a copy of data/raw/, file names starting synthetic_); the
figures they name are shipped ones: retail sales 2022, 521亿元 (预计) [Fjnoa2l], and 2017, 377亿元 [Fstqiek].
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import paths
from analysis.core.errors import InputError
from analysis.inputs.clean import run_clean
from analysis.inputs.figures import figure_id, figures_table
from analysis.report.changes import figure_changes
from analysis.report.changes_words import briefing_section, console_summary
from analysis.report.changes import changes_table
from conftest import tree_digest

HEADER = ["indicator", "region", "year", "period", "value", "unit", "status", "published", "reliability",
          "source_title", "source_url", "notes", "corrects", "correction"]
RETAIL_2022 = "2023_haimen_plan_execution_report_2022.csv:2"
RETAIL_2017 = "2018_periodical_reform40_haimen_91fabiao.csv:3"


def _raw_with(tmp_path: Path, rows: list[dict], name: str = "synthetic_2025-09-01_corrections.csv") -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW_DIR, raw)
    with open(raw / name, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, HEADER)
        w.writeheader()
        w.writerows(rows)
    return raw


def _obs(result, obs_id: str) -> pd.Series:
    return result.observations.set_index("obs_id").loc[obs_id]


WITHDRAW = {"corrects": figure_id(RETAIL_2022), "correction": "撤回", "published": "2025-09-01",
            "notes": "SYNTHETIC: 该数为全年预计数，统计公报已另行公布"}


def test_a_withdrawn_figure_keeps_its_row_with_the_reason_and_no_longer_decides(tmp_path):
    assert figure_id(RETAIL_2022) == "Fjnoa2l"           # the id the shipped briefing prints for 521亿元
    raw = _raw_with(tmp_path, [WITHDRAW])
    before = tree_digest(raw)
    result = run_clean("2025Q3", raw_dir=raw, out_dir=tmp_path / "clean")
    assert tree_digest(raw) == before                     # raw files are never written
    gone = _obs(result, RETAIL_2022)
    assert gone["role"] == "withdrawn" and "该数为全年预计数" in gone["reason"]
    row = _obs(result, "synthetic_2025-09-01_corrections.csv:2")
    assert row["role"] == "withdrawal" and (row["indicator"], row["period"]) == ("retail_sales", "2022年")
    best = result.best.set_index(["indicator", "region", "period"])
    assert ("retail_sales", "海门", "2022年") not in best.index or best.loc[("retail_sales", "海门", "2022年"), "obs_id"] != RETAIL_2022
    figures = figures_table(result.observations, result.best).set_index("figure_id")
    assert figures.loc["Fjnoa2l", "role"] == "withdrawn" and figures.loc["Fjnoa2l", "value"] == 521.0
    # a quarter whose cut-off comes before the withdrawal's date still uses the figure: a replay shows what was known
    earlier = run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean_q2")
    assert _obs(earlier, RETAIL_2022)["role"] == "selected"


def test_a_correction_row_replaces_the_figure_it_names_even_from_the_same_publication(tmp_path):
    src = _obs(run_clean("2025Q2", out_dir=tmp_path / "c0"), RETAIL_2017)
    fixed = {"indicator": "社会消费品零售总额", "region": "海门", "year": "2017", "period": "全年", "value": "376.5",
             "unit": "亿元", "status": "reported", "published": "2018-03-01", "reliability": "official",
             "source_title": str(src["source_title"]), "source_url": str(src["source_url"]),   # the same publication
             "notes": "SYNTHETIC: 原文为376.5，录入时误作377", "corrects": figure_id(RETAIL_2017), "correction": "更正"}
    raw = _raw_with(tmp_path, [fixed])
    result = run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    assert _obs(result, RETAIL_2017)["role"] == "corrected"
    new_id = "synthetic_2025-09-01_corrections.csv:2"
    assert _obs(result, new_id)["role"] == "selected"
    best = result.best.set_index(["indicator", "region", "period"]).loc[("retail_sales", "海门", "2017年")]
    assert best["value"] == 376.5 and best["obs_id"] == new_id


@pytest.mark.parametrize("cells, column, words", [
    ({**WITHDRAW, "corrects": "Fzzzzzz"}, "corrects", "which no raw file holds"),
    ({**WITHDRAW, "corrects": "521"}, "corrects", "is not a figure id"),
    ({**WITHDRAW, "notes": ""}, "notes", "must say why"),
    ({**WITHDRAW, "correction": "作废了"}, "correction", "is not a kind of correction"),
])
def test_a_correction_that_names_no_figure_or_gives_no_reason_stops_with_the_cell_and_the_fix(tmp_path, cells, column, words):
    raw = _raw_with(tmp_path, [cells])
    with pytest.raises(InputError) as exc:
        run_clean("2025Q3", raw_dir=raw, out_dir=tmp_path / "clean")
    problem = next(p for p in exc.value.problems if p.column == column)
    assert words in problem.message and problem.row == 2 and problem.file.endswith("synthetic_2025-09-01_corrections.csv")
    assert problem.fix
    assert not (tmp_path / "clean").exists()              # a failed run publishes nothing


def test_withdrawn_corrected_and_removed_figures_are_listed_in_what_changed(tmp_path):
    before = run_clean("2025Q3", out_dir=tmp_path / "c0")
    old = figures_table(before.observations, before.best)
    raw = _raw_with(tmp_path, [WITHDRAW])
    (raw / "2015-03-13_china_daily_haimen_progress_and_plans.csv").unlink()     # a file taken out of data/raw
    after = run_clean("2025Q3", raw_dir=raw, out_dir=tmp_path / "c1")
    new = figures_table(after.observations, after.best)
    changes = figure_changes(new, old)
    withdrawn = changes[changes["change"] == "withdrawn_figure"]
    assert withdrawn["figure_id"].iloc[0] == "Fjnoa2l" and "该数为全年预计数" in withdrawn["note"].iloc[0]
    # the 2021 level derived from it (521 / 1.03) goes with it, said so, never silently
    derived = withdrawn[withdrawn["figure_id"].str.startswith("D")]
    assert len(derived) == 1 and derived["period"].iloc[0] == "2021年" and "derived from Fjnoa2l" in derived["note"].iloc[0]
    removed = changes[changes["change"] == "removed_figure"]
    gone_ids = {figure_id(o) for o in before.observations["obs_id"]
                if o.startswith("2015-03-13_china_daily") and figure_id(o) in set(old["figure_id"])}
    assert set(removed["figure_id"]) == gone_ids and gone_ids
    assessment = pd.DataFrame({"target": [], "verdict_key": [], "verdict_en": [], "verdict_zh": [], "p_met": []})
    table = changes_table(new, assessment, old, assessment, "2025Q2")
    zh = briefing_section(table, assessment, {"retail_sales": "社会消费品零售总额"}, "zh")
    shown = zh.replace("\\:", ":")                          # the reason is data: Markdown-escaped once
    assert "撤回：社会消费品零售总额 2022年（SYNTHETIC: 该数为全年预计数，统计公报已另行公布）" in shown
    assert "移除（原始文件或行已删除）" in zh
    text = console_summary(table, names={"retail_sales": "社会消费品零售总额"})
    assert "  withdrawn: 社会消费品零售总额 海门 2022年 [Fjnoa2l]" in text and "removed:" in text


def test_taking_the_withdrawal_out_again_restores_the_figures_and_does_not_call_them_new(tmp_path):
    """A planner deletes the correction file: the withdrawn figure and the level derived from it are back in use,
    listed as restored (published long ago), never as new figures."""
    raw = _raw_with(tmp_path, [WITHDRAW])
    withdrawn = run_clean("2025Q3", raw_dir=raw, out_dir=tmp_path / "c0")
    before = figures_table(withdrawn.observations, withdrawn.best)
    restored = run_clean("2025Q3", out_dir=tmp_path / "c1")
    now = figures_table(restored.observations, restored.best)
    changes = figure_changes(now, before)
    back = changes[changes["change"] == "restored_figure"]
    assert set(back["figure_id"]) == {"Fjnoa2l", derived_id(restored)}
    assert not changes["change"].eq("new_figure").any()
    assessment = pd.DataFrame({"target": [], "verdict_key": [], "verdict_en": [], "verdict_zh": [], "p_met": []})
    en = briefing_section(changes_table(now, assessment, before, assessment, "2025Q2"), assessment,
                          {"retail_sales": "Retail sales"}, "en")
    assert "Restored (the row that withdrew or corrected it is gone)" in en.replace("\\", "") and "new figure" not in en


def derived_id(result) -> str:
    """The id of the 2021 retail level derived from the 2022 figure (521 / 1.03)."""
    from analysis.inputs.figures import derived_figure_id

    return derived_figure_id(RETAIL_2022, 2021, "year", "2021年")
