"""The best-value rule, visibility at as_of, derived levels and atomic output,
each on a small synthetic release whose right answer is known by construction."""
from datetime import date

import pandas as pd
import pytest

from analysis.inputs.clean import run_clean
from analysis.core.errors import InputError
from analysis.core.quarters import Quarter, first_quarter_seeing
from conftest import synthetic_row, tree_digest, write_release


def clean_rows(tmp_path, rows_by_file: dict[str, list[dict]], as_of="2025Q2", **kw):
    raw = tmp_path / "raw"
    for name, rows in rows_by_file.items():
        write_release(raw, name, rows)
    return run_clean(as_of, raw_dir=raw, out_dir=tmp_path / "clean", **kw)


def selected(result, indicator="retail_sales", period="2022年"):
    best = result.best[(result.best["indicator"] == indicator) & (result.best["period"] == period)]
    assert len(best) == 1
    return best.iloc[0]


def test_final_beats_preliminary_beats_estimate_whatever_the_date(tmp_path):
    result = clean_rows(tmp_path, {
        "synthetic_a.csv": [synthetic_row(value="100", status="最终核实", published="2023-06-01", source_url="https://example.org/a")],
        "synthetic_b.csv": [synthetic_row(value="99", status="初步核算", published="2023-09-01", source_url="https://example.org/b")],
        "synthetic_c.csv": [synthetic_row(value="98", status="预计", published="2023-12-01", source_url="https://example.org/c")],
    })
    assert selected(result)["value"] == 100
    lost = result.observations.set_index("source_url")
    assert lost.loc["https://example.org/b", "role"] == "superseded"
    assert "final (最终核实) beats preliminary (初步核算)" in lost.loc["https://example.org/b", "reason"]
    assert "beats estimate" in lost.loc["https://example.org/c", "reason"]


def test_later_publication_wins_then_official_then_exact(tmp_path):
    result = clean_rows(tmp_path, {
        "synthetic_old.csv": [synthetic_row(value="100", published="2023-02-01", source_url="https://example.org/old")],
        "synthetic_new.csv": [synthetic_row(value="101", published="2023-03-01", reliability="secondary", source_url="https://example.org/new")],
    })
    assert selected(result)["value"] == 101
    assert "published later" in result.observations.set_index("source_url").loc["https://example.org/old", "reason"]

    result = clean_rows(tmp_path / "2", {
        "synthetic_off.csv": [synthetic_row(value="100", reliability="official", source_url="https://example.org/off")],
        "synthetic_sec.csv": [synthetic_row(value="102", reliability="secondary", source_url="https://example.org/sec")],
    })
    assert selected(result)["value"] == 100

    result = clean_rows(tmp_path / "3", {
        "synthetic_approx.csv": [synthetic_row(value="约100", source_url="https://example.org/approx")],
        "synthetic_exact.csv": [synthetic_row(value="98.7", source_url="https://example.org/exact")],
    })
    assert selected(result)["value"] == 98.7


def test_unverified_is_excluded_unless_configured(tmp_path):
    rows = {"synthetic_forum.csv": [synthetic_row(value="120", reliability="unverified", status="最终核实")],
            "synthetic_news.csv": [synthetic_row(value="100", reliability="secondary", status="预计", source_url="https://example.org/n")]}
    assert selected(clean_rows(tmp_path, rows))["value"] == 100
    # included, an unverified figure competes but ranks below any dated better source whatever its status says
    # (provenance before status for weak sources, issue 25); it fills a gap where it is alone
    assert selected(clean_rows(tmp_path / "2", rows, include_unverified=True))["value"] == 100
    alone = {"synthetic_forum.csv": rows["synthetic_forum.csv"]}
    assert selected(clean_rows(tmp_path / "3", alone, include_unverified=True))["value"] == 120


def test_visibility_follows_as_of_and_publication_date(tmp_path):
    rows = {"synthetic_r.csv": [
        synthetic_row(year="2022", value="100", published="2023-01-20", source_url="https://example.org/1"),
        synthetic_row(year="2023", value="110", published="2024-01-20", source_url="https://example.org/2"),
        synthetic_row(year="2024", period="1-6月", value="60", published="2024-07-20", source_url="https://example.org/3"),
    ]}
    r = clean_rows(tmp_path, rows, as_of="2023Q4")      # cut-off 2024-02-14: sees 2022 and 2023
    assert sorted(r.best["period"]) == ["2022年", "2023年"]
    r = clean_rows(tmp_path / "b", rows, as_of="2023Q3")  # 2023 not over yet
    assert sorted(r.best["period"]) == ["2022年"]
    hidden = r.observations[r.observations["role"] == "not_visible"]
    assert set(hidden["first_visible"]) == {"2023Q4", "2024Q2"}
    r = clean_rows(tmp_path / "c", rows, as_of="2022Q4")  # published 2023-01-20, inside the Q4 cut-off
    assert sorted(r.best["period"]) == ["2022年"]


def test_default_as_of_is_the_latest_quarter_with_data(tmp_path):
    rows = {"synthetic_r.csv": [
        synthetic_row(year="2023", value="110", published="2024-01-20"),
        synthetic_row(year="2024", period="1-6月", value="60", published="2024-09-01", source_url="https://example.org/3"),
    ]}
    assert clean_rows(tmp_path, rows, as_of=None).as_of == Quarter(2024, 3)   # published after the Q2 cut-off


def test_first_quarter_seeing_uses_the_cutoff():
    assert first_quarter_seeing(date(2023, 12, 31), date(2024, 2, 14), 45) == Quarter(2023, 4)
    assert first_quarter_seeing(date(2023, 12, 31), date(2024, 2, 15), 45) == Quarter(2024, 1)


def test_missing_publication_date_is_period_end_plus_lag(tmp_path):
    r = clean_rows(tmp_path, {"synthetic_r.csv": [synthetic_row(year="2022", published="")]})
    obs = r.observations.iloc[0]
    assert obs["published_date"] == date(2023, 3, 1) and obs["published_date_assumed"]
    r = clean_rows(tmp_path / "y", {"synthetic_r.csv": [synthetic_row(year="2018", published="2023")]})
    assert r.observations.iloc[0]["published_date"] == date(2023, 1, 1)   # kept inside the stated year


def test_levels_are_derived_from_growth_only_where_configured_and_marked(tmp_path):
    r = clean_rows(tmp_path, {"synthetic_r.csv": [
        synthetic_row(indicator="retail_sales", year="2022", value="110", growth_pct="10"),
        synthetic_row(indicator="tertiary_value_added", year="2022", value="110", growth_pct="10"),  # not configured
        synthetic_row(indicator="retail_sales", year="2023", value="", unit="", growth_pct="5", published="2024-02-01",
                      source_url="https://example.org/g"),
    ]})
    best = r.best.set_index(["indicator", "period"])
    back = best.loc[("retail_sales", "2021年")]
    assert back["derived"] and back["value"] == pytest.approx(100.0)
    assert "110 / (1 + 10%)" in back["derivation"]
    fwd = best.loc[("retail_sales", "2023年")]
    assert fwd["derived"] and fwd["value"] == pytest.approx(115.5) and fwd["growth_pct"] == 5
    assert not best.loc[("retail_sales", "2022年")]["derived"]
    assert ("tertiary_value_added", "2021年") not in best.index


def test_a_level_is_derived_through_consecutive_years_of_printed_growth_and_not_past_a_gap(tmp_path):
    """110 in 2018, +5 % printed for 2019 and +10 % for 2020: 2019 is 115.5 and 2020 is 127.05, each its own derived
    row; a growth rate printed for 2022 with no 2021 figure derives nothing (the chain needs every year)."""
    r = clean_rows(tmp_path, {"synthetic_r.csv": [
        synthetic_row(indicator="retail_sales", year="2018", value="110"),
        synthetic_row(indicator="retail_sales", year="2019", value="", unit="", growth_pct="5", published="2020-02-01",
                      source_url="https://example.org/g3"),
        synthetic_row(indicator="retail_sales", year="2020", value="", unit="", growth_pct="10", published="2021-02-01",
                      source_url="https://example.org/g4"),
        synthetic_row(indicator="retail_sales", year="2022", value="", unit="", growth_pct="4", published="2023-02-01",
                      source_url="https://example.org/g6"),
    ]}, as_of="2023Q1")
    best = r.best.set_index(["indicator", "period"])
    assert best.loc[("retail_sales", "2019年"), "value"] == pytest.approx(115.5)
    y2024 = best.loc[("retail_sales", "2020年")]
    assert y2024["derived"] and y2024["value"] == pytest.approx(127.05) and "115.5 × (1 + 10%)" in y2024["derivation"]
    assert pd.isna(best.loc[("retail_sales", "2022年"), "value"])


def test_a_derived_level_never_replaces_a_published_one(tmp_path):
    r = clean_rows(tmp_path, {"synthetic_r.csv": [
        synthetic_row(year="2021", value="95", published="2022-02-01", source_url="https://example.org/a"),
        synthetic_row(year="2022", value="110", growth_pct="10", source_url="https://example.org/b"),
    ]})
    y2021 = r.best[r.best["period"] == "2021年"]
    assert len(y2021) == 1 and not y2021.iloc[0]["derived"] and y2021.iloc[0]["value"] == 95


def test_outputs_are_written_whole_and_a_failure_keeps_the_last_good_ones(tmp_path):
    raw = tmp_path / "raw"
    write_release(raw, "synthetic_r.csv", [synthetic_row()])
    out = tmp_path / "clean"
    run_clean("2025Q2", raw_dir=raw, out_dir=out)
    assert {p.name for p in out.iterdir()} == {f"{t}.{e}" for t in ("observations", "annual", "ytd") for e in ("csv", "parquet")} | {"manifest.json"}
    before = tree_digest(out)
    write_release(raw, "synthetic_bad.csv", [synthetic_row(value="abc", source_url="https://example.org/bad")])
    with pytest.raises(InputError):
        run_clean("2025Q2", raw_dir=raw, out_dir=out)
    assert tree_digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temporary folder left


def test_same_inputs_give_the_same_tables(tmp_path):
    a = run_clean("2025Q2", out_dir=tmp_path / "a")
    b = run_clean("2025Q2", out_dir=tmp_path / "b")
    pd.testing.assert_frame_equal(a.best, b.best)
    pd.testing.assert_frame_equal(a.observations, b.observations)
