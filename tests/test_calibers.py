"""Totals re-benchmarked at an economic census, and figures that may still be revised (issue 25, point 7).

Known answers a statistician would compute by hand: across a census the printed comparable growth stands in for
the ratio of levels; within one caliber nothing changes; a 预计 or mirrored figure weighs less in the drift by the
share of a change's variance that is growth.
"""
import numpy as np
import pytest

from analysis.model.forecast import ForecastSettings, InsufficientData, SeriesData, forecast_series
from analysis.model.series import census_caliber
from analysis.model.uncertainty import VolatilityPrior, change_ages

S = ForecastSettings(n_paths=4000)
# reference year -> the day the national results came out (as config/settings.yaml forecast.census_released)
CENSUS = {2004: "2005-12-06", 2008: "2009-12-25", 2013: "2014-12-16", 2018: "2019-11-20", 2023: "2024-12-26"}


def test_a_census_year_starts_a_new_caliber():
    years = np.array([2003, 2004, 2007, 2008, 2012, 2013, 2017, 2018, 2022, 2023])
    assert census_caliber(years, CENSUS).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]


def test_a_figure_published_before_the_census_results_is_on_the_old_caliber():
    """The 2013 预计 of a January 2014 work report predates the third census's results (December 2014)."""
    years = [2013, 2013, 2017, 2018, 2018]
    published = ["2014-01-20", "2015-03-01", "2018-03-01", "2019-02-28", "2020-03-01"]
    assert census_caliber(years, CENSUS, published).tolist() == [2, 3, 3, 3, 4]
    assert census_caliber(years, CENSUS, [None] * 5).tolist() == [3, 3, 3, 4, 4]      # no date: the year decides


def test_one_caliber_gives_the_plain_changes_with_full_weight():
    years = np.array([2005, 2013, 2017, 2022])
    vals = np.array([75.2, 270.0, 377.0, 521.0])
    dy, k, ages, q = SeriesData(years, vals, np.array([2022]), np.array([3.0])).comparable_changes(0.065)
    assert dy == pytest.approx(np.diff(np.log(vals)))
    assert k.tolist() == [8.0, 4.0, 5.0]
    assert ages == pytest.approx(change_ages(years))
    assert q.tolist() == [1.0, 1.0, 1.0]          # printed growth is not added when no census breaks the levels


def test_across_a_census_the_printed_growth_replaces_the_level_ratio():
    """5 %/yr throughout, but the census cut the level by 30 %: the level ratio says -4 %/yr, the chain says 5 %."""
    years = np.array([2015, 2016, 2017, 2018, 2019])
    vals = np.array([100.0, 105.0, 110.25, 0.7 * 115.7625, 0.7 * 121.550625])
    d = SeriesData(years, vals, np.array([2016, 2018]), np.array([5.0, 5.0]), caliber=census_caliber(years, CENSUS))
    dy, k, ages, q = d.comparable_changes(0.065)
    # 2015-16, 2016-17 and 2018-19 from levels; 2018 from its printed growth; 2016's printed rate is not counted twice
    assert sorted(np.round(np.exp(dy), 6).tolist()) == [1.05] * 4
    assert k.tolist() == [1.0] * 4
    est, prec = VolatilityPrior().local_drift(dy, k, ages, q)
    assert est == pytest.approx(np.log(1.05)) and prec == pytest.approx(4.0)
    plain = SeriesData(years, vals).comparable_changes(0.065)[0]
    assert plain.sum() / 4 < 0                    # what the ratio of levels would have said


def test_across_a_census_every_printed_rate_no_kept_change_covers_counts_one_year():
    """Levels 2013, 2017 (one caliber) and 2022 (the next); rates for 2013 and 2022: 4 + 1 + 1 years of evidence.

    2013's rate lies before the first level and still counts: it is a year's comparable growth. The years
    2018-2021 have no rate and give no evidence."""
    years = np.array([2013, 2017, 2022])
    d = SeriesData(years, np.array([270.0, 377.0, 521.0]), np.array([2013, 2022]), np.array([13.0, 3.0]),
                   caliber=census_caliber(years, CENSUS))
    dy, k, ages, q = d.comparable_changes(0.065)
    assert k.tolist() == [4.0, 1.0, 1.0]
    assert dy == pytest.approx([np.log(377 / 270), np.log1p(0.13), np.log1p(0.03)])
    assert ages == pytest.approx([2022 - 2015 - 0.5, 2022 - 2013, 0.0])


def test_levels_on_different_calibers_without_printed_growth_leave_the_random_walks_nothing():
    years = np.array([2016, 2017, 2019, 2020])
    d = SeriesData(years, np.array([100.0, 105.0, 80.0, 84.0]), caliber=np.array([3, 3, 4, 4]))
    assert len(d.comparable_changes(0.065)[0]) == 2                  # 2016-17 and 2019-20: the walks still run
    broken = SeriesData(years[[1, 2]], d.values[[1, 2]], caliber=np.array([3, 4]))     # 2017 and 2019 only
    with pytest.raises(InsufficientData, match="no comparable change"):
        forecast_series(broken, 2022, S, key="x", members=("random_walk_drift", "random_walk_undamped"))
def test_a_revisable_figure_weighs_by_the_share_of_its_change_that_is_growth():
    """Prior yearly sd 0.06, both ends revisable by sd 0.03: a one-year change is 2/3 growth, so it weighs 2/3."""
    d = SeriesData(np.array([2020, 2021, 2022]), np.array([100.0, 110.0, 110.0]), level_sd=np.array([0.0, 0.03, 0.03]))
    dy, k, ages, q = d.comparable_changes(0.06)
    assert q == pytest.approx([0.0036 / (0.0036 + 0.0009), 2 / 3])
    # GLS: estimate sum q c / sum q k, precision sum q k (a hand-computed case)
    est, prec = VolatilityPrior().local_drift(dy, k, ages, q)
    assert est == pytest.approx((0.8 * np.log(1.1) + 0) / (0.8 + 2 / 3))
    assert prec == pytest.approx(0.8 + 2 / 3)


def rebenchmarked_series(caliber: bool) -> SeriesData:
    """5 %/yr 2010-2022 with the 2018 census cutting the level by 30 %, and the 2018 printed growth of 5 %."""
    years = np.arange(2010, 2023)
    vals = 100 * 1.05 ** np.arange(13) * np.where(years >= 2018, 0.7, 1.0)
    return SeriesData(years, vals, np.array([2018]), np.array([5.0]),
                      caliber=census_caliber(years, CENSUS) if caliber else None)


def test_the_random_walks_follow_comparable_growth_and_the_trend_members_the_latest_caliber():
    fc = forecast_series(rebenchmarked_series(caliber=True), 2024, S, key="census")
    plain = forecast_series(rebenchmarked_series(caliber=False), 2024, S, key="census")
    growth = {m: float(np.median(np.log(p[:, 0] / fc.start[m]))) for m, p in fc.members.items()}
    assert 0.04 < growth["random_walk_undamped"] < 0.055          # the chained 5 %, a little towards the prior's 4 %
    assert np.median(np.log(plain.members["random_walk_undamped"][:, 0] / plain.start["random_walk_undamped"])) < 0.03
    assert "log_linear" in fc.members and "theta" not in fc.members        # 5 levels since 2018: theta needs 6
    assert "caliber of the latest level" in fc.dropped["theta"]
    assert any("calibers" in n for n in fc.notes) and not any("calibers" in n for n in plain.notes)


def test_one_caliber_leaves_every_member_as_it_was():
    """caliber all equal is the plain series: same paths to the last bit (same seeds)."""
    d = rebenchmarked_series(caliber=False)
    same = SeriesData(d.years, d.values, d.growth_years, d.growth_pct, caliber=np.full(d.n, 3))
    a, b = forecast_series(d, 2024, S, key="x"), forecast_series(same, 2024, S, key="x")
    assert a.members.keys() == b.members.keys()
    for m in a.members:
        np.testing.assert_array_equal(a.members[m], b.members[m])
