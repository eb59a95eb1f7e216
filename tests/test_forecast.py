"""Forecast members and ensemble on series whose future is known by construction."""
import numpy as np
import pytest

from analysis.model import forecast as F
from analysis.model.forecast import ForecastSettings, InsufficientData, SeriesData, forecast_series

S = ForecastSettings(n_paths=5000)


def growing(rate: float, years=range(2010, 2023), start=100.0, noise=0.01, seed=1, walk: bool = False) -> SeriesData:
    """Steady growth with noise: iid around the line, or (walk) shocks that accumulate, like most yearly series."""
    rng = np.random.default_rng(seed)
    ys = np.array(list(years))
    shocks = rng.normal(0, noise, len(ys))
    vals = start * (1 + rate) ** (ys - ys[0]) * np.exp(np.cumsum(shocks) if walk else shocks)
    return SeriesData(ys, vals)


def test_every_member_recovers_a_steady_growth_rate():
    d = growing(0.10, walk=True)
    fc = forecast_series(d, 2024, ForecastSettings(n_paths=5000, trend_damping=1.0), key="steady")
    assert set(fc.members) == {"log_linear", "random_walk_drift", "damped_trend", "theta"}   # no printed growth
    for name in fc.members:
        growth = (np.median(fc.at(2024, name)) / d.values[-1]) ** 0.5 - 1
        # the Theta method extrapolates half the linear trend (theta line 2 averaged with theta line 0)
        expected = 0.05 if name == "theta" else 0.10
        assert growth == pytest.approx(expected, abs=0.025), name


def test_damping_slows_the_trend_as_configured():
    d = growing(0.10)
    fc = forecast_series(d, 2024, ForecastSettings(n_paths=5000, trend_damping=0.5), key="damped",
                         members=("random_walk_drift",))
    # drift 0.5 + 0.25 of a year's growth in two years, on the log scale
    expected = d.values[-1] * np.exp(np.log(1.10) * 0.75)
    assert np.median(fc.at(2024)) == pytest.approx(expected, rel=0.02)


def test_paths_are_seeded_and_reproducible():
    d = growing(0.05)
    a = forecast_series(d, 2025, S, key="retail_sales")
    b = forecast_series(d, 2025, S, key="retail_sales")
    np.testing.assert_array_equal(a.paths, b.paths)
    c = forecast_series(d, 2025, S, key="another_indicator")
    assert not np.array_equal(a.paths, c.paths)
    assert a.paths.shape == (S.n_paths // len(a.members) * len(a.members), 3)


def test_missing_years_stay_missing():
    d = SeriesData(np.array([2005, 2013, 2021, 2022]), np.array([75.0, 270, 505, 521]))
    fc = forecast_series(d, 2024, S, key="gappy")
    assert fc.origin == 2022 and fc.years == [2023, 2024]
    assert "theta" in fc.dropped            # only two consecutive years at the end
    assert fc.dropped["damped_trend"] == "needs 10 points, has 4 observed (non-derived) levels"
    assert np.all(np.isfinite(fc.paths)) and np.all(fc.paths > 0)


def test_a_failing_member_is_dropped_with_its_reason(monkeypatch):
    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("singular matrix")
    monkeypatch.setitem(F.MEMBERS, "theta", broken)
    fc = forecast_series(growing(0.05), 2024, S, key="x")
    assert "theta" not in fc.members and "singular matrix" in fc.dropped["theta"]
    assert len(fc.paths) == S.n_paths // len(fc.members) * len(fc.members)


def test_fewer_than_two_points_is_insufficient():
    with pytest.raises(InsufficientData):
        forecast_series(SeriesData(np.array([2019]), np.array([509.0])), 2024, S, key="one")


def test_printed_growth_alone_can_carry_a_forecast():
    d = SeriesData(np.array([2022]), np.array([521.0]), np.array([2020, 2021, 2022]), np.array([8.0, 9.0, 10.0]))
    fc = forecast_series(d, 2024, ForecastSettings(n_paths=5000, trend_damping=1.0), key="g")
    assert list(fc.members) == ["growth_rates"]
    assert np.median(fc.at(2024)) == pytest.approx(521 * 1.09 ** 2, rel=0.03)


def test_a_forecast_does_not_depend_on_the_unit_of_the_series():
    """c x y is forecast as c x the forecast of y: the same members, the same relative bands (yuan or 亿元)."""
    # seed 5: the damped trend is admitted; seed 7: its fit sat on the edge of admission, where the last-bit
    # differences of a change of unit used to decide it
    for seed, admitted in ((5, True), (7, False)):
        base = growing(0.06, years=range(2008, 2023), noise=0.04, walk=True, seed=seed)
        runs = {}
        for c in (1e-6, 1.0, 1e9):
            fc = forecast_series(SeriesData(base.years, base.values * c), 2026, ForecastSettings(n_paths=1000), key="unit")
            runs[c] = (sorted(fc.members), sorted(fc.dropped), fc.quantiles().to_numpy() / c)
        assert ("damped_trend" in runs[1.0][0]) == admitted
        for c in (1e-6, 1e9):
            assert runs[c][:2] == runs[1.0][:2], (seed, c)
            np.testing.assert_allclose(runs[c][2], runs[1.0][2], rtol=1e-6)
