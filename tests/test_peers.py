"""Comparator regions' printed growth (issue 25 point 7): news about the years Haimen has not published, and the
rates printed beside P. Known answers: the conjugate normal update, and the error variance of the reading."""
import json

import numpy as np
import pandas as pd
import pytest

from analysis.core.config import load_config
from analysis.model.forecast import Forecast, nowcast_with_peers
from analysis.model.peers import add_peer_growth, peer_growth, peer_signal, read_peer_growth
from analysis.model.uncertainty import measurement_sd, ytd_error_sd
from analysis.report.briefing import peers_words


def synthetic_observations() -> pd.DataFrame:
    """Synthetic rows: what the clean step leaves for one indicator in four regions."""
    rows = [
        # region, year, period, month_to, growth, status, reliability, role, visible
        ("海门", 2024, "2024年1-6月", 6, 0.3, "reported", "official", "selected", True),      # home: never a peer
        ("南通", 2024, "2024年1-2月", 2, 2.8, "reported", "official", "selected", True),
        ("南通", 2024, "2024年1-7月", 7, 3.1, "reported", "official", "selected", False),     # not visible yet
        ("海安", 2023, "2023年", 12, 6.0, "estimate", "mirror", "selected", True),
        ("通州", 2023, "2023年", 12, 9.9, "reported", "unverified", "excluded", True),        # never used: not a peer
        ("海安", 2019, "2019年", 12, 7.0, "reported", "official", "selected", True),          # before the plan
        ("海安", 2022, "2022年", 12, 1.0, "reported", "official", "superseded", True),        # replaced: not a peer
    ]
    frame = pd.DataFrame(rows, columns=["region", "year", "period", "month_to", "growth_pct", "status", "reliability",
                                        "role", "visible"])
    frame["indicator"] = "retail_sales"
    return frame


def test_peers_are_the_used_visible_rates_of_other_regions_in_the_plan_years_newest_first():
    found = peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025)
    assert [(p["region"], p["period"], p["growth_pct"]) for p in found] == [("南通", "2024年1-2月", 2.8),
                                                                             ("海安", "2023年", 6.0)]
    assert peer_growth(synthetic_observations(), "海门", "gdp", 2022, 2025) == []
    assert len(peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025, limit=1)) == 1


def test_the_assessment_column_round_trips_and_is_empty_without_peers():
    cfg = load_config()
    table = pd.DataFrame({"target": ["a", "b", "c"], "indicator": ["retail_sales", "gdp", None],
                          "base_year": [2021, 2021, 2021]})
    out = add_peer_growth(table, synthetic_observations(), cfg, 2025)
    assert [len(read_peer_growth(c)) for c in out["peer_growth"]] == [2, 0, 0]
    assert out.loc[1, "peer_growth"] == "" and read_peer_growth(None) == [] and read_peer_growth("not json") == []
    assert json.loads(out.loc[0, "peer_growth"])[1]["status"] == "estimate"


def test_the_briefing_names_each_peer_with_its_period_and_an_estimate_as_such():
    cfg = load_config()
    row = pd.Series({"peer_growth": json.dumps(peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025),
                                               ensure_ascii=False)})
    assert peers_words(row, cfg, "zh") == "；周边参照：南通2024年1—2月增长2.8%、海安2023年增长6.0%（预计数）"
    assert peers_words(row, cfg, "en") == ("; growth in neighbouring areas: Nantong 2.8% in Jan-Feb 2024, "
                                           "Haian 6.0% in 2023 (estimate)")
    assert peers_words(pd.Series({"peer_growth": ""}), cfg, "zh") == ""


def test_the_briefing_says_which_rates_moved_p_and_which_are_a_reference_only():
    cfg = load_config()
    cell = json.dumps(peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025), ensure_ascii=False)
    # only 2024 was nowcast from the neighbours (2023 published at home, say); CSV may read the cell as a float
    for years in ("2024", 2024.0):
        row = pd.Series({"peer_growth": cell, "peer_years": years})
        assert peers_words(row, cfg, "zh") == ("；周边地区同期增速已计入达标可能性测算：南通2024年1—2月增长2.8%"
                                               "；周边参照：海安2023年增长6.0%（预计数）")
    row = pd.Series({"peer_growth": cell, "peer_years": "2023,2024"})
    assert peers_words(row, cfg, "en") == ("; growth in neighbouring areas, taken into P: Nantong 2.8% in Jan-Feb 2024, "
                                           "Haian 6.0% in 2023 (estimate)")


SETTINGS = {"home_region": "海门", "forecast": {
    "peers": {"enabled": True, "sd": 0.04}, "ytd": {"rest_of_year_factor": 1.0, "revision_sd": 0.01},
    "measurement_sd": {"status": {"estimate": 0.03}, "reliability": {"mirror": 0.02, "official": 0.0},
                       "qualifier": {}, "derived": 0.01}}}


def test_a_full_year_official_rate_is_read_with_the_stated_stray_alone():
    obs = synthetic_observations()
    obs.loc[obs["region"] == "海安", ["status", "reliability"]] = ["reported", "official"]
    sig = peer_signal(obs, "海门", "retail_sales", 2023, 0.05, SETTINGS)
    assert sig.log_growth == pytest.approx(np.log(1.06)) and sig.sd == pytest.approx(0.04)
    assert [r["region"] for r in sig.rows] == ["海安"]


def test_an_estimate_from_a_mirror_and_a_two_month_rate_are_read_with_their_own_uncertainty():
    obs = synthetic_observations()
    sig = peer_signal(obs, "海门", "retail_sales", 2023, 0.05, SETTINGS)     # 海安 2023: 预计, mirror
    assert sig.sd == pytest.approx(np.sqrt(0.04 ** 2 + 0.03 ** 2 + 0.02 ** 2))
    sig = peer_signal(obs, "海门", "retail_sales", 2024, 0.05, SETTINGS)     # 南通 1-2月 (1-7月 not visible yet)
    assert sig.log_growth == pytest.approx(np.log(1.028))
    assert sig.sd == pytest.approx(np.hypot(0.04, ytd_error_sd(2, 0.05, SETTINGS)))
    assert measurement_sd("reported", "official", "", False, SETTINGS) == 0.0


def test_two_neighbours_of_one_year_are_averaged_and_the_home_region_is_never_its_own_peer():
    obs = synthetic_observations()
    extra = obs[obs["region"] == "海安"].iloc[[0]].assign(region="通州", growth_pct=2.0, status="reported",
                                                           reliability="official")
    sig = peer_signal(pd.concat([obs, extra]), "海门", "retail_sales", 2023, 0.05, SETTINGS)
    assert sig.log_growth == pytest.approx((np.log(1.06) + np.log(1.02)) / 2)
    # variances averaged, not divided by two: the neighbours share the year's shock
    assert sig.sd == pytest.approx(np.sqrt(0.04 ** 2 + (0.03 ** 2 + 0.02 ** 2) / 2))
    assert peer_signal(obs, "海门", "retail_sales", 2025, 0.05, SETTINGS) is None              # only the home region
    off = {**SETTINGS, "forecast": {**SETTINGS["forecast"], "peers": {"enabled": False, "sd": 0.04}}}
    assert peer_signal(obs, "海门", "retail_sales", 2023, 0.05, off) is None


def _gaussian_forecast(mean: float, sd: float, n: int = 200_000) -> Forecast:
    """Synthetic paths: 100 at the origin, growth N(mean, sd) in 2023, then exactly +1 % in 2024."""
    g = np.random.default_rng(7).normal(mean, sd, n)
    logp = np.log(100.0) + np.column_stack([g, g + np.log(1.01)])
    paths = np.exp(logp)
    return Forecast([2023, 2024], 2022, paths, {"m": paths}, {}, start={"m": np.full(n, 100.0),
                                                                         "ensemble": np.full(n, 100.0)})


def test_the_update_is_the_conjugate_normal_posterior():
    """Prior growth N(0.10, 0.08^2), reading 0.03 with sd 0.04: k = 0.8, posterior N(0.044, 0.2 x 0.08^2)."""
    fc = _gaussian_forecast(0.10, 0.08)
    now = nowcast_with_peers(fc, 2023, 0.03, 0.04, key="k", seed=1)
    g = np.log(now.at(2023) / 100.0)
    assert g.mean() == pytest.approx(0.044, abs=0.001)
    assert g.std() == pytest.approx(np.sqrt(0.2) * 0.08, rel=0.01)
    np.testing.assert_allclose(np.log(now.at(2024) / now.at(2023)), np.log(1.01), atol=1e-9)   # later years move with it
    assert now.peer_years == (2023,) and any("+3.0%" in n and "2023" in n for n in now.notes)


def test_a_reading_far_less_certain_than_the_paths_changes_almost_nothing():
    fc = _gaussian_forecast(0.10, 0.02)
    now = nowcast_with_peers(fc, 2023, -0.20, 1.0, key="k", seed=1)
    assert np.log(now.at(2023) / 100.0).mean() == pytest.approx(0.10, abs=0.002)
    assert nowcast_with_peers(fc, 2030, 0.0, 0.04, key="k", seed=1) is fc       # not a forecast year: unchanged
