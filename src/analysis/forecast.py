"""Trend forecasts for short yearly series with missing years, as simulated paths.

Every member works on the log of the yearly level, sees only observed years
(missing years stay missing; nothing is interpolated) and returns seeded
simulated future paths, so that any question about the future (the level in
2024, the average growth 2021-2024, a sum of additions) is answered by
counting paths. Members (forecast_members.py):

- log_linear: OLS trend on the recent years;
- random_walk_drift: drift estimated over gaps;
- damped_trend: ARIMA(1,1,1) without constant (statsmodels SARIMAX state
  space; the Kalman filter skips missing years), admitted only from about
  ten points and only when the fit is not degenerate;
- theta: the Theta method (statsmodels), on the latest run of consecutive years;
- growth_rates: printed year-on-year growth (可比口径).

Honest uncertainty for short series (issue 9):

- Volatility and drift: every member combines its own estimate with a prior
  learnt from M3 yearly series (uncertainty.VolatilityPrior), so bands widen
  smoothly as data thin and never collapse; no caps or floors.
- Derived levels (computed from printed growth) are NOT estimation data for
  the level members: their information is the printed growth, which feeds the
  growth_rates member, and counting it again as level observations would
  narrow the bands for no new information. They still set the ONE origin of
  the forecast (the last year with a level, derived or not), from which every
  member's paths start: level members estimate drift and volatility on the
  non-derived levels and their simulated changes are re-anchored at the origin.
- Measurement error: the origin level carries its revision sd (SeriesData.level_sd,
  from uncertainty.measurement_sd by status, reliability, qualifier, derived):
  each path starts from origin level x exp(N(0, sd)), the same draw for every member.
- Year-to-date news (nowcast_with_ytd): applied per path, to the ensemble and
  every member, from the previous year's simulated level when that year is unknown.
- Seeds by indicator and member name, so running a subset of members leaves
  the others' paths unchanged.
- Interval width by history length and horizon (calibrate_width, settings
  forecast.width_calibration): each member's spread about its median is
  stretched or shrunk by an out-of-sample factor, because members treat the
  drift as fixed (too wide one or two years ahead, too narrow five or six).
- Warnings raised while fitting are recorded in Forecast.notes; a member whose
  fit is degenerate is dropped with its reason in Forecast.dropped.

Trends are damped (settings: forecast.trend_damping) because extrapolated
yearly trends overshoot (Gardner & McKenzie 1985). The ensemble is an
equal-weight mixture of the members that could be fitted.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from .forecast_members import (Degenerate, damped_sum, damped_trend, growth_rates, log_linear,  # noqa: F401
                               random_walk_drift, simulate_state_space, theta)
from .uncertainty import VolatilityPrior, change_ages, measurement_sd, seed_for, ytd_error_sd  # noqa: F401  (public API)

log = logging.getLogger(__name__)

QUANTILES = (0.025, 0.10, 0.25, 0.50, 0.75, 0.90, 0.975)
DEFAULT_YTD = {"rest_of_year_factor": 1.0, "revision_sd": 0.01}


@dataclass(frozen=True)
class ForecastSettings:
    n_paths: int = 5000
    seed: int = 20220222
    trend_damping: float = 0.8
    ols_window_years: int = 12
    min_points: dict = field(default_factory=lambda: {"log_linear": 3, "random_walk_drift": 2, "damped_trend": 10,
                                                      "theta": 6, "growth_rates": 2})
    prior: VolatilityPrior = field(default_factory=VolatilityPrior)
    ytd: dict = field(default_factory=lambda: dict(DEFAULT_YTD))
    max_abs_ma: float = 0.95        # damped_trend: |MA| above this is a boundary fit
    max_coef_se: float = 1.0        # damped_trend: AR/MA live in (-1, 1); a larger s.e. means unidentified
    # empirical width calibration: ((min_points, (k_h1, ..., k_hH)), ...) ascending in min_points; () = none
    width_scale: tuple = ()

    @classmethod
    def from_config(cls, settings: dict) -> "ForecastSettings":
        f = settings["forecast"]
        return cls(n_paths=int(f["n_paths"]), seed=int(f["seed"]), trend_damping=float(f["trend_damping"]),
                   ols_window_years=int(f["ols_window_years"]), min_points=dict(f["min_points"]),
                   prior=VolatilityPrior.from_config(f["prior"]), ytd=dict(f["ytd"]),
                   max_abs_ma=float(f["damped_trend"]["max_abs_ma"]), max_coef_se=float(f["damped_trend"]["max_coef_se"]),
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


def _array(x, dtype, n: int, fill) -> np.ndarray:
    return np.full(n, fill, dtype=dtype) if x is None else np.asarray(x, dtype=dtype)


@dataclass(frozen=True)
class SeriesData:
    """What a forecast may use: observed yearly levels (gaps allowed) and printed growth rates.

    derived: per level, True where the level was computed from printed growth
    (it then sets the origin but is no estimation data for the level members);
    level_sd: per level, the log-scale revision sd of the figure (0 = exact).
    """

    years: np.ndarray                  # observed years, ascending
    values: np.ndarray                 # levels (> 0)
    growth_years: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    growth_pct: np.ndarray = field(default_factory=lambda: np.array([], dtype=float))
    pandemic_dummy_years: tuple[int, ...] = ()   # years given their own level shift in log_linear
    derived: np.ndarray | None = None            # bool per level; None = none derived
    level_sd: np.ndarray | None = None           # float per level; None = all exact

    def __post_init__(self) -> None:
        n = len(self.years)
        object.__setattr__(self, "derived", _array(self.derived, bool, n, False))
        object.__setattr__(self, "level_sd", _array(self.level_sd, float, n, 0.0))

    @classmethod
    def from_series(cls, levels: pd.Series, growth: pd.Series | None = None, derived: pd.Series | None = None,
                    level_sd: pd.Series | None = None, **kw) -> "SeriesData":
        """From year-indexed series; derived and level_sd are aligned to the levels kept (missing: False / 0)."""
        levels = levels.dropna().sort_index()
        levels = levels[levels > 0]
        growth = (growth if growth is not None else pd.Series(dtype=float)).dropna().sort_index()
        der = (derived if derived is not None else pd.Series(dtype=bool)).reindex(levels.index).fillna(False)
        sd = (level_sd if level_sd is not None else pd.Series(dtype=float)).reindex(levels.index).fillna(0.0)
        return cls(levels.index.to_numpy(int), levels.to_numpy(float), growth.index.to_numpy(int),
                   growth.to_numpy(float), derived=der.to_numpy(bool), level_sd=sd.to_numpy(float), **kw)

    @property
    def n(self) -> int:
        return len(self.years)

    def observed_levels(self) -> "SeriesData":
        """The levels that are observations in their own right (not derived from printed growth)."""
        keep = ~self.derived
        return SeriesData(self.years[keep], self.values[keep], self.growth_years, self.growth_pct,
                          self.pandemic_dummy_years, self.derived[keep], self.level_sd[keep])

    def yearly_log_sd(self, prior: VolatilityPrior) -> float:
        """Posterior point value of the yearly log sd: prior combined with the random-walk estimate of the levels
        (or of the printed growth when levels give none). Used to size the year-to-date nowcast error."""
        obs = self.observed_levels()
        if obs.n >= 3:
            k, dy = np.diff(obs.years).astype(float), np.diff(np.log(obs.values))
            mu = dy.sum() / k.sum()
            return prior.posterior_sd(*prior.recent_evidence(dy - mu * k, k, change_ages(obs.years),
                                                             len(dy) - 1))
        g = np.log1p(self.growth_pct / 100.0)
        if len(g) >= 2:
            return prior.posterior_sd(*prior.yearly_evidence(g - g.mean(), self.years[-1] - self.growth_years))
        return prior.posterior_sd(0.0, 0)


@dataclass
class Forecast:
    """Simulated levels for future years: the ensemble and each member, plus what was dropped and why."""

    years: list[int]                            # future years, origin + 1 ...
    origin: int                                 # last year with a level (derived or not); paths start there
    paths: np.ndarray                           # (n_paths, len(years)) levels, the ensemble
    members: dict[str, np.ndarray]              # member -> (n, len(years)) levels
    dropped: dict[str, str]                     # member -> reason
    notes: list[str] = field(default_factory=list)
    start: dict[str, np.ndarray] = field(default_factory=dict)   # 'ensemble' / member -> origin level per path
    log_sd: float = float("nan")                # posterior yearly log sd of the series (sizes the nowcast error)
    n_points: int = 0                           # levels the forecast rests on (derived included)

    def at(self, year: int, member: str | None = None) -> np.ndarray:
        """Simulated levels in one future year."""
        paths = self.paths if member is None else self.members[member]
        return paths[:, self.years.index(year)]

    def quantiles(self, member: str | None = None) -> pd.DataFrame:
        paths = self.paths if member is None else self.members[member]
        q = np.quantile(paths, QUANTILES, axis=0)
        return pd.DataFrame(q.T, index=pd.Index(self.years, name="year"), columns=[f"q{p:g}" for p in QUANTILES])


class InsufficientData(ValueError):
    """Fewer usable points than any member needs: the verdict is 'insufficient data'."""


MEMBERS: dict[str, Callable] = {
    "log_linear": log_linear,
    "random_walk_drift": random_walk_drift,
    "damped_trend": damped_trend,
    "theta": theta,
    "growth_rates": growth_rates,
}


def _mix(members: dict[str, np.ndarray]) -> np.ndarray:
    """The ensemble: an equal share of every member's paths (the first paths of each, so seeds stay aligned)."""
    share = min(len(p) for p in members.values()) // len(members)
    return np.concatenate([p[:share] for p in members.values()], axis=0)


def _fit_member(name: str, d: SeriesData, last_year: int, rng: np.random.Generator,
                settings: ForecastSettings) -> tuple[np.ndarray, list[str]]:
    """One member's log paths for the years after d's last year up to last_year, and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logp = MEMBERS[name](d, last_year - int(d.years[-1]), settings.n_paths, rng, settings)
    return logp, list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


# ---------------------------------------------------------------- ensemble --
def forecast_series(d: SeriesData, last_year: int, settings: ForecastSettings, key: str = "series",
                    members: tuple[str, ...] | None = None) -> Forecast:
    """Simulate years origin+1 .. last_year with every member that can be fitted, and their mixture.

    Raises InsufficientData with fewer than two observed years (and no printed growth to go on).
    """
    members = members or tuple(MEMBERS)
    if d.n < 1 or (d.n < 2 and len(d.growth_pct) < settings.min_points["growth_rates"]):
        raise InsufficientData(f"{d.n} observed year(s): at least two are needed")
    origin = int(d.years[-1])
    if last_year - origin < 1:
        raise ValueError(f"nothing to forecast: the last observed year {origin} is not before {last_year}")
    start_log = float(np.log(d.values[-1]))
    # members see the levels relative to the last one, their logs rounded to 1e-10: a forecast of c x y is then
    # c x the forecast of y. Without it the damped trend's likelihood, flat on a short series, sent the optimiser
    # elsewhere for the last-bit differences a change of unit makes (admitted in yuan, dropped in 亿元)
    d = replace(d, values=np.exp(np.round(np.log(d.values / d.values[-1]), 10)))
    obs = d.observed_levels()
    n = settings.n_paths
    # measurement error of the origin level: one draw per path, shared by every member
    origin_shift = np.random.default_rng(seed_for(f"{key}/origin", settings.seed)).standard_normal(n) * d.level_sd[-1]
    fitted: dict[str, np.ndarray] = {}
    dropped: dict[str, str] = {}
    notes: list[str] = []
    for name in members:
        rng = np.random.default_rng(seed_for(f"{key}/{name}", settings.seed))
        src = d if name == "growth_rates" else obs
        need = settings.min_points.get(name, 2)
        have = len(d.growth_pct) if name == "growth_rates" else obs.n
        if have < need:
            what = "printed growth rates" if name == "growth_rates" else "observed (non-derived) levels"
            dropped[name] = f"needs {need} points, has {have} {what}"
            continue
        try:
            logp, caught = _fit_member(name, src, last_year, rng, settings)
            notes += [f"{name}: {w}" for w in caught]
            if logp.shape != (n, last_year - int(src.years[-1])) or not np.all(np.isfinite(logp)):
                raise Degenerate("paths are not finite")
            lag = origin - int(src.years[-1])        # years between the member's last observation and the origin
            base = logp[:, lag - 1] if lag > 0 else np.log(src.values[-1])
            logp = logp[:, lag:] - np.reshape(base, (-1, 1))
            used = len(src.growth_pct) + 1 if name == "growth_rates" else src.n
            logp = calibrate_width(logp, settings.width_factors(used, logp.shape[1])) + start_log + origin_shift[:, None]
            if np.abs(logp - start_log).max() > 50:     # heavy tails are honest; e^50 is a broken fit
                raise Degenerate("paths diverge (a factor above e^50)")
            fitted[name] = np.exp(logp)
        except Degenerate as exc:
            dropped[name] = str(exc)
        except Exception as exc:  # a failed member is dropped, never fatal
            dropped[name] = f"fit failed: {type(exc).__name__}: {exc}"
        if name in dropped:
            log.info("forecast %s: member %s dropped (%s)", key, name, dropped[name])
    if not fitted:
        raise InsufficientData("no member could be fitted: " + "; ".join(f"{k}: {v}" for k, v in dropped.items()))
    start = np.exp(start_log + origin_shift)
    starts = {name: start for name in fitted}
    starts["ensemble"] = _mix(dict(starts))     # the same slicing as the ensemble's paths
    return Forecast(list(range(origin + 1, last_year + 1)), origin, _mix(fitted), fitted, dropped, notes,
                    start=starts, log_sd=d.yearly_log_sd(settings.prior), n_points=d.n)


def nowcast_with_ytd(fc: Forecast, year: int, growth_pct: float, months: int, settings: ForecastSettings,
                     key: str = "series") -> Forecast:
    """Move `year` (and the later years with it) to the year-to-date growth applied to each path's previous year.

    Per path: level[year] = level[year - 1] x (1 + growth) x exp(N(0, sd_m)),
    where level[year - 1] is the path's own simulated level when that year is
    unknown, or its (measurement-noisy) origin level; sd_m is
    uncertainty.ytd_error_sd(months, fc.log_sd). The ensemble and every member
    move with the same draws, so per-member P(met) is post-YTD too.
    """
    if year not in fc.years or not np.isfinite(growth_pct) or growth_pct <= -100:
        return fc
    j = fc.years.index(year)
    sd = ytd_error_sd(months, fc.log_sd, settings.ytd)
    n = max([len(fc.paths), *(len(p) for p in fc.members.values())])
    draws = np.random.default_rng(seed_for(f"{key}/ytd/{year}", settings.seed)).standard_normal(n)

    def move(paths: np.ndarray, start: np.ndarray | None) -> np.ndarray:
        logp = np.log(paths)
        if j == 0 and start is None:
            raise ValueError("the origin level per path is unknown (Forecast.start)")
        prev = np.log(start) if j == 0 else logp[:, j - 1]
        new = prev + np.log1p(growth_pct / 100.0) + draws[: len(paths)] * sd
        logp[:, j:] += (new - logp[:, j])[:, None]
        return np.exp(logp)

    members = {k: move(p, fc.start.get(k)) for k, p in fc.members.items()}
    paths = _mix(members) if members else move(fc.paths, fc.start.get("ensemble"))
    note = (f"{year}: year-to-date growth {growth_pct:+.1f}% (1-{months}月) applied to each path's "
            f"{'origin' if j == 0 else str(year - 1)} level, error sd {sd:.3f} (log)")
    return Forecast(fc.years, fc.origin, paths, members, fc.dropped, fc.notes + [note], fc.start, fc.log_sd, fc.n_points)
