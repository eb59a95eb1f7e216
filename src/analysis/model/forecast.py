"""Trend forecasts for short yearly series with missing years, as simulated paths.

Every member works on the log of the yearly level, sees only observed years
(missing years stay missing; nothing is interpolated) and returns seeded
simulated future paths, so that any question about the future (the level in
2024, the average growth 2021-2024, a sum of additions) is answered by
counting paths. Members (forecast_members.py):

- log_linear: OLS trend on the recent years;
- random_walk_drift: drift estimated over gaps;
- random_walk_undamped: the same drift, undamped (growth that persists);
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
- Neighbours' news (nowcast_with_peers): a year no home figure covers but a
  neighbouring region printed growth for is combined with that reading, path by path.
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

from analysis.model.forecast_members import (Degenerate, damped_trend, growth_rates, log_linear, random_walk_drift,
                                             random_walk_undamped, theta)
from analysis.model.series import ForecastSettings, SeriesData, calibrate_width  # noqa: F401  (public API)
from analysis.model.uncertainty import measurement_sd, seed_for, ytd_error_sd  # noqa: F401  (public API)

log = logging.getLogger(__name__)

QUANTILES = (0.025, 0.10, 0.25, 0.50, 0.75, 0.90, 0.975)
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
    peer_years: tuple[int, ...] = ()            # years moved by what neighbouring regions printed (nowcast_with_peers)
    peer_rows: tuple[tuple[int, str], ...] = ()   # (year, obs_id) of the neighbours' rows that moved them
    calibers: int = 1                           # calibers among the observed levels (economic census re-benchmarks)

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
    "random_walk_undamped": random_walk_undamped,
    "damped_trend": damped_trend,
    "theta": theta,
    "growth_rates": growth_rates,
}


# members that read the drift from comparable changes (SeriesData.comparable_changes) and so may see levels of
# several calibers; the others fit a trend through levels and see the latest caliber only
CHAINED = ("random_walk_drift", "random_walk_undamped")


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
    if obs.multi_caliber:
        notes.append(f"levels on {len(set(obs.caliber.tolist()))} calibers (an economic census re-benchmarked the "
                     f"total): trend members fit the levels since {int(obs.latest_caliber().years[0])} only; the "
                     "random walks chain printed comparable growth across a census, never a ratio of levels, and "
                     "weigh revisable figures (预计, copies) less")
    for name in members:
        rng = np.random.default_rng(seed_for(f"{key}/{name}", settings.seed))
        src = d if name == "growth_rates" else obs if name in CHAINED else obs.latest_caliber()
        need = settings.min_points.get(name, 2)
        have = len(d.growth_pct) if name == "growth_rates" else src.n
        if have < need:
            what = ("printed growth rates" if name == "growth_rates" else "observed (non-derived) levels"
                    + (" on the caliber of the latest level (an economic census re-benchmarked the others)"
                       if src.n < obs.n else ""))
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
                    start=starts, log_sd=d.yearly_log_sd(settings.prior), n_points=d.n,
                    calibers=max(len(set(obs.caliber.tolist())), 1))


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
    what = "printed full-year growth" if months >= 12 else f"year-to-date growth {growth_pct:+.1f}% (1-{months}月)"
    note = (f"{year}: {what}{f' {growth_pct:+.1f}%' if months >= 12 else ''} applied to each path's "
            f"{'origin' if j == 0 else str(year - 1)} level, error sd {sd:.3f} (log)")
    return replace(fc, paths=paths, members=members, notes=fc.notes + [note])


def nowcast_with_peers(fc: Forecast, year: int, log_growth: float, sd: float, key: str, seed: int,
                       obs_ids: tuple[str, ...] = (), max_surprise: float = 4.0) -> Forecast:
    """Combine each path's growth in `year` with a noisy reading of it (what neighbouring regions printed).

    The ensemble Kalman update with perturbed observations (Burgers, van Leeuwen and Evensen 1998), per member:
    each path's growth g becomes (1 - k) g + k (reading + sd z), k = s^2 / (s^2 + sd^2). For normal growth this is
    the exact posterior (mean moved by k times the surprise, variance (1 - k) s^2), path by path, so later years
    move with their year as in nowcast_with_ytd. The paths' growth is heavy-tailed (a mixture of members, each
    with a drawn volatility), so s is a robust spread (1.4826 x the median absolute deviation): a few wild paths
    do not buy the reading its weight. For such growth the update is an approximation (reweighting the same paths
    by the reading's likelihood gave P within a point or two on the shipped retail series).
    A reading more than max_surprise robust sds of (paths and reading together) from the paths' median is not
    used (a gross slip in a neighbour's figure, or a break the paths cannot follow): it is named in the notes.
    """
    if year not in fc.years or not np.isfinite(log_growth) or not sd > 0:
        return fc
    j = fc.years.index(year)

    def growth(paths: np.ndarray, start: np.ndarray | None) -> np.ndarray:
        if j == 0 and start is None:
            raise ValueError("the origin level per path is unknown (Forecast.start)")
        return np.log(paths[:, j]) - (np.log(start) if j == 0 else np.log(paths[:, j - 1]))

    def robust_var(g: np.ndarray) -> float:
        return float((1.4826 * np.median(np.abs(g - np.median(g)))) ** 2)

    ens = growth(fc.paths, fc.start.get("ensemble"))
    surprise = abs(log_growth - float(np.median(ens))) / np.sqrt(robust_var(ens) + sd ** 2)
    reading = f"{year}: growth in neighbouring areas {np.expm1(log_growth) * 100:+.1f}% (error sd {sd:.3f}, log)"
    if surprise > max_surprise:
        return replace(fc, notes=fc.notes + [f"{reading} not used: {surprise:.1f} robust sds from the paths' median "
                                             f"(more than {max_surprise:g}); check the figure"])
    n = max([len(fc.paths), *(len(p) for p in fc.members.values())])
    draws = np.random.default_rng(seed_for(f"{key}/peers/{year}", seed)).standard_normal(n)
    gains: list[float] = []

    def move(paths: np.ndarray, start: np.ndarray | None) -> np.ndarray:
        logp, g = np.log(paths), growth(paths, start)
        s2 = robust_var(g)
        k = s2 / (s2 + sd ** 2)
        gains.append(k)
        new = (1.0 - k) * g + k * (log_growth + sd * draws[: len(paths)])
        logp[:, j:] += (new - g)[:, None]
        return np.exp(logp)

    members = {m: move(p, fc.start.get(m)) for m, p in fc.members.items()}
    paths = _mix(members) if members else move(fc.paths, fc.start.get("ensemble"))
    note = f"{reading} combined with each path's growth, weight {min(gains):.2f}-{max(gains):.2f}"
    return replace(fc, paths=paths, members=members, notes=fc.notes + [note], peer_years=(*fc.peer_years, year),
                   peer_rows=(*fc.peer_rows, *((year, o) for o in obs_ids)))
