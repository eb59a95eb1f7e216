"""The model's second look at a typed level (model/expected.py, issue 24 point 1), on SYNTHETIC series of known shape.

A series that grows 8 %/yr for ten years has its next level near 1.08 x the last one; three quarters of that (a
1-9月 figure typed as 全年) must fall below the 80 % band's lower edge, the expected level itself must not, and a
level the check cannot judge (derived, or too little history) is never flagged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.model.assess import IndicatorData, model_series
from analysis.model.expected import MIN_EARLIER_LEVELS, expected_level, flag_rows, latest_level_check


def synthetic_series(last: float, years=range(2012, 2024), derived_last: bool = False) -> IndicatorData:
    years = list(years)
    values = [100 * 1.08 ** i * (1 + 0.01 * (-1) ** i) for i in range(len(years) - 1)] + [last]
    levels = pd.Series(values, index=years, dtype=float)
    info = pd.DataFrame({"status": "final", "reliability": "official", "qualifier": "", "derived": False,
                         "obs_id": [f"synthetic.csv:{i + 2}" for i in range(len(years))], "rounding": 0.0}, index=years)
    info.loc[years[-1], "derived"] = derived_last
    empty = pd.DataFrame(columns=["year", "value"])
    return IndicatorData("retail_sales", levels, pd.Series(dtype=float), info, empty, empty)


def expected_next(cfg) -> float:
    d = synthetic_series(1.0)
    return expected_level(d, cfg, 2023, model_series)[1]


def test_the_expected_level_follows_the_trend(cfg):
    mid = expected_next(cfg)
    trend = 100 * 1.08 ** 11
    assert 0.95 * trend < mid < 1.05 * trend


def test_a_year_to_date_level_typed_as_a_full_year_is_flagged(cfg):
    mid = expected_next(cfg)
    found = latest_level_check(synthetic_series(0.75 * mid), cfg, 2022, 2024, model_series)
    assert found is not None
    year, value, low, median = found
    assert year == 2023 and value == pytest.approx(0.75 * mid) and value < low < median


def test_the_expected_level_itself_is_not_flagged(cfg):
    mid = expected_next(cfg)
    assert latest_level_check(synthetic_series(mid), cfg, 2022, 2024, model_series) is None


def test_derived_levels_and_short_histories_are_never_flagged(cfg):
    mid = expected_next(cfg)
    assert latest_level_check(synthetic_series(0.5 * mid, derived_last=True), cfg, 2022, 2024, model_series) is None
    short = synthetic_series(0.5 * mid, years=range(2023 - MIN_EARLIER_LEVELS + 1, 2024))
    assert len(short.levels) == MIN_EARLIER_LEVELS       # one earlier level too few
    assert latest_level_check(short, cfg, 2022, 2024, model_series) is None
    # before the plan period: not checked
    assert latest_level_check(synthetic_series(0.5 * mid), cfg, 2024, 2025, model_series) is None


def test_flags_land_on_the_rows_of_that_indicator_and_year_only(cfg):
    table = pd.DataFrame({"indicator": ["retail_sales", "retail_sales", "gdp"], "latest_year": [2023, 2022, 2023]})
    out = flag_rows(table, {"retail_sales": (2023, 75.0, 90.0, 100.0)}, cfg)
    assert out["latest_expected_low"].tolist()[0] == 90.0 and np.isnan(out["latest_expected_low"].tolist()[1])
    assert out["latest_level_unit"].tolist() == [cfg.indicators["retail_sales"].unit, "", ""]
