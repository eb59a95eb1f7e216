"""Trend forecasts for short yearly series with missing years, as simulated paths.

Every member works on the log of the yearly level, sees only observed years
(missing years stay missing; nothing is interpolated) and returns seeded
simulated future paths, so that any question about the future (the level in
2024, the average growth 2021-2024, a sum of additions) is answered by
counting paths. Members:

- log_linear: OLS trend on the recent years, with parameter uncertainty;
- random_walk_drift: drift estimated over gaps, with its uncertainty;
- damped_trend: damped local trend, ARIMA(1,1,1) without constant
  (statsmodels SARIMAX state space; the Kalman filter skips missing years);
- theta: the Theta method (statsmodels), on the latest run of consecutive years;
- growth_rates: printed year-on-year growth (可比口径), for indicators whose
  levels are scarce but whose growth is printed.

Trends are damped (settings: forecast.trend_damping) because extrapolated
yearly trends overshoot; this is the one choice the M3 benchmark most
rewards, and it is a general one (Gardner & McKenzie 1985), not fitted to M3.
The ensemble is an equal-weight mixture of the members that could be fitted;
a member that fails is dropped with its reason and never stops the run.
"""
from __future__ import annotations

import logging
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

QUANTILES = (0.025, 0.10, 0.25, 0.50, 0.75, 0.90, 0.975)


@dataclass(frozen=True)
class ForecastSettings:
    n_paths: int = 5000
    seed: int = 20220222
    trend_damping: float = 0.8
    ols_window_years: int = 12
    fallback_log_sd: float = 0.10
    min_points: dict = field(default_factory=lambda: {"log_linear": 3, "random_walk_drift": 2, "damped_trend": 5,
                                                      "theta": 4, "growth_rates": 2})

    @classmethod
    def from_config(cls, settings: dict) -> "ForecastSettings":
        f = settings["forecast"]
        return cls(int(f["n_paths"]), int(f["seed"]), float(f["trend_damping"]), int(f["ols_window_years"]),
                   float(f["fallback_log_sd"]), dict(f["min_points"]))


@dataclass(frozen=True)
class SeriesData:
    """What a forecast may use: observed yearly levels (gaps allowed) and printed growth rates."""

    years: np.ndarray                  # observed years, ascending
    values: np.ndarray                 # levels (> 0)
    growth_years: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    growth_pct: np.ndarray = field(default_factory=lambda: np.array([], dtype=float))
    pandemic_dummy_years: tuple[int, ...] = ()   # years given their own level shift in log_linear

    @classmethod
    def from_series(cls, levels: pd.Series, growth: pd.Series | None = None, **kw) -> "SeriesData":
        levels = levels.dropna().sort_index()
        levels = levels[levels > 0]
        growth = (growth if growth is not None else pd.Series(dtype=float)).dropna().sort_index()
        return cls(levels.index.to_numpy(int), levels.to_numpy(float),
                   growth.index.to_numpy(int), growth.to_numpy(float), **kw)

    @property
    def n(self) -> int:
        return len(self.years)


@dataclass
class Forecast:
    """Simulated levels for future years: the ensemble and each member, plus what was dropped and why."""

    years: list[int]                            # future years, origin + 1 ...
    origin: int                                 # last observed year the paths start from
    paths: np.ndarray                           # (n_paths, len(years)) levels, the ensemble
    members: dict[str, np.ndarray]              # member -> (n, len(years)) levels
    dropped: dict[str, str]                     # member -> reason
    notes: list[str] = field(default_factory=list)

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


# ----------------------------------------------------------------- helpers --
def _damped_sum(phi: float, h: int) -> np.ndarray:
    """sum_{j=1..k} phi^j for k = 1..h: how far a damped trend moves in k years."""
    return np.cumsum(phi ** np.arange(1, h + 1))


SIGMA_CAP = 4.0   # a drawn sd is kept below this multiple of the estimate


def _sigma_draws(sigma: float, dof: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Residual sd with its uncertainty: sigma^2 * dof / chi2(dof), capped at SIGMA_CAP * sigma.

    With one or two degrees of freedom the scaled inverse chi-square has tails
    so heavy that a few paths explode; the cap keeps every path finite while
    leaving the bands of short series much wider than those of long ones.
    """
    if dof < 1:
        return np.full(n, sigma)
    return np.minimum(sigma * np.sqrt(dof / rng.chisquare(dof, n)), SIGMA_CAP * sigma)


def seed_for(key: str, base_seed: int) -> int:
    """A stable seed per series, independent of the order in which series are run."""
    return (base_seed * 1_000_003 + zlib.crc32(key.encode("utf-8"))) % (2**32)


# ----------------------------------------------------------------- members --
def log_linear(d: SeriesData, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """Log-linear trend: OLS slope over the last ols_window_years, damped ahead, from the last observation.

    The slope is the OLS growth rate of the recent window (with optional
    pandemic-year dummies); paths start at the last observed level rather
    than at the fitted line, because yearly economic series wander rather
    than return to a fixed line. Uncertainty: the slope drawn from its OLS
    sampling distribution, and yearly shocks that accumulate (sd of the
    deviations of yearly changes from the slope, gaps counted in years).
    """
    keep = d.years > d.years[-1] - s.ols_window_years
    t, y = d.years[keep].astype(float), np.log(d.values[keep])
    dummies = [yr for yr in d.pandemic_dummy_years if yr in set(d.years[keep].tolist())]
    X = np.column_stack([np.ones_like(t), t - t[-1]] + [(t == yr).astype(float) for yr in dummies])
    dof = len(y) - X.shape[1]
    if dof < 1:
        raise ValueError(f"{len(y)} points in the window leave no degree of freedom")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    se_slope = float(np.sqrt(resid @ resid / dof * np.linalg.inv(X.T @ X)[1, 1]))
    k, dy = np.diff(t), np.diff(y)
    shock_sd = float(np.sqrt(np.sum((dy - beta[1] * k) ** 2 / k) / max(len(dy) - 1, 1))) if len(dy) > 1 else s.fallback_log_sd
    sig = _sigma_draws(max(shock_sd, 1e-6), max(len(dy) - 1, 0), n, rng)
    slope = beta[1] + rng.standard_normal(n) * se_slope * sig / max(shock_sd, 1e-6)
    steps = rng.standard_normal((n, h)) * sig[:, None]
    return y[-1] + slope[:, None] * _damped_sum(s.trend_damping, h)[None, :] + np.cumsum(steps, axis=1)


def random_walk_drift(d: SeriesData, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """Random walk with (damped) drift; gaps of k years count as k steps."""
    y = np.log(d.values)
    k = np.diff(d.years).astype(float)
    dy = np.diff(y)
    span = d.years[-1] - d.years[0]
    mu = (y[-1] - y[0]) / span
    if len(dy) >= 2:
        sigma = float(np.sqrt(np.sum((dy - mu * k) ** 2 / k) / (len(dy) - 1)))
        dof = len(dy) - 1
    else:
        sigma, dof = s.fallback_log_sd, 0
    sig = _sigma_draws(max(sigma, 1e-6), dof, n, rng)
    mus = mu + rng.standard_normal(n) * sig / np.sqrt(span)
    steps = rng.standard_normal((n, h)) * sig[:, None]
    return y[-1] + mus[:, None] * _damped_sum(s.trend_damping, h)[None, :] + np.cumsum(steps, axis=1)


def damped_trend(d: SeriesData, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """Damped local trend: ARIMA(1,1,1) without constant on log levels (statsmodels SARIMAX state space).

    The local growth rate decays by the AR coefficient each year, so the
    trend is damped towards no growth; the moving-average term smooths the
    local growth like exponential smoothing. The Kalman filter skips the
    missing years of the yearly grid. (A damped-trend exponential smoothing
    fitted by maximum likelihood piles up at a near-deterministic trend on
    short series: 19.3 sMAPE and 50 % coverage of its 80 % intervals on M3,
    against 16-17 here; see benchmarks/results/m3_yearly.md.)
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    grid = pd.Series(np.nan, index=np.arange(d.years[0], d.years[-1] + 1))
    grid[d.years] = np.log(d.values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = SARIMAX(grid.to_numpy(), order=(1, 1, 1), trend="n").fit(disp=False, maxiter=200)
    return simulate_state_space(res, h, n, rng)


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """A square root of a covariance matrix that may be singular."""
    w, v = np.linalg.eigh((cov + cov.T) / 2)
    return v * np.sqrt(np.clip(w, 0, None))


def simulate_state_space(res, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Paths of a fitted (time-invariant) statsmodels state-space model from its last filtered state.

    Vectorised over paths, unlike MLEResults.simulate; the starting state is
    drawn from its filtered distribution, so state uncertainty is included.
    """
    res.model.update(res.params)                  # the system matrices at the fitted parameters
    ssm = res.model.ssm

    def matrix(name: str) -> np.ndarray:
        m = np.asarray(ssm[name])
        return m[:, :, 0] if m.ndim == 3 else m

    T, Z, R, Q, H = (matrix(m) for m in ("transition", "design", "selection", "state_cov", "obs_cov"))
    x = res.filtered_state[:, -1] + rng.standard_normal((n, T.shape[0])) @ _psd_sqrt(res.filtered_state_cov[:, :, -1]).T
    q_sqrt, h_sqrt = _psd_sqrt(Q), _psd_sqrt(H)
    paths = np.empty((n, h))
    for j in range(h):
        x = x @ T.T + (rng.standard_normal((n, Q.shape[0])) @ q_sqrt.T) @ R.T
        paths[:, j] = (x @ Z.T + rng.standard_normal((n, H.shape[0])) @ h_sqrt.T)[:, 0]
    if not np.all(np.isfinite(paths)):
        raise ValueError("simulation diverged")
    return paths


def theta(d: SeriesData, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """Theta method (SES with drift = half the linear trend) on the latest run of consecutive years.

    Paths: the Theta forecast plus SES errors (each error also moves the level
    by alpha), with the drift drawn from its OLS sampling distribution.
    """
    from statsmodels.tsa.forecasting.theta import ThetaModel

    gaps = np.where(np.diff(d.years) > 1)[0]
    start = gaps[-1] + 1 if len(gaps) else 0
    y = np.log(d.values[start:])
    if len(y) < s.min_points["theta"]:
        raise ValueError(f"only {len(y)} consecutive years at the end of the series")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ThetaModel(y, period=1, deseasonalize=False).fit()
        point = np.asarray(res.forecast(h, theta=2))
    alpha = float(np.clip(res.params["alpha"], 1e-3, 1.0))
    b0 = float(res.params["b0"])
    t = np.arange(len(y), dtype=float)
    resid_ols = y - np.polyval(np.polyfit(t, y, 1), t)
    se_b0 = np.sqrt(resid_ols @ resid_ols / max(len(y) - 2, 1) / np.sum((t - t.mean()) ** 2))
    # one-step SES errors give sigma
    level, errs = y[0], []
    for obs in y[1:]:
        errs.append(obs - level - b0 / 2)
        level += alpha * (obs - level)
    sigma = float(np.std(errs, ddof=1)) if len(errs) > 1 else s.fallback_log_sd
    sig = _sigma_draws(max(sigma, 1e-6), max(len(errs) - 1, 0), n, rng)
    e = rng.standard_normal((n, h)) * sig[:, None]
    level_moves = np.concatenate([np.zeros((n, 1)), alpha * np.cumsum(e, axis=1)[:, :-1]], axis=1)
    drift_draw = (rng.standard_normal(n) * se_b0 / 2)[:, None] * np.arange(1, h + 1)[None, :]
    return point[None, :] + level_moves + e + drift_draw


def growth_rates(d: SeriesData, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """Printed year-on-year growth: log(1+g) as normal with estimated mean (damped ahead) and sd, from the last level."""
    if len(d.growth_pct) < s.min_points["growth_rates"]:
        raise ValueError(f"only {len(d.growth_pct)} printed growth rates")
    g = np.log1p(d.growth_pct / 100.0)
    m = float(np.mean(g))
    sd = float(np.std(g, ddof=1)) if len(g) > 1 else s.fallback_log_sd
    sig = _sigma_draws(max(sd, 1e-6), len(g) - 1, n, rng)
    ms = m + rng.standard_normal(n) * sig / np.sqrt(len(g))
    weights = s.trend_damping ** np.arange(1, h + 1)
    steps = ms[:, None] * weights[None, :] + rng.standard_normal((n, h)) * sig[:, None]
    return np.log(d.values[-1]) + np.cumsum(steps, axis=1)


MEMBERS: dict[str, Callable] = {
    "log_linear": log_linear,
    "random_walk_drift": random_walk_drift,
    "damped_trend": damped_trend,
    "theta": theta,
    "growth_rates": growth_rates,
}


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
    h = last_year - origin
    if h < 1:
        raise ValueError(f"nothing to forecast: the last observed year {origin} is not before {last_year}")
    rng_root = np.random.default_rng(seed_for(key, settings.seed))
    fitted: dict[str, np.ndarray] = {}
    dropped: dict[str, str] = {}
    for name in members:
        rng = np.random.default_rng(rng_root.integers(2**63))     # one stream per member, same order every run
        need = settings.min_points.get(name, 2)
        have = len(d.growth_pct) if name == "growth_rates" else d.n
        if have < need:
            dropped[name] = f"needs {need} points, has {have}"
            continue
        try:
            logp = MEMBERS[name](d, h, settings.n_paths, rng, settings)
            if logp.shape != (settings.n_paths, h) or not np.all(np.isfinite(logp)) or np.abs(logp).max() > 50:
                raise ValueError("paths are not finite or diverge")
            fitted[name] = np.exp(logp)
        except Exception as exc:  # a failed member is dropped, never fatal
            dropped[name] = f"fit failed: {type(exc).__name__}: {exc}"
            log.info("forecast %s: member %s dropped (%s)", key, name, dropped[name])
    if not fitted:
        raise InsufficientData("no member could be fitted: " + "; ".join(f"{k}: {v}" for k, v in dropped.items()))
    share = settings.n_paths // len(fitted)
    ensemble = np.concatenate([p[:share] for p in fitted.values()], axis=0)
    return Forecast(list(range(origin + 1, last_year + 1)), origin, ensemble, fitted, dropped)


def tighten_with_ytd(fc: Forecast, year: int, estimate: float, months: int) -> Forecast:
    """Use a year-to-date based estimate of the full year to centre and narrow that year's paths.

    Each path keeps its rank but its distance from the median shrinks by the
    share of the year still unknown (12 - months) / 12, around the log of the
    estimate; later years move with it. A heuristic, stated in the methods note.
    """
    if year not in fc.years or not np.isfinite(estimate) or estimate <= 0:
        return fc
    j = fc.years.index(year)
    logp = np.log(fc.paths)
    centre = np.median(logp[:, j])
    new_j = np.log(estimate) + (logp[:, j] - centre) * (12 - months) / 12
    shifted = logp + (new_j - logp[:, j])[:, None] * (np.arange(len(fc.years)) >= j)[None, :]
    note = f"{year}: centred on the year-to-date estimate {estimate:.4g} (1-{months}月) and narrowed"
    return Forecast(fc.years, fc.origin, np.exp(shifted), fc.members, fc.dropped, fc.notes + [note])
