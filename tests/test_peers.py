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


def _with_ids(found: list[dict]) -> list[dict]:
    return [{**p, "obs_id": f"{p['region']}{p['period']}"} for p in found]


def test_the_briefing_names_each_peer_with_its_period_and_an_estimate_as_such():
    cfg = load_config()
    row = pd.Series({"peer_growth": json.dumps(peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025),
                                               ensure_ascii=False)})
    # 南通 is the city Haimen belongs to: "南通市及周边地区", never a 周边地区 itself (a statistician's review)
    assert peers_words(row, cfg, "zh") == "；南通市及周边地区参考：海安2023年增长6.0%（预计数、转载待核对）、南通2024年1—2月增长2.8%"
    assert peers_words(row, cfg, "en") == ("; growth in Nantong city and nearby areas: Haian 6.0% in 2023 (estimate, mirror, not "
                                           "cross-checked), Nantong 2.8% in Jan-Feb 2024")
    assert peers_words(pd.Series({"peer_growth": ""}), cfg, "zh") == ""


def test_the_briefing_says_which_rates_the_nowcast_used_by_their_rows_not_their_years():
    cfg = load_config()
    found = _with_ids(peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025))
    # a superseded period of a used year is not "used": only the row the forecast took (peer_obs_ids)
    found.insert(0, {**found[0], "period": "2024年1-1月", "obs_id": "older", "growth_pct": 9.9})
    row = pd.Series({"peer_growth": json.dumps(found, ensure_ascii=False), "peer_obs_ids": "南通2024年1-2月"})
    assert peers_words(row, cfg, "zh") == ("；因尚未取得海门2024年数据，测算时参考了南通市及周边地区增速：南通2024年1—2月增长2.8%，"
                                           "并与海门自身趋势加权合并；南通市及周边地区参考：海安2023年增长6.0%（预计数、转载待核对）、"
                                           "南通2024年1—1月增长9.9%")
    row = pd.Series({"peer_growth": json.dumps(found[1:], ensure_ascii=False),
                     "peer_obs_ids": "南通2024年1-2月,海安2023年"})
    assert peers_words(row, cfg, "en") == ("; as Haimen's 2023 and 2024 figures are not yet available, the estimate also "
                                           "draws on growth in Nantong city and nearby areas (Haian 6.0% in 2023 (estimate, mirror, not "
                                           "cross-checked), Nantong 2.8% in Jan-Feb 2024), weighted with Haimen's own trend")


def test_the_assessment_column_keeps_every_used_rate_beyond_the_reference_cap():
    cfg = load_config()
    obs = synthetic_observations()
    extra = pd.DataFrame([(r, 2023, "2023年", 12, 5.0 + i, "reported", "official", "selected", True, "retail_sales")
                          for i, r in enumerate(["通州", "南通", "如东", "启东"])], columns=obs.columns)
    obs = pd.concat([obs, extra], ignore_index=True)
    obs["obs_id"] = [f"o{i}" for i in range(len(obs))]
    used = ",".join(obs.loc[obs["year"] == 2023, "obs_id"][obs["role"] == "selected"])
    table = pd.DataFrame({"target": ["a"], "indicator": ["retail_sales"], "base_year": [2021], "peer_obs_ids": [used]})
    found = read_peer_growth(add_peer_growth(table, obs, cfg, 2025).loc[0, "peer_growth"])
    assert {p["obs_id"] for p in found} >= set(used.split(","))          # five used rates, more than the cap of 3
    assert "o1" in {p["obs_id"] for p in found}                          # and the newest other one for reference


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


def test_two_neighbours_of_one_year_are_weighted_by_their_own_precision_and_the_stray_added_once():
    obs = synthetic_observations()
    extra = obs[obs["region"] == "海安"].iloc[[0]].assign(region="通州", growth_pct=2.0, status="estimate",
                                                           reliability="official")
    sig = peer_signal(pd.concat([obs, extra]), "海门", "retail_sales", 2023, 0.05, SETTINGS)
    v_haian, v_tongzhou = 0.03 ** 2 + 0.02 ** 2, 0.03 ** 2           # 预计 from a mirror; 预计 from the official site
    w = np.array([1 / v_haian, 1 / v_tongzhou])
    assert sig.log_growth == pytest.approx(np.dot(w, [np.log(1.06), np.log(1.02)]) / w.sum())
    assert sig.sd == pytest.approx(np.sqrt(0.04 ** 2 + 1 / w.sum()))
    # a second, vaguer rate never makes the reading less precise than the better one alone
    alone = peer_signal(pd.concat([obs[obs["region"] != "海安"], extra]), "海门", "retail_sales", 2023, 0.05, SETTINGS)
    assert sig.sd <= alone.sd
    # an official full-year rate carries no error of its own: the estimates add nothing to it
    official = extra.assign(status="reported")
    sig = peer_signal(pd.concat([obs, official]), "海门", "retail_sales", 2023, 0.05, SETTINGS)
    assert sig.log_growth == pytest.approx(np.log(1.02)) and sig.sd == pytest.approx(0.04)
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


def test_heavy_tailed_paths_do_not_buy_the_reading_its_weight():
    """Normal growth N(0.10, 0.04^2) with 2 % of wild paths (sd 1): the weight follows the body's spread
    (k = 0.5 for a reading of sd 0.04), not the wild paths' (which would make it near 1)."""
    rng = np.random.default_rng(3)
    g = np.where(rng.random(200_000) < 0.02, rng.normal(0.10, 1.0, 200_000), rng.normal(0.10, 0.04, 200_000))
    paths = np.exp(np.log(100.0) + np.column_stack([g, g]))
    fc = Forecast([2023, 2024], 2022, paths, {"m": paths}, {}, start={"m": np.full(len(g), 100.0),
                                                                      "ensemble": np.full(len(g), 100.0)})
    now = nowcast_with_peers(fc, 2023, 0.0, 0.04, key="k", seed=1)
    assert np.median(np.log(now.at(2023) / 100.0)) == pytest.approx(0.05, abs=0.004)


def test_a_reading_far_outside_the_paths_is_not_used_and_is_named():
    fc = _gaussian_forecast(0.05, 0.05)
    far = nowcast_with_peers(fc, 2023, np.log(1.60), 0.04, key="k", seed=1, obs_ids=("x",))
    assert far.paths is fc.paths and far.peer_years == () and far.peer_rows == ()
    assert any("not used" in n and "+60.0%" in n for n in far.notes)
    near = nowcast_with_peers(fc, 2023, np.log(0.85), 0.04, key="k", seed=1, obs_ids=("y",))   # 3 sds: used
    assert near.peer_years == (2023,) and near.peer_rows == ((2023, "y"),)


def test_a_reading_far_less_certain_than_the_paths_changes_almost_nothing():
    fc = _gaussian_forecast(0.10, 0.02)
    now = nowcast_with_peers(fc, 2023, -0.20, 1.0, key="k", seed=1)
    assert np.log(now.at(2023) / 100.0).mean() == pytest.approx(0.10, abs=0.002)
    assert nowcast_with_peers(fc, 2030, 0.0, 0.04, key="k", seed=1) is fc       # not a forecast year: unchanged
