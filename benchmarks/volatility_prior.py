"""Fit the volatility and drift prior of the forecast engine on a reference set of yearly series (M3 yearly).

    PYTHONPATH=src .venv/bin/python benchmarks/volatility_prior.py [--bench-dir ../shared/bench] [--half odd|even]

For every M3 yearly series, on its training part only (the 6 test points are
never read), x = yearly changes of log level, nu = len(x) - 1, s^2 = var(x).

Volatility: log sigma ~ N(log s0, spread^2) across series, and
s^2 | sigma^2 ~ sigma^2 chi^2_nu / nu: (s0, spread) by maximum marginal
likelihood (sigma integrated out on the engine's own grid; empirical Bayes).
For comparison the scaled-inverse-chi^2 prior is fitted too (s^2 / s0^2 ~
F(nu, nu0)): it needs nu0 < 1 to match the spread of M3 volatilities, i.e.
Cauchy-like tails, which is why the engine uses the log-normal.
Drift: mean(x) ~ N(m0, tau^2 + s^2 / len(x)): (m0, tau) by maximum likelihood.
Prints the numbers in the form of config/settings.yaml's forecast.prior.
--half fits on every other series only (the cross-fit check in sparse.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from analysis.uncertainty import _GRID, sample_variance_loglik  # noqa: E402


def series_stats(data: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for sid, g in data[data["split"] == "train"].sort_values(["series_id", "t"]).groupby("series_id"):
        x = np.diff(np.log(g["value"].to_numpy(float)))
        rows.append({"series_id": sid, "n": len(x), "s2": float(np.var(x, ddof=1)), "mean": float(np.mean(x))})
    return pd.DataFrame(rows)


def fit_prior(st: pd.DataFrame) -> dict:
    nu = (st["n"] - 1).to_numpy(float)
    s2 = st["s2"].to_numpy(float)
    ok = s2 > 0

    def nll_vol(p: np.ndarray) -> float:
        nu0, s02 = np.exp(p)
        return -float(np.sum(stats.f.logpdf(s2[ok] / s02, nu[ok], nu0) - np.log(s02)))

    r = optimize.minimize(nll_vol, x0=np.log([3.0, np.median(s2)]), method="Nelder-Mead")
    nu0, s02 = np.exp(r.x)
    lik = np.stack([sample_variance_loglik(_GRID, v, d) for v, d in zip(s2, nu)])   # series x grid
    step = _GRID[1] - _GRID[0]

    def nll_lognormal(p: np.ndarray) -> float:
        mu, log_spread = p
        logprior = stats.norm.logpdf(_GRID, mu, np.exp(log_spread)) + np.log(step)
        return -float(np.sum(special.logsumexp(lik + logprior[None, :], axis=1)))

    r3 = optimize.minimize(nll_lognormal, x0=[np.log(np.median(np.sqrt(s2))), 0.0], method="Nelder-Mead")
    m, se2 = st["mean"].to_numpy(float), (st["s2"] / st["n"]).to_numpy(float)

    def nll_drift(p: np.ndarray) -> float:
        m0, log_tau = p
        return -float(np.sum(stats.norm.logpdf(m, m0, np.sqrt(np.exp(2 * log_tau) + se2))))

    r2 = optimize.minimize(nll_drift, x0=[np.median(m), np.log(np.std(m))], method="Nelder-Mead")
    return {"log_sd": round(float(np.exp(r3.x[0])), 4), "spread": round(float(np.exp(r3.x[1])), 4),
            "inv_chi2_dof": round(float(nu0), 2), "inv_chi2_scale": round(float(np.sqrt(s02)), 4),
            "drift_mean": round(float(r2.x[0]), 4), "drift_sd": round(float(np.exp(r2.x[1])), 4),
            "series": int(len(st))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-dir", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--half", choices=["odd", "even"], default=None)
    args = ap.parse_args()
    st = series_stats(pd.read_csv(Path(args.bench_dir) / "m3_yearly.csv"))
    if args.half:
        st = st.iloc[(1 if args.half == "odd" else 0)::2]
    p = fit_prior(st)
    print(f"# fitted on {p['series']} M3 yearly series (training parts), marginal-likelihood fit")
    print("  prior:")
    for k in ("log_sd", "spread", "drift_mean", "drift_sd"):
        print(f"    {k}: {p[k]}")
    print(f"# scaled-inverse-chi^2 alternative: nu0 {p['inv_chi2_dof']}, s0 {p['inv_chi2_scale']}")
    q = np.sqrt(st["s2"]).quantile([0.1, 0.25, 0.5, 0.75, 0.9])
    print("# per-series yearly log sd quantiles 10/25/50/75/90 %:", " ".join(f"{v:.3f}" for v in q))


if __name__ == "__main__":
    main()
