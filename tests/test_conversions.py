"""The shipped raw data: conversions reproduce the compiler's hand conversions, and
every clean figure traces back to a raw row that cites a source."""
import csv

import pandas as pd
import pytest

from analysis.core import paths
from analysis.inputs.clean import run_clean
from analysis.inputs.ingest import ingest

REFERENCE = paths.DATA_DIR / "reference" / "haimen_public_figures.csv"


@pytest.fixture(scope="module")
def shipped(cfg):
    return ingest(paths.RAW_DIR, cfg)[0]


def test_unit_conversion_reproduces_the_hand_converted_values(shipped, cfg):
    regions = cfg.region_index()
    reference = list(csv.DictReader(open(REFERENCE, encoding="utf-8")))
    assert len(reference) == len(shipped), "every compiled figure is in data/raw, and nothing else"
    for ref in reference:
        match = shipped[(shipped["source_url"] == ref["source_url"]) & (shipped["indicator_printed"] == ref["indicator_zh"])
                        & (shipped["region"] == regions[ref["region"]]) & (shipped["year"] == int(ref["year"]))]
        assert len(match) == 1, ref
        obs = match.iloc[0]
        if ref["value"]:
            assert obs["value"] == pytest.approx(float(ref["value"]), rel=1e-12), ref
            assert obs["unit"] == ref["unit"], ref
        else:
            assert pd.isna(obs["value"])
        if ref["growth_pct"]:
            assert obs["growth_pct"] == pytest.approx(float(ref["growth_pct"]))


def test_printed_value_and_unit_are_kept_verbatim(shipped):
    tourists = shipped[(shipped["indicator"] == "tourist_visits") & (shipped["year"] == 2019) & (shipped["reliability"] == "official")]
    assert tourists[["value_printed", "unit_printed", "value"]].values.tolist() == [["5.09", "million tourists", 509.0]]


def test_every_clean_figure_traces_to_a_cited_raw_row(tmp_path):
    result = run_clean("2025Q2", out_dir=tmp_path / "clean")
    obs = result.observations.set_index("obs_id")
    annual = pd.read_parquet(tmp_path / "clean" / "annual.parquet")
    ytd = pd.read_parquet(tmp_path / "clean" / "ytd.parquet")
    best = pd.concat([annual, ytd])
    assert len(best) > 30
    for row in best.itertuples():
        for obs_id in filter(None, [row.obs_id, row.growth_obs_id]):
            src = obs.loc[obs_id]
            assert src["source_url"].startswith("http"), obs_id
            file, number = obs_id.rsplit(":", 1)
            lines = list(csv.reader(open(paths.RAW_DIR / file, encoding="utf-8-sig")))
            assert src["source_url"] in lines[int(number) - 1], f"{obs_id} is not that raw row"
        assert row.source_url.startswith("http")


def test_unverified_figures_never_win_by_default(tmp_path):
    result = run_clean("2025Q2", out_dir=tmp_path / "clean")
    assert (result.best["reliability"] != "unverified").all()
    excluded = result.observations[result.observations["role"] == "excluded"]
    assert set(excluded["reliability"]) == {"unverified"} and len(excluded) == 5
