"""Experiment (issue 27, point 2): why the damped trend is dropped, and what could replace it. Benchmarks only.

    .venv/bin/python benchmarks/damped_experiment.py simulate            # admission rate on simulated series
    .venv/bin/python benchmarks/yearly_collections.py --variant ets --collections m3 --patterns full   # one run each
    .venv/bin/python benchmarks/damped_experiment.py report [--collections m3,m1,m3train,m1train,m3q,m1q]

Nothing here is wired into src/: the experimental members are registered at run time in the engine's member
table (analysis.model.forecast.MEMBERS) of the benchmark process only, and the variants in
yearly_collections.VARIANTS. Variants (each the engine's forecast_series with its width calibration, origin
handling and equal-weight mixture; only the member set or the damped trend's admission differ):

- baseline: the engine as configured (log_linear, random_walk_drift, damped_trend, theta);
- no_damped: the three other members only (what a series gets when the damped trend is dropped);
- forced: the damped trend ARIMA(1,1,1) admitted whenever it has 10 points and a finite likelihood
  (admission margins set to -inf): are the refused fits harmful?
- ets: damped_trend replaced by `ets_damped`, statsmodels ETS(A,Ad,N) on log levels fitted by its own
  likelihood (ETSModel; initial level and slope estimated, damping in statsmodels' default bounds
  [0.8, 0.98]); same 10-point minimum; never refused unless the fit raises or the paths are not finite;
- growth_ar: damped_trend replaced by `growth_ar`, a damped trend on the growth rates: yearly log growth
  g_t - mu = phi (g_{t-1} - mu) + e_t (ARIMA(1,1,0) with a constant) by least squares on the latest run of
  consecutive years, phi clipped to [0, 0.95]; the recent growth's deviation from mu fades by phi a year and
  mu itself is damped by forecast.trend_damping like every member's drift; same 10-point minimum.

Both new members draw their yearly sigma from the engine's volatility posterior (forecast.prior: the prior
combined with the fit's residual variance on its decayed degrees of freedom) and their slope / long-run growth
from the conjugate drift posterior, like the engine's members.
"""
from __future__ import annotations

import sys

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

from m3_common import ROOT  # noqa: E402  (sets BLAS threads first)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import analysis.model.forecast as engine  # noqa: E402
from analysis.core.config import load_config  # noqa: E402
from analysis.model.forecast import ForecastSettings  # noqa: E402
from analysis.model.forecast_members import Degenerate, fit_damped_trend  # noqa: E402


def _latest_run(d) -> np.ndarray:
    """Log levels of the latest run of consecutive years (as the theta member uses)."""
    gaps = np.where(np.diff(d.years) > 1)[0]
    start = gaps[-1] + 1 if len(gaps) else 0
    return np.log(d.values[start:])


def ets_damped(d, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """ETS(A,Ad,N) on log levels by maximum likelihood (statsmodels), simulated with the engine's posteriors."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = _latest_run(d)
    need = s.min_points.get("ets_damped", 10)
    if len(y) < need:
        raise Degenerate(f"only {len(y)} consecutive years at the end of the series, needs {need}")
    res = ETSModel(y, error="add", trend="add", damped_trend=True, initialization_method="estimated").fit(disp=False)
    alpha, beta, phi = float(res.smoothing_level), float(res.smoothing_trend), float(res.damping_trend)
    level, slope = (float(v) for v in np.asarray(res.states)[-1])
    resid = y - np.asarray(res.fittedvalues)
    s2 = float(resid @ resid / len(y))
    nu = s.prior.decayed_dof(len(y) - 5)           # alpha, beta, phi, initial level and slope
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    b = s.prior.drift_draws(slope, float(len(y) - 1), sig, rng)     # the slope's uncertainty, as the RW drift's
    lv = np.full(n, level)
    out = np.empty((n, h))
    for j in range(h):
        mean = lv + phi * b
        e = rng.standard_normal(n) * sig
        out[:, j] = mean + e
        lv, b = mean + alpha * e, phi * b + beta * e
    return out


def growth_ar(d, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """Damped trend on the growth rates: AR(1) of yearly log growth about a long-run mean (ARIMA(1,1,0) + c)."""
    y = _latest_run(d)
    need = s.min_points.get("growth_ar", 10)
    if len(y) < need:
        raise Degenerate(f"only {len(y)} consecutive years at the end of the series, needs {need}")
    g = np.diff(y)
    m = len(g)
    mu = float(g.mean())
    x0, x1 = g[:-1] - mu, g[1:] - mu
    phi = float(np.clip(x0 @ x1 / (x0 @ x0), 0.0, 0.95)) if x0 @ x0 > 0 else 0.0
    e = x1 - phi * x0
    s2 = float(e @ e / max(m - 1 - 2, 1))
    nu = s.prior.decayed_dof(m - 1 - 2)
    sig = s.prior.sigma_draws(s2, nu, n, rng)
    # the mean of an AR(1) on m points: variance sigma^2 / (m (1 - phi)^2)
    mus = s.prior.drift_draws(mu, m * (1 - phi) ** 2, sig, rng)
    dev = g[-1] - mus
    out = np.empty((n, h))
    level = np.full(n, y[-1])
    damp = s.trend_damping ** np.arange(1, h + 1)
    for j in range(h):
        dev = phi * dev + rng.standard_normal(n) * sig
        level = level + mus * damp[j] + dev
        out[:, j] = level
    return out


engine.MEMBERS.setdefault("ets_damped", ets_damped)
engine.MEMBERS.setdefault("growth_ar", growth_ar)


def rw_undamped(d, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """The random walk with its drift undamped: a member for growth that persists (M1), beside the damped ones."""
    from analysis.model.forecast_members import random_walk_drift
    return random_walk_drift(d, h, n, rng, replace(s, trend_damping=1.0))


engine.MEMBERS.setdefault("rw_undamped", rw_undamped)


def rw_undamped_local(d, h: int, n: int, rng: np.random.Generator, s: ForecastSettings) -> np.ndarray:
    """The undamped random walk whose drift leans on recent growth (drift_decay 0.8): growth that persists at its
    recent pace, not at the pace of the whole history."""
    from analysis.model.forecast_members import random_walk_drift
    return random_walk_drift(d, h, n, rng, replace(s, trend_damping=1.0, prior=replace(s.prior, drift_decay=0.8)))


engine.MEMBERS.setdefault("rw_undamped_local", rw_undamped_local)


def _load_collections():
    """benchmarks/yearly_collections.py, or the running __main__ when that is it (its VARIANTS are the ones in use)."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "VARIANTS", None) is not None:
        return main
    import yearly_collections
    return yearly_collections


def _with_min(s: ForecastSettings, name: str, k: int) -> ForecastSettings:
    return replace(s, min_points={**s.min_points, name: k})


def _wider(s: ForecastSettings, k: float) -> ForecastSettings:
    return replace(s, width_scale=tuple((m, tuple(f * k for f in row)) for m, row in s.width_scale) or ((0, (k,)),))


def register(col) -> None:
    others = ("log_linear", "random_walk_drift")
    col.VARIANTS.setdefault("no_damped", (("log_linear", "random_walk_drift", "theta"), lambda s: s))
    col.VARIANTS.setdefault("forced", (col.MEMBER_NAMES, lambda s: replace(s, ma_margin=-np.inf,
                                                                           min_gain_over_rw=-np.inf)))
    col.VARIANTS.setdefault("ets", ((*others, "ets_damped", "theta"), lambda s: _with_min(s, "ets_damped", 10)))
    col.VARIANTS.setdefault("growth_ar", ((*others, "growth_ar", "theta"), lambda s: _with_min(s, "growth_ar", 10)))
    # issue 27 point 1: the width- and drift-setting choices, for cross-collection validation on the training
    # parts (damp<d>: forecast.trend_damping = d; wide<k>: every width factor times k; forced admission too)
    for d in (0.85, 0.9, 0.95, 1.0):
        col.VARIANTS.setdefault(f"damp{d:g}", (col.MEMBER_NAMES, lambda s, d=d: replace(s, trend_damping=d)))
        col.VARIANTS.setdefault(f"forced_damp{d:g}", (col.MEMBER_NAMES, lambda s, d=d: replace(
            s, trend_damping=d, ma_margin=-np.inf, min_gain_over_rw=-np.inf)))
    for k in (1.1, 1.2):
        col.VARIANTS.setdefault(f"wide{k:g}", (col.MEMBER_NAMES, lambda s, k=k: _wider(s, k)))
    # a drift that changes: the random walk's drift and the printed-growth mean weigh a year of growth
    # a years old by drift_decay^a (forecast.prior.drift_decay; 1 = the plain mean over the whole history)
    for r in (0.7, 0.8, 0.9):
        col.VARIANTS.setdefault(f"ddecay{r:g}", (col.MEMBER_NAMES, lambda s, r=r: replace(
            s, prior=replace(s.prior, drift_decay=r))))
    col.VARIANTS.setdefault("nocal", (col.MEMBER_NAMES, lambda s: replace(s, width_scale=())))
    # model uncertainty about persistence as a member: the undamped random walk beside the damped members
    col.VARIANTS.setdefault("plus_rwu", ((*col.MEMBER_NAMES, "rw_undamped"), lambda s: s))
    col.VARIANTS.setdefault("plus_rwul", ((*col.MEMBER_NAMES, "rw_undamped_local"), lambda s: s))
    # persistence as likely as fading: the undamped random walk given a second share (MEMBER_NAMES holds it once)
    col.VARIANTS.setdefault("rwu2", ((*col.MEMBER_NAMES, "rw_undamped"), lambda s: s))
    # the width shape fitted without the collection scored (width_calibration.py --collections ... --out-json)
    import json
    for c in ("m3train", "m1train", "m3q", "m1q", "pooled"):
        path = Path("/tmp/width_tables") / f"wo_{c}.json"
        if path.exists():
            table = json.loads(path.read_text())["scale"]
            col.VARIANTS.setdefault(f"wcal_wo_{c}", (col.MEMBER_NAMES, lambda s, t=table: replace(
                s, width_scale=tuple(sorted((int(m), tuple(k)) for m, k in t.items())))))
    import prior_pooled
    prior_pooled.register(col)


if __name__ != "__main__":
    register(_load_collections())


# ------------------------------------------------------------------------------ simulated admission --
def simulate(reps: int = 200, seed: int = 1) -> pd.DataFrame:
    """How often the damped trend's admission refuses series whose generating process is known.

    Log levels with yearly sd 0.065 (the prior's median): a random walk with drift 0.04 (M3's typical yearly
    series), a random walk without drift, true ARIMA(1,1,1) damped trends, a trend-stationary series
    (linear trend + AR(1) 0.6 noise). Each series is cut to n points, as fit_damped_trend sees it (log levels
    less the last, on the 1e-10 grid).
    """
    s = ForecastSettings.from_config(load_config().settings)
    rng = np.random.default_rng(seed)
    procs = {"RW + drift 0.04": ("rw", 0.04, 0.0, 0.0), "RW, no drift": ("rw", 0.0, 0.0, 0.0),
             "ARIMA(1,1,1) AR .9 MA -.3": ("arma", 0.0, 0.9, -0.3), "ARIMA(1,1,1) AR .7 MA 0": ("arma", 0.0, 0.7, 0.0),
             "ARIMA(1,1,1) AR .5 MA .3": ("arma", 0.0, 0.5, 0.3), "linear trend + AR(1) .6 noise": ("ts", 0.04, 0.6, 0.0)}
    rows = []
    for label, (kind, drift, ar, ma) in procs.items():
        for n in (10, 12, 14, 20, 30):
            kinds = []
            for _ in range(reps):
                e = rng.standard_normal(n + 50) * 0.065
                if kind == "rw":
                    y = np.cumsum(drift + e)
                elif kind == "arma":
                    dy = np.zeros(n + 50)
                    for t in range(1, n + 50):
                        dy[t] = ar * dy[t - 1] + e[t] + ma * e[t - 1]
                    y = np.cumsum(dy)
                else:
                    u = np.zeros(n + 50)
                    for t in range(1, n + 50):
                        u[t] = ar * u[t - 1] + e[t]
                    y = drift * np.arange(n + 50) + u
                y = y[-n:]
                fit = fit_damped_trend(np.round(y - y[-1], 10), s, check=False)
                kinds.append("MA boundary" if fit.boundary_margin < s.ma_margin else
                             "not identified" if fit.gain_over_rw < s.min_gain_over_rw else "admitted")
            vc = pd.Series(kinds).value_counts(normalize=True)
            rows.append({"process": label, "points": n, **{k: round(100 * float(vc.get(k, 0.0)), 1)
                                                           for k in ("admitted", "MA boundary", "not identified")}})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------- report --
def _load(cache: Path, variant: str, collection: str) -> list[dict]:
    """The full-pattern records of one cached run (a full-only run, else the all-patterns run)."""
    for name in (f"{variant}_{collection}_full_every1.jsonl.gz", f"{variant}_{collection}_every1.jsonl.gz"):
        p = cache / name
        if p.exists():
            with gzip.open(p, "rt", encoding="utf-8") as fh:
                fh.readline()
                return [r for r in map(json.loads, fh) if r["pattern"] == "full" and "methods" in r]
    return []


def report(cache: Path, collections: list[str], variants: list[str], out: Path, sim: pd.DataFrame | None) -> None:
    col = _load_collections()
    rows, member_rows = [], []
    for c in collections:
        base = {r["series_id"]: r for r in _load(cache, "baseline", c)}
        if not base:
            continue
        dropped = {sid for sid, r in base.items() if "damped_trend" in r["dropped"] and r["n"] >= 10}
        for v in variants:
            recs = _load(cache, v, c)
            if not recs:
                continue
            tab, sums = col.method_table(recs, ["ensemble", "rwd"])
            e, ref = sums["ensemble"], sums["rwd"]
            crit = col.criteria(e, ref, None)
            member = {"baseline": "damped_trend", "forced": "damped_trend", "ets": "ets_damped",
                      "growth_ar": "growth_ar"}.get(v)
            admitted = sum(member in r["methods"] for r in recs) if member else 0
            sub = [r for r in recs if r["series_id"] in dropped]
            sub_e = col.summarise(sub, "ensemble") if sub else None
            rows.append({"collection": c, "variant": v, "series": len(recs),
                         "member admitted": f"{admitted} of {sum(r['n'] >= 10 for r in recs)}" if member else "-",
                         "sMAPE": crit["smape"], "MASE": round(float(e["mase"]), 3),
                         "cov80 (worst h dev)": f"{crit['cov80_pooled']:.1f} ({crit['cov80_worst_h_dev']:.1f})",
                         "cov95 (worst h dev)": f"{crit['cov95_pooled']:.1f} ({crit['cov95_worst_h_dev']:.1f})",
                         "Brier skill": crit["brier_skill"],
                         "on baseline-dropped series: sMAPE / cov80 / cov95 / skill":
                             (f"{sub_e['smape'].mean():.2f} / {100 * sub_e['cov80'].mean():.1f} / "
                              f"{100 * sub_e['cov95'].mean():.1f} / "
                              f"{1 - sub_e['brier'] / col.summarise(sub, 'rwd')['brier']:.3f}") if sub_e else "-"})
            if member:
                for part, ids in (("all admitted", None), ("baseline-dropped", dropped),
                                  ("baseline-admitted", set(base) - dropped)):
                    rs = [r for r in recs if member in r["methods"] and (ids is None or r["series_id"] in ids)]
                    if not rs:
                        continue
                    ms = col.summarise(rs, member)
                    member_rows.append({"collection": c, "variant": v, "member": member, "series": part,
                                        "n": len(rs), "sMAPE": round(float(ms["smape"].mean()), 2),
                                        "cov80": round(100 * float(ms["cov80"].mean()), 1),
                                        "cov95": round(100 * float(ms["cov95"].mean()), 1),
                                        "Brier skill vs rwd": round(1 - ms["brier"] / col.summarise(rs, "rwd")["brier"], 3)})
    md = ["# Damped-trend experiment (issue 27, point 2)", "",
          "Commands: `.venv/bin/python benchmarks/yearly_collections.py --variant V --collections C --patterns full` for "
          "every variant V and collection C below (one run each, 1 worker), then "
          f"`.venv/bin/python benchmarks/damped_experiment.py report`. Date: {time.strftime('%Y-%m-%d %H:%M')}.", "",
          "Variants and members: see the docstring of benchmarks/damped_experiment.py. Pattern `full` only (the "
          "damped trend needs 10 points; every cut pattern has fewer). m3 / m1 are the test parts (M3 yearly, M1 "
          "yearly published hold-out, h = 6); m3train / m1train are pseudo-origins 6 years before the end of their "
          "training parts, m3q / m1q the M3 / M1 quarterly series summed to years with their last 4 years held out "
          "(h = 4): no test part is read there. 'baseline-dropped series' are the series of at least 10 points on "
          "which the engine drops its damped trend.", "",
          "## Ensemble by variant", "", pd.DataFrame(rows).to_markdown(index=False), "",
          "## The damped member itself", "", pd.DataFrame(member_rows).to_markdown(index=False), ""]
    if sim is not None:
        md += ["## Admission of the engine's damped trend on simulated series (% of 200 each)", "",
               "`.venv/bin/python benchmarks/damped_experiment.py simulate`: yearly log sd 0.065; the series as "
               "fit_damped_trend sees it; the settings' margins (MA boundary 0.95 / 0.01, gain over RW 1.0).", "",
               sim.to_markdown(index=False), ""]
    out.write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("simulate", "report"))
    ap.add_argument("--cache-dir", default="/tmp/collections_cache")
    ap.add_argument("--collections", default="m3,m1,m3train,m1train,m3q,m1q")
    ap.add_argument("--variants", default="baseline,no_damped,forced,ets,growth_ar")
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    register(_load_collections())
    sim_path = Path(args.cache_dir) / "damped_simulation.csv"
    if args.what == "simulate":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = simulate(args.reps)
        Path(args.cache_dir).mkdir(parents=True, exist_ok=True)
        sim.to_csv(sim_path, index=False)
        print(sim.to_string(index=False))
        return
    sim = pd.read_csv(sim_path) if sim_path.exists() else None
    report(Path(args.cache_dir), args.collections.split(","), args.variants.split(","),
           ROOT / "benchmarks" / "results" / "damped_experiment.md", sim)


if __name__ == "__main__":
    main()
