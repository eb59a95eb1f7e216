"""Plausibility checks stop a typo before any verdict, and a `confirmed` reason turns the stop into a warning.

Every input here is synthetic (made up for tests, not a real figure) and written to files whose names
say so. A clean synthetic series passes; each test breaks it the way a planner's slip would.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from analysis.inputs.clean import run_clean
from analysis.core.errors import InputError
from analysis.checks.validate import ValidationFailed, raise_on_errors, validate
from conftest import HEADER, synthetic_row

AS_OF = "2025Q2"
RETAIL = {2019: 470.0, 2020: 480.0, 2021: 505.0, 2022: 520.0, 2023: 548.0, 2024: 575.0}


def write_synthetic(folder: Path, name: str, rows: list[dict[str, str]], confirmed_header: str = "confirmed") -> Path:
    """A synthetic release with the optional confirmed column (header given, to test its Chinese aliases)."""
    assert name.startswith("synthetic_")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER + [confirmed_header])
        for r in rows:
            writer.writerow([r.get(c, "") for c in HEADER] + [r.get("confirmed", "")])
    return path


def retail_series(**replace: dict[str, str]) -> list[dict[str, str]]:
    """Haimen retail 2019-2024, one row per year (row 2 is 2019, ..., row 7 is 2024); replace[year] overrides cells."""
    rows = []
    for year, value in RETAIL.items():
        cells = {"year": str(year), "value": f"{value:g}", "published": f"{year + 1}-01-20",
                 "source_url": f"https://example.org/synthetic/retail/{year}"}
        cells.update(replace.get(str(year), {}))
        rows.append(synthetic_row(**cells))
    return rows


def run(tmp_path: Path, name: str, rows: list[dict[str, str]], confirmed_header: str = "confirmed"):
    """Clean and validate (no Data Docs); return (report json, problems or [])."""
    from analysis.core.config import load_config

    write_synthetic(tmp_path / "raw", name, rows, confirmed_header)
    result = run_clean(AS_OF, raw_dir=tmp_path / "raw", out_dir=tmp_path / "clean")
    results = validate(result, load_config()).to_json()
    try:
        raise_on_errors(results, "reports/2025Q2/validation/validation.pdf")
    except ValidationFailed as exc:
        return results, exc.problems
    return results, []


def failed(results: dict) -> dict[str, dict]:
    return {c["check"]: c for c in results["checks"] if not c["success"]}


def test_clean_synthetic_series_passes(tmp_path):
    results, problems = run(tmp_path, "synthetic_typo_none.csv", retail_series())
    assert problems == []
    assert not {k for k in failed(results) if k.startswith("plausible.")}


def test_tenfold_typo_is_an_error_naming_file_row_and_value(tmp_path):
    results, problems = run(tmp_path, "synthetic_typo_tenfold.csv",
                            retail_series(**{"2023": {"value": "5480", "growth_pct": "5.4"}}))
    assert "plausible.neighbour_years" in failed(results)
    assert failed(results)["plausible.neighbour_years"]["severity"] == "error"
    mine = [p for p in problems if "neighbour" in p.message]
    assert len(mine) == 1, [str(p) for p in problems]        # the slip only, not its correct neighbours
    p = mine[0]
    assert p.file.endswith("synthetic_typo_tenfold.csv") and p.row == 6 and p.column == "value" and "5480" in p.value
    assert "5480 is 10.5x the 2022年 level 520" in p.message and "+954 %" in p.message
    assert "confirmed" in p.fix                               # says how to confirm a figure that is right
    # its own printed growth gives it away too, and the next year's growth check does not blame 2024
    growth = [p for p in problems if "printed growth" in p.message]
    assert [g.row for g in growth] == [6]


def test_tenfold_typo_without_growth_marked_final_is_caught(tmp_path):
    _, problems = run(tmp_path, "synthetic_typo_final.csv",
                      retail_series(**{"2022": {"value": "5210", "status": "final"}}))
    assert {(p.row, p.value) for p in problems} == {(5, "5210 亿元")}, [str(p) for p in problems]
    assert any("neighbour_years" in p.message for p in problems)   # and region_scale: above Haimen's scale too


def test_confirmed_reason_turns_the_error_into_a_warning_quoting_it(tmp_path):
    reason = "SYNTHETIC: 2023年起含批发业口径, 见公报第2页"
    results, problems = run(tmp_path, "synthetic_typo_confirmed.csv",
                            retail_series(**{"2023": {"value": "5480", "confirmed": reason}}), confirmed_header="确认说明")
    assert problems == []
    assert set(failed(results)) & {"plausible.neighbour_years", "plausible.confirmed"} == {"plausible.confirmed"}
    assert failed(results)["plausible.confirmed"]["severity"] == "warning"
    rows = results["failing_rows"]["plausible.confirmed"]
    assert rows[0]["row"] == 6 and reason in rows[0]["message"] and "5480" in rows[0]["message"]


def test_a_bare_yes_is_not_a_confirmation(tmp_path):
    with pytest.raises(InputError) as err:
        run(tmp_path, "synthetic_typo_bare_yes.csv", retail_series(**{"2023": {"value": "5480", "confirmed": "是"}}))
    assert "confirmed but not why" in str(err.value)


def test_ytd_figure_typed_as_full_year_is_caught(tmp_path):
    # 1-9月 2023 is about 73 % of the year: typed as 全年 it is 23 % below 2022 and below nothing else
    results, problems = run(tmp_path, "synthetic_typo_ytd_as_year.csv",
                            retail_series(**{"2023": {"value": "400", "growth_pct": "5.2"}}))
    rows = {p.row for p in problems}
    assert rows == {6}, [str(p) for p in problems]
    assert "plausible.neighbour_years" in failed(results)


def test_full_year_below_its_own_year_to_date_is_caught(tmp_path):
    rows = retail_series(**{"2023": {"value": "400"}})
    rows.append(synthetic_row(year="2023", period="1-9月", value="410", published="2023-10-20",
                              source_url="https://example.org/synthetic/retail/2023q3"))
    results, problems = run(tmp_path, "synthetic_typo_year_below_ytd.csv", rows)
    within = [p for p in problems if "cannot fall within a year" in p.message]
    assert [p.row for p in within] == [6] and "1-9月" in within[0].message and "全年" in within[0].message
    # Chinese first, then English (issue 24): the planner reads the stop in the language of the header above it
    zh, en = within[0].message.split(" / ", 1)
    assert zh.startswith("全年数值400低于同年2023年1-9月累计值410") and "误填为全年" in zh
    assert en.startswith("the full-year figure 400") and within[0].fix.startswith("如为录入错误")


def test_year_to_date_falling_within_a_year_is_caught(tmp_path):
    rows = retail_series()
    rows += [synthetic_row(year="2024", period="1-6月", value="320", published="2024-07-20",
                           source_url="https://example.org/synthetic/h1"),
             synthetic_row(year="2024", period="1-9月", value="300", published="2024-10-20",
                           source_url="https://example.org/synthetic/q3")]
    results, problems = run(tmp_path, "synthetic_typo_ytd_falls.csv", rows)
    assert failed(results)["plausible.within_year"]["severity"] == "error"
    assert [p.row for p in problems if "within a year" in p.message] == [9]


def test_nantong_scale_value_for_haimen_is_caught(tmp_path):
    rows = [synthetic_row(indicator="gdp", year="2023", value="11800", published="2024-01-20",
                          source_url="https://example.org/synthetic/gdp")]
    results, problems = run(tmp_path, "synthetic_typo_nantong_for_haimen.csv", rows)
    assert failed(results)["plausible.region_scale"]["severity"] == "error"
    assert len(problems) == 1 and "海门" in problems[0].message and "11800" in problems[0].message
    # the same figure filed under Nantong is fine
    rows[0]["region"] = "南通"
    results, problems = run(tmp_path / "nt", "synthetic_typo_nantong_ok.csv", rows)
    assert problems == []


def test_share_over_100_percent_is_caught(tmp_path):
    rows = [synthetic_row(indicator="rural_logistics_coverage", year="2023", value="105", unit="%",
                          published="2024-01-20", source_url="https://example.org/synthetic/share")]
    results, problems = run(tmp_path, "synthetic_typo_share_over_100.csv", rows)
    assert failed(results)["plausible.share_ceiling"]["severity"] == "error"
    # the share's hard bound (0-100, config/indicators.yaml) fails on the same row: the planner gets one problem for the
    # one slip, named by file, row and column, with the bound's fix (a `confirmed` reason cannot pass a hard bound),
    # not a second one telling them to confirm it
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert p.file.endswith("synthetic_typo_share_over_100.csv") and p.row == 2 and p.column == "value"
    assert "105 % is above the indicator's upper bound 100 %" in p.message and "raw.upper_bound" in p.message
    assert "does not pass them" in p.fix and "合理上下限" in p.fix


def test_a_tenfold_year_to_date_slip_is_blamed_on_itself_not_on_the_next_figure(tmp_path):
    rows = retail_series()
    rows += [synthetic_row(year="2024", period="1-6月", value="3200", published="2024-07-20",
                           source_url="https://example.org/synthetic/h1"),
             synthetic_row(year="2024", period="1-9月", value="440", published="2024-10-20",
                           source_url="https://example.org/synthetic/q3")]
    _, problems = run(tmp_path, "synthetic_typo_ytd_tenfold.csv", rows)
    assert {p.row for p in problems} == {8}, [str(p) for p in problems]    # 3200 is above Haimen's scale


def test_the_briefing_quotes_the_confirmation(tmp_path):
    from analysis.report.briefing_notes import data_notes

    reason = "SYNTHETIC: 口径调整 *see* bulletin"
    results, _ = run(tmp_path, "synthetic_typo_confirmed_note.csv",
                     retail_series(**{"2023": {"value": "5480", "confirmed": reason}}))
    obs = pd.DataFrame(columns=["region", "year", "role", "status", "indicator", "period", "value", "unit"])
    table = pd.DataFrame(columns=["type", "verdict"])
    notes = data_notes(table, results, obs, "en")
    quoted = [n for n in notes if "states why they are right" in n]
    # the year never runs into the value ("2023: 5480"); the colon is escaped for Markdown like the reason's *
    assert quoted and r"2023\: 5480 亿元" in quoted[0] and r"\*see\*" in quoted[0]
    assert quoted[0].count("5480") == 1                      # one figure, quoted once


def test_data_docs_name_the_typo_by_file_and_row_and_mark_its_suite_failed(tmp_path):
    from analysis.core.config import load_config

    write_synthetic(tmp_path / "raw", "synthetic_typo_docs.csv", retail_series(**{"2023": {"value": "5480"}}))
    result = run_clean(AS_OF, raw_dir=tmp_path / "raw", out_dir=tmp_path / "clean")
    validate(result, load_config(), docs_dir=tmp_path / "docs")
    page = next((tmp_path / "docs" / "validations").rglob("haimen-plaus_neighbours.html")).read_text(encoding="utf-8")
    assert "synthetic_typo_docs.csv:6" in page                          # the row, not an index number
    assert 'text-danger" aria-hidden="true"></i> Failed' in page and "fa-times text-danger" in page   # an error stays red


@pytest.mark.parametrize("typed", ["0", "0.0"])
def test_a_zero_level_stops_with_file_and_row_never_a_traceback(tmp_path, typed):
    """A 0 typed for a level (synthetic): refused when read, or flagged by a check naming the row; no ZeroDivisionError."""
    rows = retail_series(**{"2023": {"value": typed}})
    try:
        _, problems = run(tmp_path, "synthetic_typo_zero.csv", rows)
    except InputError as exc:                        # refused when the file is read: also a clear stop
        text = str(exc)
    else:
        text = " ".join(str(p) for p in problems)
    assert "synthetic_typo_zero.csv" in text and "row 6" in text


def test_two_figures_that_disagree_and_tie_on_every_rule_stop_the_run(tmp_path):
    """Same period, status, reliability, precision and publication date, different values: the selection
    could only follow the file names, so the run stops naming both figures; a repeat of the same value passes."""
    from conftest import write_release

    twin = synthetic_row(year="2024", value="655", published="2025-01-20",
                         source_url="https://example.org/synthetic/retail/2024-copy")
    report, problems = run(tmp_path / "tie", "synthetic_a_retail.csv", retail_series())
    assert problems == []                                            # the series alone passes
    write_release(tmp_path / "tie" / "raw", "synthetic_b_retail_other.csv", [twin])
    result = run_clean(AS_OF, raw_dir=tmp_path / "tie" / "raw", out_dir=tmp_path / "tie" / "clean2")
    from analysis.core.config import load_config
    results = validate(result, load_config()).to_json()
    with pytest.raises(ValidationFailed) as caught:
        raise_on_errors(results, "reports/2025Q2/validation/validation.pdf")
    text = str(caught.value)
    assert "synthetic_b_retail_other.csv" in text and "655" in text and "575" in text and "clean.no_ties" in text
    # the same figure printed twice is no tie
    write_release(tmp_path / "same" / "raw", "synthetic_b_retail_copy.csv", [{**twin, "value": "575"}])
    write_synthetic(tmp_path / "same" / "raw", "synthetic_a_retail.csv", retail_series())
    again = validate(run_clean(AS_OF, raw_dir=tmp_path / "same" / "raw", out_dir=tmp_path / "same" / "clean"),
                     load_config()).to_json()
    assert next(c for c in again["checks"] if c["check"] == "clean.no_ties")["success"]
