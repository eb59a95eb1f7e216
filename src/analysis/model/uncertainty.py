"""The uncertainty a forecast carries besides the models' own: a prior for yearly volatility and drift,
measurement error of the figures themselves, the error of a year-to-date nowcast, and seeds.

Why a prior. Haimen's series have 2 to 7 points, often years apart. A sample
sd from one or two degrees of freedom is nearly worthless (three points on one
growth line give exactly zero), so every member combines its own estimate of
the yearly log volatility with a prior learnt from a reference set of yearly
series (M3 yearly, fitted by benchmarks/volatility_prior.py; the numbers and
what they are live in config/settings.yaml, forecast.prior). The prior is
log-normal in sigma (see VolatilityPrior for why not scaled-inverse-chi^2);
the posterior given the series' own sample variance on nu degrees of freedom
(chi^2 likelihood) is computed on a grid of log sigma, and each path draws
its own sigma from it. With no degrees of freedom the paths' sigmas follow
the prior (the bands are as wide as the reference set's series move); with
many, the series' own estimate dominates (its degrees of freedom discounted
by own_weight: volatility moves). Bands widen smoothly as data thin and never
collapse; there is no cap and no floor.
The drift gets the conjugate normal treatment given each path's sigma: the
series' drift estimate (precision span / sigma^2) is averaged with a normal
prior N(m0, tau^2), so a drift read off two points is shrunk towards the
reference set's typical growth, and one read off twenty years is not.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import stats


_GRID = np.linspace(np.log(1e-4), np.log(3.0), 241)      # log sigma grid for the posterior (sigma 0.0001 to 3)


def sample_variance_loglik(log_sigma: np.ndarray, s2: float, dof: float) -> np.ndarray:
    """log p(s2 | sigma) for a sample variance on dof degrees of freedom (dof s2 / sigma^2 ~ chi^2_dof)."""
    if dof <= 0 or not np.isfinite(s2):
        return np.zeros_like(log_sigma)
    s2 = max(float(s2), 1e-12)       # an exact fit (s2 = 0) is the limit of a tiny one, not an impossibility
    var = np.exp(2 * log_sigma)
    return stats.chi2.logpdf(dof * s2 / var, dof) + np.log(dof / var)


@dataclass(frozen=True)
class VolatilityPrior:
    """Log-normal prior for the yearly sd of log changes, normal prior for the yearly drift.

    log sigma ~ N(log(log_sd), spread^2): the reference set's yearly
    volatilities spread over an order of magnitude (M3 yearly: 10-90 % of
    series between 0.01 and 0.26 over their last seven points), which a scaled-inverse-chi^2 prior can only
    match with under one degree of freedom and Cauchy-like tails (its fit
    gives nu0 = 0.73); the log-normal fits that spread with light tails.
    The posterior given a series' own sample variance is computed on a grid
    and sampled per path.
    """

    log_sd: float = 0.08      # median yearly sd of log changes across the reference series
    spread: float = 0.9       # sd of log sigma across the reference series
    drift_mean: float = 0.04  # m0: typical yearly log growth
    drift_sd: float = 0.04    # tau: spread of yearly log growth across series
    own_weight: float = 1.0   # w: a series' own sample variance counts as w x its degrees of freedom
    decay: float = 1.0        # rho: a change a years older than the latest counts rho^a as much
    persistence: float = 0.0  # kappa: a k-year change varies k (1 + kappa (k - 1)) sigma^2 about the drift
    drift_decay: float = 1.0  # a year of growth a years older than the latest counts drift_decay^a in the drift

    @classmethod
    def from_config(cls, p: dict) -> "VolatilityPrior":
        return cls(float(p["log_sd"]), float(p["spread"]), float(p["drift_mean"]), float(p["drift_sd"]),
                   float(p.get("own_weight", 1.0)), float(p.get("decay", 1.0)),
                   float(p.get("persistence", 0.0)), float(p.get("drift_decay", 1.0)))

    def local_drift(self, changes: np.ndarray, gaps: np.ndarray, ages: np.ndarray,
                    quality: np.ndarray | None = None) -> tuple[float, float]:
        """(drift estimate, precision x sigma^2) from log changes spanning `gaps` years, old years counting less.

        Growth changes its pace (a county's retail grew 14 %/yr in 2005-2017
        and 3 % in 2022), so with drift_decay < 1 the drift is a weighted
        mean of the yearly growth, each change weighing drift_decay^age per
        year it spans. quality (0-1, default 1): the share of a change's
        variance that is growth rather than revision of its end figures
        (SeriesData.comparable_changes); with it the weights are the
        inverse-variance ones. The precision is that of the weighted
        estimator, (sum w k)^2 / sum (w^2 k / quality), which is the span in
        years when every weight is 1 (then the estimate is the plain
        (y_T - y_0) / span).
        """
        changes, gaps = np.asarray(changes, dtype=float), np.asarray(gaps, dtype=float)
        if not len(changes):
            return 0.0, 0.0
        q = np.ones(len(changes)) if quality is None else np.clip(np.asarray(quality, dtype=float), 1e-6, 1.0)
        w = self.drift_decay ** np.clip(np.asarray(ages, dtype=float), 0.0, None) * q
        wk = w * gaps
        return float(np.sum(w * changes) / np.sum(wk)), float(np.sum(wk) ** 2 / np.sum(w * wk / q))

    def recent_evidence(self, resid: np.ndarray, gaps: np.ndarray, ages: np.ndarray, dof: int) -> tuple[float, float]:
        """(s2, dof) of a series' own volatility evidence from the residuals of its changes.

        resid: each change's deviation from the drift (or mean growth); gaps:
        the years each change spans; ages: years from each change to the
        origin (change_ages). With one-year changes and decay 1 this is the
        plain sample variance on dof degrees of freedom. Two corrections,
        both fitted on M3 training parts by benchmarks/volatility_prior.py:
        - persistence: growth runs in spells, so a k-year change strays from
          the long-run drift by more than k yearly shocks would (its variance
          is k (1 + persistence (k - 1)) sigma^2, not k sigma^2). Without it a
          history seen 9 or 17 years apart through gaps read as 1.4x too
          volatile (gappy windows of M3 training parts against the yearly
          changes of the same years).
        - decay: volatility moves, so an old change says less about the next
          years than a recent one: weights decay^age give a weighted variance
          on dof x mean weight degrees of freedom.
        """
        resid, gaps = np.asarray(resid, dtype=float), np.asarray(gaps, dtype=float)
        if dof <= 0 or not len(resid):
            return 0.0, 0.0
        resid2 = resid ** 2 / (gaps * (1.0 + self.persistence * (gaps - 1.0)))
        wt = self.decay ** np.clip(np.asarray(ages, dtype=float), 0.0, None)
        s2 = float(np.sum(wt * resid2) / np.sum(wt) * len(resid2) / dof)
        return s2, float(dof * np.mean(wt))

    def yearly_evidence(self, resid: np.ndarray, ages: np.ndarray) -> tuple[float, float]:
        """recent_evidence of one-year changes (or growth rates) about their own mean: dof = count - 1."""
        resid = np.asarray(resid, dtype=float)
        return self.recent_evidence(resid, np.ones(len(resid)), ages, len(resid) - 1)

    def decayed_dof(self, dof: int) -> float:
        """The degrees of freedom of dof yearly innovations weighed alike (a model's MLE), the latest of age 0."""
        n = max(int(dof), 0)
        return self.recent_evidence(np.ones(n), np.ones(n), np.arange(n)[::-1], n)[1]

    def _posterior_weights(self, s2: float, dof: float) -> np.ndarray:
        """Posterior over the log sigma grid. The series' own evidence is discounted (dof x own_weight): a few
        years' changes say less about the NEXT years' volatility than a chi^2 on their count implies, because
        volatility itself moves (own_weight fitted on how well a window's variance predicts the next six
        years', benchmarks/volatility_prior.py)."""
        logw = (stats.norm.logpdf(_GRID, np.log(self.log_sd), self.spread)
                + sample_variance_loglik(_GRID, s2, dof * self.own_weight))
        w = np.exp(logw - logw.max())
        return w / w.sum()

    def sigma_draws(self, s2: float, dof: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws of the yearly log sd from the posterior given a sample variance s2 on dof degrees of freedom."""
        idx = rng.choice(len(_GRID), size=n, p=self._posterior_weights(s2, dof))
        step = _GRID[1] - _GRID[0]
        return np.exp(_GRID[idx] + rng.uniform(-step / 2, step / 2, n))

    def posterior_sd(self, s2: float, dof: float) -> float:
        """Posterior median of the yearly log sd."""
        cdf = np.cumsum(self._posterior_weights(s2, dof))
        return float(np.exp(_GRID[np.searchsorted(cdf, 0.5)]))

    def drift_draws(self, estimate: float, precision_per_var: float, sigma: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
        """Drift per path from its conjugate normal posterior given that path's sigma.

        precision_per_var: the data precision of the estimate times sigma^2
        (the span in years for a random walk's drift, 1/(X'X)^-1 for an OLS
        slope); 0 when the data say nothing about the drift.
        """
        data_prec = precision_per_var / sigma ** 2
        prior_prec = 1.0 / self.drift_sd ** 2
        prec = data_prec + prior_prec
        mean = (data_prec * estimate + prior_prec * self.drift_mean) / prec
        return mean + rng.standard_normal(len(sigma)) / np.sqrt(prec)


def change_ages(years: np.ndarray) -> np.ndarray:
    """Years between the middle of each change of a yearly series and its last year, less half a year.

    The latest one-year change has age 0; a five-year change ending at the
    origin has age 2 (its middle lies 2.5 years back)."""
    y = np.asarray(years, dtype=float)
    return y[-1] - (y[:-1] + y[1:]) / 2 - 0.5


def measurement_sd(status: str, reliability: str, qualifier: str, derived: bool, settings: dict) -> float:
    """Log-scale sd of the revision a published figure may still undergo, from its status and provenance.

    Components are independent and add in quadrature; the sds per status,
    reliability, qualifier and for derived levels are in config/settings.yaml
    (forecast.measurement_sd) with their reasons. `settings` is the whole
    settings mapping or its forecast section.
    """
    m = settings.get("forecast", settings)["measurement_sd"]
    parts = [m["status"].get(status or "", 0.0), m["reliability"].get(reliability or "", 0.0),
             m["qualifier"].get(qualifier or "", 0.0), m["derived"] if derived else 0.0]
    return float(np.sqrt(np.sum(np.square(np.asarray(parts, dtype=float)))))


def ytd_error_sd(months: int, yearly_sd: float, settings: dict) -> float:
    """Log sd of full-year growth around year-to-date growth with `months` months known.

    Full-year growth is about the month-weighted average of the growth so far
    and the growth in the months still to come; the nowcast assumes the rest
    of the year grows as the first part did, so its error is the unknown share
    of the year (12 - m)/12 times how much growth can change within a year,
    taken as the series' yearly log sd (conservative: growth within a year is
    more persistent than across years), plus the revision between the
    year-to-date and the final annual figure (forecast.ytd in settings).
    """
    y = settings.get("forecast", settings)
    y = y.get("ytd", y)                       # the whole settings, its forecast section or forecast.ytd itself
    rest = (12 - min(max(int(months), 0), 12)) / 12 * float(y["rest_of_year_factor"]) * float(yearly_sd)
    return float(np.hypot(rest, float(y["revision_sd"])))


def seed_for(key: str, base_seed: int) -> int:
    """A stable seed per key (indicator, or indicator/member), independent of the order things are run in."""
    return (base_seed * 1_000_003 + zlib.crc32(key.encode("utf-8"))) % (2**32)
