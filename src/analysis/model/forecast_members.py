"""The ensemble's members: each turns a short yearly series into simulated log paths.

Every member returns log levels for the h years after the last year of the
series it was given, as an (n, h) array, from a seeded generator. Every
member's yearly volatility comes from the scaled-inverse-chi^2 posterior of
uncertainty.VolatilityPrior (the series' own estimate combined with the
prior), drawn once per path, and every drift or slope from its conjugate
normal posterior given that path's sigma, so the bands of a two- or
three-point series are as wide as the reference set says such series move,
never zero. A fit that is degenerate raises Degenerate with the reason,
which the ensemble records in Forecast.dropped. No admission may flip on
last-bit differences of the input (another machine, another unit): the
other members decide on counts of points only, and the damped trend on
margins of maximised likelihoods (fit_damped_trend says how).
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from analysis.model.uncertainty import change_ages

if TYPE_CHECKING:  # the data classes live in forecast.py, which imports this module
    from analysis.model.series import ForecastSettings, SeriesData


class Degenerate(ValueError):
    """A fit that ran but must not be used (a boundary fit, unidentified coefficients, diverging paths)."""


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
    """Random walk with (damped) drift; gaps of k years count as k steps (variance k sigma^2).

    The drift is read from the comparable changes (SeriesData.comparable_changes): across an economic census
    the printed comparable growth stands in for the level ratio, and figures that may be revised weigh less.
    """
    y = np.log(d.values)
    dy, k, ages, quality = d.comparable_changes(s.prior.log_sd)
    if not len(dy):      # levels on different calibers and no printed rate: nothing but the prior to go on
        raise Degenerate("no comparable change (levels on different census calibers, no printed growth)")
    mu, precision = s.prior.local_drift(dy, k, ages, quality)
    s2, nu = s.prior.recent_evidence(dy - mu * k, k, ages, len(dy) - 1)
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    mus = s.prior.drift_draws(mu, precision, sig, rng)
    steps = rng.standard_normal((n, h)) * sig[:, None]
    return y[-1] + mus[:, None] * damped_sum(s.trend_damping, h)[None, :] + np.cumsum(steps, axis=1)


def random_walk_undamped(d: "SeriesData", h: int, n: int, rng: np.random.Generator, s: "ForecastSettings") -> np.ndarray:
    """The random walk with its drift undamped: growth that persists, beside the members whose growth fades.

    Why a member and not a damping factor: on yearly collections other than M3 (M1 and the M1/M3 quarterly and
    monthly series summed to years) growth persisted where the damped members let it fade, and one damping
    factor chosen across collections flipped with the collection left out; the mixture carries the uncertainty
    about persistence instead. Chosen by leave-one-collection-out Brier skill on the pseudo-origin collections
    (benchmarks/results/collections_notes.md, "Persistence as a member").
    """
    from dataclasses import replace

    return random_walk_drift(d, h, n, rng, replace(s, trend_damping=1.0))


def damped_trend(d: "SeriesData", h: int, n: int, rng: np.random.Generator, s: "ForecastSettings") -> np.ndarray:
    """Damped local trend: ARIMA(1,1,1) without constant on log levels (statsmodels SARIMAX state space).

    The local growth rate decays by the AR coefficient each year, so the
    trend is damped towards no growth; the moving-average term smooths the
    local growth like exponential smoothing. The Kalman filter skips the
    missing years of the yearly grid. The coefficients come from
    fit_damped_trend, which also decides the admission (the rest is
    Degenerate, with the reason). The innovation variance is combined with
    the prior like every other member's.
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = canonical_log_grid(d)
    fit = fit_damped_trend(y, s)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = SARIMAX(y, order=(1, 1, 1), trend="n").filter(np.array([fit.ar, fit.ma, fit.sigma2]))
    for w in caught:                      # re-emitted so that the ensemble records them as notes
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    nu = int(np.isfinite(y).sum()) - 1 - 2      # differences less the two ARMA coefficients
    # the MLE weighs every innovation alike; older ones count less as evidence (ages 0, 1, ... from the end)
    nu = s.prior.decayed_dof(nu)
    sig = s.prior.sigma_draws(fit.sigma2, nu, n, rng)
    # the fit saw the levels relative to the last one: its paths are moved back to the last level
    return np.log(d.values[-1]) + simulate_state_space(res, h, n, rng, shock_scale=sig / np.sqrt(fit.sigma2))


class DampedFit(NamedTuple):
    """The damped trend's fit and the two statistics its admission is decided on (log-likelihood units)."""

    ar: float
    ma: float
    sigma2: float
    boundary_margin: float      # best fit with |MA| < max_abs_ma less the best with |MA| >= max_abs_ma
    boundary_ma: float          # the MA of the latter
    gain_over_rw: float         # best fit less the random walk (every point of AR = -MA)


def fit_damped_trend(y: np.ndarray, s: "ForecastSettings", check: bool = True) -> DampedFit:
    """ARIMA(1,1,1) without constant by exact maximum likelihood, admitted on margins (check=False: no verdict).

    Admission (otherwise Degenerate with the reason):
    - boundary: every fit with |MA| >= max_abs_ma must be worse than the
      best with |MA| < max_abs_ma by at least ma_margin. An MA near -1 or 1
      cancels the unit root and the fit is then spuriously certain;
    - identification: the best fit must beat the random walk by at least
      min_gain_over_rw (1: what two useless coefficients gain on average,
      E chi^2_2 / 2). Every point of the line AR = -MA has exactly the random
      walk's likelihood, so with less the coefficients are not identified.

    Same decision on every machine and in every unit (issue 23). y is the
    canonical input (canonical_log_grid: log levels less the last one, on a
    1e-10 grid), identical for c x y in any unit c. Nothing is decided on an
    optimiser's convergence flag, warnings, estimates or standard errors: on
    short series the likelihood is nearly flat towards AR = 1, MA = -1 (it
    rises there by hundredths of a unit), a quasi-Newton fit stops wherever
    its tolerances and the input's last bits say, and all of those flipped
    under 1e-13 changes of the input. The statistics are differences of
    log-likelihood MAXIMA over closed boxes of coefficients (AR in
    +-max_abs_ar, so that every maximum is attained; MA inside and outside
    +-max_abs_ma), found by a deterministic search (_box_maxima) in
    element-wise arithmetic that calls no BLAS. A maximum's value does not
    depend, to first order, on where along a flat ridge the maximiser ends:
    when one value of the input moves by a whole step of its grid, the
    statistics move by about 1e-8 (at most 3e-6, on the smoothest M3
    series); a last-bit difference moves the input only where a value lies
    within a last bit of a rounding boundary (about one in 1e5). The
    margins keep the thresholds off the point where the boundary statistic
    piles up (0: an optimum on |MA| = max_abs_ma), so a decision can flip
    only for a series whose statistic lies within about 1e-6 of a threshold:
    none of 2,145 series (the 645 M3 training parts, 1,500 synthetic) came
    nearer than 1e-4, and none of their 6,233 perturbed inputs flipped.
    An AR at max_abs_ar means the data show no damping: the member then
    extrapolates a smoothed local trend that fades by 1 % a year.
    """
    a, m = s.max_abs_ar, s.max_abs_ma
    (l_in, ar, ma), low, high = _box_maxima(y, np.array([[-a, a, -m, m], [-a, a, -1.0, -m], [-a, a, m, 1.0]]))
    out = max(low, high, key=lambda r: r[0])
    lik, sigma2 = arima111_loglik(y, np.array([ar, 0.0]), np.array([ma, 0.0]))
    fit = DampedFit(ar, ma, float(sigma2[0]), l_in - out[0], out[2], l_in - float(lik[1]))
    if not check:
        return fit
    if not (np.isfinite(fit.boundary_margin) and np.isfinite(fit.gain_over_rw) and fit.sigma2 > 0):
        raise Degenerate("the likelihood is not finite (the series does not vary)")
    if fit.boundary_margin < s.ma_margin:
        raise Degenerate(f"MA {fit.boundary_ma:.3f} at the invertibility boundary: the best fit with |MA| >= {m} "
                         + (f"is better than any with |MA| < {m} by {-fit.boundary_margin:.3f}"
                            if fit.boundary_margin < 0 else f"comes within {fit.boundary_margin:.3f} of the best")
                         + f" log-likelihood (margin {s.ma_margin})")
    if fit.gain_over_rw < s.min_gain_over_rw:
        raise Degenerate(f"AR/MA not identified: the best fit (AR {ar:.3f}, MA {ma:.3f}) beats the random walk "
                         f"(AR = -MA) by {fit.gain_over_rw:.3f} log-likelihood, less than {s.min_gain_over_rw}")
    return fit


def canonical_log_grid(d: "SeriesData") -> np.ndarray:
    """Log levels on the yearly grid (NaN in missing years) less the last one, rounded to 1e-10.

    The grid of forecast_series' canonical levels, so that rounding again is
    exact there; c x y gives the identical array for any unit c (up to values
    within a last bit of a rounding boundary, about one in 1e5).
    """
    grid = np.full(int(d.years[-1] - d.years[0]) + 1, np.nan)
    grid[d.years - d.years[0]] = np.round(np.log(d.values) - np.log(d.values[-1]), 10)
    return grid


def arima111_loglik(y: np.ndarray, phi: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact log-likelihood (innovation variance concentrated out) of ARIMA(1,1,1) without constant, and that
    variance, at each of K coefficient pairs at once. y: the yearly grid with NaN gaps, first year observed.

    The diffuse level is handled exactly by conditioning on the first observation: the state is
    (c, z, w) with c = y_t - y_first, z the ARMA(1,1) difference, w = MA x the latest shock, (z, w)
    starting from their stationary distribution. Element-wise arithmetic only (no BLAS), so the
    numbers do not depend on a machine's BLAS or its thread count.
    """
    obs = np.flatnonzero(np.isfinite(y))
    zero = np.zeros_like(phi)
    ac = az = aw = pcc = pcz = pcw = zero
    pzz, pzw, pww = (1 + 2 * phi * theta + theta ** 2) / (1 - phi ** 2), theta, theta ** 2
    ssq, logf = zero, zero
    for t in range(obs[0] + 1, len(y)):
        # c' = c + g + e, z' = g + e, w' = MA e with g = AR z + w; e the unit-variance shock
        ac, az, aw = ac + phi * az + aw, phi * az + aw, zero
        gg = phi * phi * pzz + 2 * phi * pzw + pww
        pcc, pcz, pcw, pzz, pzw, pww = (pcc + 2 * (phi * pcz + pcw) + gg + 1, phi * pcz + pcw + gg + 1, theta,
                                        gg + 1, theta, theta * theta)
        if np.isfinite(y[t]):
            v, f = y[t] - y[obs[0]] - ac, pcc          # f >= 1: every step adds a unit shock
            ac, az, aw = ac + v, az + pcz / f * v, aw + pcw / f * v
            pzz, pzw, pww = pzz - pcz * pcz / f, pzw - pcz * pcw / f, pww - pcw * pcw / f
            pcc = pcz = pcw = zero
            ssq, logf = ssq + v * v / f, logf + np.log(f)
    k = len(obs) - 1
    with np.errstate(divide="ignore"):
        return -0.5 * k * (np.log(2 * np.pi * ssq / k) + 1) - 0.5 * logf, ssq / k


_STENCIL = np.array([(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=float)   # centre at index 4
_SHRINK = 0.5 ** np.arange(16)


def _box_maxima(y: np.ndarray, boxes: np.ndarray, starts: int = 4, iters: int = 60,
                delta: float = 1e-4) -> list[tuple[float, float, float]]:
    """(max log-likelihood, AR, MA) of ARIMA(1,1,1) in each box [AR lo, AR hi, MA lo, MA hi]: deterministic.

    Starts: the best few local maxima of a grid that is uniform in atanh of the coefficients (fine near
    +-1, where the likelihood's ridges are narrow). From each, projected Newton steps (finite-difference
    gradient and Hessian on a fixed stencil, a coordinate held at a bound it pushes against; a gradient
    step where the Hessian is not negative definite), each step the best of a fixed set of fractions,
    until no fraction improves. Element-wise arithmetic only, no optimiser tolerances or flags. Checked
    on the 645 M3 training series against a 120 x 120 grid of each box: never below it by more than 0.007.
    """
    pts, box_of = [], []
    for b, (lo_a, hi_a, lo_m, hi_m) in enumerate(boxes):
        axes = []
        for lo, hi, k in ((lo_a, hi_a, 41), (lo_m, hi_m, 41 if hi_m - lo_m > 0.5 else 9)):
            g = np.tanh(np.linspace(np.arctanh(max(lo, -0.9999)), np.arctanh(min(hi, 0.9999)), k))
            g[0], g[-1] = lo, hi
            axes.append(g)
        vals = arima111_loglik(y, *np.array(np.meshgrid(*axes, indexing="ij")).reshape(2, -1))[0]
        grid = np.nan_to_num(vals, nan=-np.inf).reshape(len(axes[0]), len(axes[1]))
        padded = np.pad(grid, 1, constant_values=-np.inf)
        peak = np.all([grid >= padded[1 + i:1 + i + grid.shape[0], 1 + j:1 + j + grid.shape[1]]
                       for i in (-1, 0, 1) for j in (-1, 0, 1)], axis=0)
        ii, jj = np.nonzero(peak & np.isfinite(grid))
        order = np.argsort(-grid[ii, jj], kind="stable")[:starts]
        pts += [(axes[0][ii[k]], axes[1][jj[k]]) for k in order]
        box_of += [b] * len(order)
    p, box_of = np.array(pts, dtype=float), np.array(box_of)
    lo, hi = boxes[box_of][:, [0, 2]], boxes[box_of][:, [1, 3]]
    f = np.full(len(p), -np.inf)
    live = np.ones(len(p), dtype=bool)
    for _ in range(iters):
        idx = np.flatnonzero(live)
        if not len(idx):
            break
        st = p[idx, None, :] + delta * _STENCIL[None]
        v = arima111_loglik(y, st[..., 0].ravel(), st[..., 1].ravel())[0].reshape(len(idx), 9)
        f[idx] = v[:, 4]
        g = np.stack([v[:, 7] - v[:, 1], v[:, 5] - v[:, 3]], axis=1) / (2 * delta)
        haa = (v[:, 7] - 2 * v[:, 4] + v[:, 1]) / delta ** 2
        hmm = (v[:, 5] - 2 * v[:, 4] + v[:, 3]) / delta ** 2
        ham = (v[:, 8] - v[:, 6] - v[:, 2] + v[:, 0]) / (4 * delta ** 2)
        # a coordinate at a bound it pushes against is held: no gradient, a unit curvature of its own
        held = ((p[idx] <= lo[idx]) & (g < 0)) | ((p[idx] >= hi[idx]) & (g > 0))
        g[held] = 0.0
        haa, hmm = np.where(held[:, 0], -1.0, haa), np.where(held[:, 1], -1.0, hmm)
        ham = np.where(held.any(axis=1), 0.0, ham)
        det = haa * hmm - ham * ham
        newton = (haa < 0) & (det > 0) & np.isfinite(det)            # negative definite: a Newton step
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(newton[:, None], -np.stack([hmm * g[:, 0] - ham * g[:, 1],
                                                        haa * g[:, 1] - ham * g[:, 0]], axis=1) / det[:, None],
                            0.1 * g / np.maximum(np.hypot(g[:, 0], g[:, 1]), 1e-300)[:, None])
        step = np.nan_to_num(step, nan=0.0, posinf=0.0, neginf=0.0)
        trial = np.clip(p[idx, None, :] + _SHRINK[None, :, None] * step[:, None, :], lo[idx, None], hi[idx, None])
        tv = np.nan_to_num(arima111_loglik(y, trial[..., 0].ravel(), trial[..., 1].ravel())[0],
                           nan=-np.inf).reshape(len(idx), -1)
        best = np.argmax(tv, axis=1)
        for r, k in enumerate(idx):
            if tv[r, best[r]] > f[k]:
                p[k], f[k] = trial[r, best[r]], tv[r, best[r]]
            else:
                live[k] = False
    out = []
    for b in range(len(boxes)):
        k = np.flatnonzero(box_of == b)
        k = k[np.argmax(f[k])] if len(k) else None
        out.append((float(f[k]), float(p[k, 0]), float(p[k, 1])) if k is not None else (-np.inf, np.nan, np.nan))
    return out


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
    ages = d.years[-1] - d.growth_years
    mean, precision = s.prior.local_drift(g, np.ones(len(g)), ages)
    s2, nu = s.prior.yearly_evidence(g - mean, ages)
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    ms = s.prior.drift_draws(mean, precision, sig, rng)
    weights = s.trend_damping ** np.arange(1, h + 1)
    steps = ms[:, None] * weights[None, :] + rng.standard_normal((n, h)) * sig[:, None]
    return np.log(d.values[-1]) + np.cumsum(steps, axis=1)
