"""What a forecast is given: a short yearly series with its gaps, and the settings of the ensemble.

Split from forecast.py (which runs the ensemble) so that the members (forecast_members.py) and the ensemble
both read these classes from below them, and neither imports the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.model.uncertainty import VolatilityPrior

DEFAULT_YTD = {"rest_of_year_factor": 1.0, "revision_sd": 0.01}


@dataclass(frozen=True)
class ForecastSettings:
    n_paths: int = 5000
    seed: int = 20220222
    trend_damping: float = 0.8
    ols_window_years: int = 12
    min_points: dict = field(default_factory=lambda: {"log_linear": 3, "random_walk_drift": 2, "random_walk_undamped": 2, "damped_trend": 10,
                                                      "theta": 6, "growth_rates": 2})
    prior: VolatilityPrior = field(default_factory=VolatilityPrior)
    ytd: dict = field(default_factory=lambda: dict(DEFAULT_YTD))
    max_abs_ma: float = 0.95        # damped_trend: |MA| above this is a boundary fit
    max_abs_ar: float = 0.99        # damped_trend: AR is fitted in [-0.99, 0.99] (a damped trend damps)
    ma_margin: float = 0.01         # damped_trend: refused unless |MA| >= max_abs_ma fits worse by this (log-lik)
    min_gain_over_rw: float = 1.0   # damped_trend: refused if it beats the random walk by less (log-lik)
    # empirical width calibration: ((min_points, (k_h1, ..., k_hH)), ...) ascending in min_points; () = none
    width_scale: tuple = ()

    @classmethod
    def from_config(cls, settings: dict) -> "ForecastSettings":
        f = settings["forecast"]
        return cls(n_paths=int(f["n_paths"]), seed=int(f["seed"]), trend_damping=float(f["trend_damping"]),
                   ols_window_years=int(f["ols_window_years"]), min_points=dict(f["min_points"]),
                   prior=VolatilityPrior.from_config(f["prior"]), ytd=dict(f["ytd"]),
                   max_abs_ma=float(f["damped_trend"]["max_abs_ma"]), max_abs_ar=float(f["damped_trend"]["max_abs_ar"]),
                   ma_margin=float(f["damped_trend"]["ma_margin"]),
                   min_gain_over_rw=float(f["damped_trend"]["min_gain_over_rw"]),
                   width_scale=_width_table(f.get("width_calibration", {}).get("scale", {})))

    def width_factors(self, n_points: int, h: int) -> np.ndarray:
        """The calibrated width factor for each of h years ahead of a history of n_points points (1 = none).

        The row used is the last whose min_points <= n_points; beyond the
        calibrated horizons the last factor is kept. Histories with gaps use
        the same table (a separate gappy table was tried and left out: see
        benchmarks/results/sparse_notes.md).
        """
        rows = [k for m, k in self.width_scale if m <= n_points]
        if not rows:
            return np.ones(h)
        k = np.asarray(rows[-1], dtype=float)
        return np.concatenate([k, np.full(max(h - len(k), 0), k[-1])])[:h]


def _width_table(scale: dict) -> tuple:
    """settings forecast.width_calibration.scale {min_points: [k_h1, ...]} as a sorted tuple."""
    return tuple(sorted((int(m), tuple(float(x) for x in ks)) for m, ks in scale.items()))


def calibrate_width(logp: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Stretch (k > 1) or shrink (k < 1) each year's spread of log paths about its median by that year's factor.

    Why: the members' intervals are right on average but not per horizon and
    history length (they treat the drift as fixed over the horizon, so too wide
    one or two years ahead of a short history and too narrow five or six years
    ahead of a longer one). The factors are fitted out of sample on rolling
    origins inside the training parts of the reference series
    (benchmarks/width_calibration.py), never on the points the benchmarks score.
    Scaling about the median keeps the median and every path's rank.
    """
    med = np.median(logp, axis=0)
    return med + factors[None, :] * (logp - med)


def census_caliber(years, census_released: dict, published=None) -> np.ndarray:
    """The caliber of each figure of a total re-benchmarked at each economic census: how many censuses it is on.

    A census counts for a figure of its reference year or later that was published on or after the day the census
    results came out (census_released: reference year -> that day); a figure published before (a January 预计 of
    the census year, the next year's bulletin before the results) is still on the old caliber. Without a
    publication date the figure's year decides.
    """
    years = np.asarray(years, dtype=int)
    pub = pd.to_datetime(pd.Series(published if published is not None else [pd.NaT] * len(years)), errors="coerce")
    out = np.zeros(len(years), dtype=int)
    for year, released in census_released.items():
        out += (years >= int(year)) & (pub.isna() | (pub >= pd.Timestamp(released))).to_numpy()
    return out


def _array(x, dtype, n: int, fill) -> np.ndarray:
    return np.full(n, fill, dtype=dtype) if x is None else np.asarray(x, dtype=dtype)


@dataclass(frozen=True)
class SeriesData:
    """What a forecast may use: observed yearly levels (gaps allowed) and printed growth rates.

    derived: per level, True where the level was computed from printed growth
    (it then sets the origin but is no estimation data for the level members);
    level_sd: per level, the log-scale revision sd of the figure (0 = exact);
    caliber: per level, the statistical caliber it is on (a total re-benchmarked
    at each economic census starts a new caliber at each census year): a ratio of
    levels of two calibers is no growth (comparable_changes), and the trend
    members fit only the latest caliber (latest_caliber).
    """

    years: np.ndarray                  # observed years, ascending
    values: np.ndarray                 # levels (> 0)
    growth_years: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    growth_pct: np.ndarray = field(default_factory=lambda: np.array([], dtype=float))
    pandemic_dummy_years: tuple[int, ...] = ()   # years given their own level shift in log_linear
    derived: np.ndarray | None = None            # bool per level; None = none derived
    level_sd: np.ndarray | None = None           # float per level; None = all exact
    caliber: np.ndarray | None = None            # int per level; None = one caliber throughout

    def __post_init__(self) -> None:
        n = len(self.years)
        object.__setattr__(self, "derived", _array(self.derived, bool, n, False))
        object.__setattr__(self, "level_sd", _array(self.level_sd, float, n, 0.0))
        object.__setattr__(self, "caliber", _array(self.caliber, int, n, 0))

    @classmethod
    def from_series(cls, levels: pd.Series, growth: pd.Series | None = None, derived: pd.Series | None = None,
                    level_sd: pd.Series | None = None, caliber: pd.Series | None = None, **kw) -> "SeriesData":
        """From year-indexed series; derived, level_sd, caliber aligned to the levels kept (missing: False / 0 / 0)."""
        levels = levels.dropna().sort_index()
        levels = levels[levels > 0]
        growth = (growth if growth is not None else pd.Series(dtype=float)).dropna().sort_index()
        der = (derived if derived is not None else pd.Series(dtype=bool)).reindex(levels.index).fillna(False)
        sd = (level_sd if level_sd is not None else pd.Series(dtype=float)).reindex(levels.index).fillna(0.0)
        cal = (caliber if caliber is not None else pd.Series(dtype=int)).reindex(levels.index).fillna(0)
        return cls(levels.index.to_numpy(int), levels.to_numpy(float), growth.index.to_numpy(int),
                   growth.to_numpy(float), derived=der.to_numpy(bool), level_sd=sd.to_numpy(float),
                   caliber=cal.to_numpy(int), **kw)

    @property
    def n(self) -> int:
        return len(self.years)

    def _subset(self, keep: np.ndarray) -> "SeriesData":
        return SeriesData(self.years[keep], self.values[keep], self.growth_years, self.growth_pct,
                          self.pandemic_dummy_years, self.derived[keep], self.level_sd[keep], self.caliber[keep])

    def observed_levels(self) -> "SeriesData":
        """The levels that are observations in their own right (not derived from printed growth)."""
        return self._subset(~self.derived)

    @property
    def multi_caliber(self) -> bool:
        return bool(self.n) and bool(np.any(self.caliber != self.caliber[-1]))

    def latest_caliber(self) -> "SeriesData":
        """The levels on the last level's caliber: what a trend through levels may be fitted on."""
        return self._subset(self.caliber == self.caliber[-1]) if self.n else self

    def comparable_changes(self, prior_log_sd: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(log changes, years spanned, ages, weights) of the levels, only where they measure growth.

        One caliber: the changes between consecutive levels (the plain random walk's data). Several (a
        total re-benchmarked at an economic census): a ratio of levels on two calibers mixes growth with
        the re-benchmarking, so such a change is left out, and every printed comparable growth rate (可比口径)
        of a year no kept change covers counts, one year each (before the first level or after the last
        too: a rate is growth whatever levels surround it). Why: a statistician chains comparable growth
        across a census and never reads a level ratio across it as growth; old pre-census anchors then
        enter the drift only through their own year's printed rate. Within one caliber a level ratio is
        still only approximately comparable (scope and enforcement change every year): an approximation.
        Weights: a figure that may still be revised (预计, a mirrored copy: level_sd) says less about the
        drift; a change's weight is the share of its variance that is growth, s^2 k / (s^2 k + sd_a^2 +
        sd_b^2), with s the prior's yearly log sd (not each path's: a path with a far smaller sigma would
        deserve smaller weights) and without the persistence of growth in spells (VolatilityPrior): 1 for
        exact figures. A printed rate takes its year's level's revision sd (0 when the year has no level).
        """
        if self.n < 2:
            return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)
        y, k = np.log(self.values), np.diff(self.years).astype(float)
        same = self.caliber[1:] == self.caliber[:-1]
        changes, gaps = list(np.diff(y)[same]), list(k[same])
        mids = list(((self.years[:-1] + self.years[1:]) / 2)[same])
        noise = list((self.level_sd[:-1] ** 2 + self.level_sd[1:] ** 2)[same])
        if not same.all():
            covered = {int(t) for a, b in zip(self.years[:-1][same], self.years[1:][same]) for t in range(a + 1, b + 1)}
            sd_by_year = dict(zip(self.years.tolist(), self.level_sd.tolist()))
            for t, g in zip(self.growth_years.tolist(), self.growth_pct.tolist()):
                if t not in covered and np.isfinite(g) and g > -100:
                    changes.append(float(np.log1p(g / 100.0)))
                    gaps.append(1.0)
                    mids.append(t - 0.5)
                    noise.append(sd_by_year.get(t, 0.0) ** 2)
        gaps_a = np.asarray(gaps, dtype=float)
        ages = self.years[-1] - np.asarray(mids, dtype=float) - 0.5
        growth_var = prior_log_sd ** 2 * gaps_a
        weights = growth_var / (growth_var + np.asarray(noise, dtype=float)) if len(gaps_a) else gaps_a
        return np.asarray(changes, dtype=float), gaps_a, ages, weights

    def yearly_log_sd(self, prior: VolatilityPrior) -> float:
        """Posterior point value of the yearly log sd: prior combined with the random-walk estimate of the levels
        (or of the printed growth when levels give none). Used to size the year-to-date nowcast error."""
        obs = self.observed_levels()
        dy, k, ages, _ = obs.comparable_changes(prior.log_sd)
        if len(dy) >= 2:
            mu = dy.sum() / k.sum()
            return prior.posterior_sd(*prior.recent_evidence(dy - mu * k, k, ages, len(dy) - 1))
        g = np.log1p(self.growth_pct / 100.0)
        if len(g) >= 2:
            return prior.posterior_sd(*prior.yearly_evidence(g - g.mean(), self.years[-1] - self.growth_years))
        return prior.posterior_sd(0.0, 0)
