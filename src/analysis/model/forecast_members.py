"""The ensemble's members: each turns a short yearly series into simulated log paths.

Every member returns log levels for the h years after the last year of the
series it was given, as an (n, h) array, from a seeded generator. Every
member's yearly volatility comes from the scaled-inverse-chi^2 posterior of
uncertainty.VolatilityPrior (the series' own estimate combined with the
prior), drawn once per path, and every drift or slope from its conjugate
normal posterior given that path's sigma, so the bands of a two- or
three-point series are as wide as the reference set says such series move,
never zero. A fit that is degenerate raises Degenerate with the reason,
which the ensemble records in Forecast.dropped.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.model.uncertainty import change_ages

if TYPE_CHECKING:  # the data classes live in forecast.py, which imports this module
    from analysis.model.series import ForecastSettings, SeriesData


class Degenerate(ValueError):
    """A fit that ran but must not be used (boundary estimates, no convergence, unusable standard errors)."""


def damped_sum(phi: float, h: int) -> np.ndarray:
    """sum_{j=1..k} phi^j for k = 1..h: how far a damped trend moves in k years."""
    return np.cumsum(phi ** np.arange(1, h + 1))


def log_linear(d: "SeriesData", h: int, n: int, rng: np.random.Generator, s: "ForecastSettings") -> np.ndarray:
    """Log-linear trend: OLS slope over the last ols_window_years, damped ahead, from the last observation.

    The slope is the OLS growth rate of the recent window (with optional
    pandemic-year dummies); paths start at the last observed level rather
    than at the fitted line, because yearly economic series wander rather
    than return to a fixed line. Yearly shocks accumulate (their variance
    from the posterior given the deviations of yearly changes from the slope,
    gaps counted in years); the slope is drawn from its posterior given each
    path's sigma, with the OLS design's precision.
    """
    keep = d.years > d.years[-1] - s.ols_window_years
    t, y = d.years[keep].astype(float), np.log(d.values[keep])
    dummies = [yr for yr in d.pandemic_dummy_years if yr in set(d.years[keep].tolist())]
    X = np.column_stack([np.ones_like(t), t - t[-1]] + [(t == yr).astype(float) for yr in dummies])
    if len(y) - X.shape[1] < 1:
        raise Degenerate(f"{len(y)} points in the window leave no degree of freedom for the trend")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    k, dy = np.diff(t), np.diff(y)
    s2, nu = s.prior.recent_evidence(dy - beta[1] * k, k, change_ages(t), len(dy) - 1)
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    slope = s.prior.drift_draws(float(beta[1]), 1.0 / float(np.linalg.inv(X.T @ X)[1, 1]), sig, rng)
    steps = rng.standard_normal((n, h)) * sig[:, None]
    return y[-1] + slope[:, None] * damped_sum(s.trend_damping, h)[None, :] + np.cumsum(steps, axis=1)


def random_walk_drift(d: "SeriesData", h: int, n: int, rng: np.random.Generator, s: "ForecastSettings") -> np.ndarray:
    """Random walk with (damped) drift; gaps of k years count as k steps (variance k sigma^2)."""
    y = np.log(d.values)
    k = np.diff(d.years).astype(float)
    dy = np.diff(y)
    span = float(d.years[-1] - d.years[0])
    mu = (y[-1] - y[0]) / span
    s2, nu = s.prior.recent_evidence(dy - mu * k, k, change_ages(d.years), len(dy) - 1)
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    mus = s.prior.drift_draws(mu, span, sig, rng)
    steps = rng.standard_normal((n, h)) * sig[:, None]
    return y[-1] + mus[:, None] * damped_sum(s.trend_damping, h)[None, :] + np.cumsum(steps, axis=1)


def damped_trend(d: "SeriesData", h: int, n: int, rng: np.random.Generator, s: "ForecastSettings") -> np.ndarray:
    """Damped local trend: ARIMA(1,1,1) without constant on log levels (statsmodels SARIMAX state space).

    The local growth rate decays by the AR coefficient each year, so the
    trend is damped towards no growth; the moving-average term smooths the
    local growth like exponential smoothing. The Kalman filter skips the
    missing years of the yearly grid. Admission (the rest is Degenerate):
    the optimiser converged (mle_retvals), no ConvergenceWarning or
    'too few observations' warning, |MA| below forecast.max_abs_ma (an MA
    near -1 or 1 cancels the unit root or the trend and the fit is then
    spuriously certain), finite AR/MA standard errors below
    forecast.max_coef_se. The innovation variance is combined with the prior
    like every other member's.
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    grid = pd.Series(np.nan, index=np.arange(d.years[0], d.years[-1] + 1))
    grid[d.years] = np.log(d.values)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = SARIMAX(grid.to_numpy(), order=(1, 1, 1), trend="n").fit(disp=False, maxiter=200)
    for w in caught:                      # re-emitted so that the ensemble records them as notes
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    serious = [str(w.message) for w in caught
               if "Convergence" in w.category.__name__ or "too few observations" in str(w.message).lower()]
    if serious:
        raise Degenerate("fit unreliable: " + "; ".join(dict.fromkeys(serious)))
    if not res.mle_retvals.get("converged", True):
        raise Degenerate(f"optimiser did not converge ({res.mle_retvals.get('iterations', '?')} iterations)")
    params = pd.Series(np.asarray(res.params), index=res.model.param_names)
    bse = pd.Series(np.asarray(res.bse), index=res.model.param_names)
    if abs(params["ma.L1"]) > s.max_abs_ma:
        raise Degenerate(f"MA {params['ma.L1']:.3f} at the invertibility boundary")
    coef_se = bse[["ar.L1", "ma.L1"]]
    if not np.all(np.isfinite(coef_se)) or coef_se.max() > s.max_coef_se:
        raise Degenerate(f"standard errors of AR/MA {coef_se.round(3).tolist()} are not finite or exceed {s.max_coef_se}")
    sigma2 = float(params["sigma2"])
    nu = int(np.isfinite(grid.to_numpy()).sum()) - 1 - 2      # differences less the two ARMA coefficients
    # the MLE weighs every innovation alike; older ones count less as evidence (ages 0, 1, ... from the end)
    nu = s.prior.decayed_dof(nu)
    sig = s.prior.sigma_draws(sigma2, nu, n, rng)
    return simulate_state_space(res, h, n, rng, shock_scale=sig / np.sqrt(sigma2))


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """A square root of a covariance matrix that may be singular."""
    w, v = np.linalg.eigh((cov + cov.T) / 2)
    return v * np.sqrt(np.clip(w, 0, None))


def simulate_state_space(res, h: int, n: int, rng: np.random.Generator,
                         shock_scale: np.ndarray | None = None) -> np.ndarray:
    """Paths of a fitted (time-invariant) statsmodels state-space model from its last filtered state.

    Vectorised over paths, unlike MLEResults.simulate; the starting state is
    drawn from its filtered distribution, so state uncertainty is included.
    shock_scale (n,) multiplies each path's state shocks: the posterior sigma
    draw relative to the fitted one.
    """
    res.model.update(res.params)                  # the system matrices at the fitted parameters
    ssm = res.model.ssm

    def matrix(name: str) -> np.ndarray:
        m = np.asarray(ssm[name])
        return m[:, :, 0] if m.ndim == 3 else m

    T, Z, R, Q, H = (matrix(m) for m in ("transition", "design", "selection", "state_cov", "obs_cov"))
    scale = np.ones(n) if shock_scale is None else np.asarray(shock_scale)
    x = res.filtered_state[:, -1] + rng.standard_normal((n, T.shape[0])) @ _psd_sqrt(res.filtered_state_cov[:, :, -1]).T
    q_sqrt, h_sqrt = _psd_sqrt(Q), _psd_sqrt(H)
    paths = np.empty((n, h))
    for j in range(h):
        x = x @ T.T + scale[:, None] * ((rng.standard_normal((n, Q.shape[0])) @ q_sqrt.T) @ R.T)
        paths[:, j] = (x @ Z.T + rng.standard_normal((n, H.shape[0])) @ h_sqrt.T)[:, 0]
    if not np.all(np.isfinite(paths)):
        raise Degenerate("simulation diverged")
    return paths


def theta(d: "SeriesData", h: int, n: int, rng: np.random.Generator, s: "ForecastSettings") -> np.ndarray:
    """Theta method (SES with drift = half the linear trend) on the latest run of consecutive years.

    Paths: the Theta forecast plus SES errors (each error also moves the level
    by alpha), with the drift drawn from its OLS sampling distribution and
    the error sd from the posterior given the one-step SES errors.
    """
    from statsmodels.tsa.forecasting.theta import ThetaModel

    gaps = np.where(np.diff(d.years) > 1)[0]
    start = gaps[-1] + 1 if len(gaps) else 0
    y = np.log(d.values[start:])
    if len(y) < s.min_points["theta"]:
        raise Degenerate(f"only {len(y)} consecutive years at the end of the series, needs {s.min_points['theta']}")
    res = ThetaModel(y, period=1, deseasonalize=False).fit()
    point = np.asarray(res.forecast(h, theta=2))
    alpha = float(np.clip(res.params["alpha"], 1e-3, 1.0))     # SES smoothing weight lives in (0, 1]
    b0 = float(res.params["b0"])
    t = np.arange(len(y), dtype=float)
    resid_ols = y - np.polyval(np.polyfit(t, y, 1), t)
    se_b0 = np.sqrt(resid_ols @ resid_ols / (len(y) - 2) / np.sum((t - t.mean()) ** 2))
    level, errs = y[0], []
    for obs in y[1:]:                         # one-step SES errors give sigma
        errs.append(obs - level - b0 / 2)
        level += alpha * (obs - level)
    errs = np.asarray(errs)
    s2, nu = s.prior.yearly_evidence(errs - errs.mean(), np.arange(len(errs))[::-1])
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    e = rng.standard_normal((n, h)) * sig[:, None]
    level_moves = np.concatenate([np.zeros((n, 1)), alpha * np.cumsum(e, axis=1)[:, :-1]], axis=1)
    drift_draw = (rng.standard_normal(n) * se_b0 / 2)[:, None] * np.arange(1, h + 1)[None, :]
    return point[None, :] + level_moves + e + drift_draw


def growth_rates(d: "SeriesData", h: int, n: int, rng: np.random.Generator, s: "ForecastSettings") -> np.ndarray:
    """Printed year-on-year growth: log(1+g) normal, mean and sd from their posteriors, mean damped ahead.

    Starts from the last level (derived or not): printed growth is the only
    place derived levels' information enters the forecast.
    """
    g = np.log1p(d.growth_pct / 100.0)
    # the growth of year y is the change from y - 1 to y: age (origin - y) years
    s2, nu = s.prior.yearly_evidence(g - g.mean(), d.years[-1] - d.growth_years)
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    ms = s.prior.drift_draws(float(np.mean(g)), float(len(g)), sig, rng)
    weights = s.trend_damping ** np.arange(1, h + 1)
    steps = ms[:, None] * weights[None, :] + rng.standard_normal((n, h)) * sig[:, None]
    return np.log(d.values[-1]) + np.cumsum(steps, axis=1)
