"""How far can the members' weights carry the Brier skill? Bounds and three weighting rules (issue 27, point 1).

The engine mixes its members with equal shares. Issue 27 asks for Brier skill >= 0.10 against the random walk
with drift on every collection. This script asks whether any rule for the members' shares could get there, on
the per-series records `yearly_collections.py` caches (pattern `full`; run it first for the collections named):

1. **Oracle bound**: the best fixed shares, chosen on the collection's own outcomes (impossible in practice; an
   upper bound for every rule that gives every series the same shares). The mixture's P(y[T+h] >= c y[T]) is
   exactly the share-weighted mean of the members' P, so no rerun is needed.
2. **Rolling origins inside each history**: each member forecasts the last 1, 2 and 3 points of the series' own
   history from the points before them (same engine, 2,000 paths); its summed Brier there, L_m, gives the share
   exp(-eta (L_m - min L)). eta = 0 is the engine's equal shares.
3. **Features of the history** (FFORMA-like): shares softmax(B x) from ten features of the history (length,
   mean, recent and last growth, volatility, autocorrelation of growth, share of rises, trend strength,
   acceleration), B fitted by least Brier with an L2 penalty lam on every coefficient (lam -> inf: equal).
4. **Recalibration**: logit P' = a logit P + b on the ensemble's P, fitted by least Brier.

Rules 2-4 are chosen by leave-one-collection-out on the four pseudo-origin collections (the grid of eta or lam
fixed in advance, fitted on three, scored on the fourth); the test parts (M3 and M1 yearly) are scored once, with
the rule fitted on all four. Every horizon of each collection and the six thresholds, as in collections.md. Results: results/member_weights.md.

    .venv/bin/python benchmarks/member_weights.py --workers 2
"""
from __future__ import annotations

import argparse
import gzip
import json
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from m3_common import MEMBER_NAMES, ROOT, THRESHOLDS  # noqa: I001  (sets BLAS threads first)
import numpy as np
from scipy.optimize import minimize

from analysis.core.config import load_config
from analysis.model.forecast import ForecastSettings, InsufficientData, forecast_series
from analysis.model.series import SeriesData
from sparse import PATTERNS
from yearly_collections import COLLECTIONS, cache_path, load_collection

PSEUDO = ("m3train", "m1train", "m3q", "m1q")
TEST = ("m3", "m1")
INNER = 3                   # rolling origins inside each history
ETAS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
LAMS = (0.001, 0.01, 0.1, 1.0)


# --------------------------------------------------------------------------------------------- data --
def records(cache: Path, collection: str) -> list[dict]:
    """The cached engine records of one collection, pattern full (a run of `full` alone, or of every pattern)."""
    for patterns in (["full"], list(PATTERNS)):
        path = cache_path(cache, "baseline", collection, 1, None, patterns)
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                fh.readline()
                return [r for r in map(json.loads, fh) if "methods" in r and r["pattern"] == "full"]
    raise SystemExit(f"no cached records for {collection}: run `yearly_collections.py --collections {collection} "
                     "--patterns full` first")


def inner_losses(job: tuple) -> tuple[str, dict[str, float]]:
    """Each member's summed Brier on the last 1..INNER points of the history, forecast from the points before."""
    sid, years, values, settings = job
    loss: dict[str, float] = {}
    for j in range(1, INNER + 1):
        if len(values) - j < 3:
            break
        last = values[-j - 1]
        try:
            fc = forecast_series(SeriesData(years[:-j], values[:-j]), int(years[-1]), settings,
                                 key=f"{sid}/inner{j}", members=MEMBER_NAMES)
        except InsufficientData:
            continue
        cols = [fc.years.index(int(y)) for y in years[-j:]]
        o = np.array([[float(v >= c * last) for c in THRESHOLDS] for v in values[-j:]])
        for m in MEMBER_NAMES:
            if m in fc.members:
                p = np.array([[np.mean(fc.members[m][:, i] >= c * last) for c in THRESHOLDS] for i in cols])
                loss[m] = loss.get(m, 0.0) + float(np.sum((p - o) ** 2))
            else:
                loss[m] = np.nan            # absent at some inner origin: no record for this member
    return sid, loss


def features(v: np.ndarray) -> np.ndarray:
    """Ten features of a history (the first is the intercept)."""
    g = np.diff(np.log(v))
    sd = g.std() if len(g) > 1 else 0.0
    ac = (np.corrcoef(g[:-1], g[1:])[0, 1] if len(g) > 3 and g[:-1].std() > 0 and g[1:].std() > 0 else 0.0)
    half = len(g) // 2
    accel = g[half:].mean() - g[:half].mean() if len(g) >= 4 else 0.0
    return np.array([1.0, np.log(len(v)), 10 * g.mean(), 10 * sd, 10 * g[-3:].mean(), ac, (g > 0).mean(),
                     np.clip(g.mean() / (sd + 0.02), -5, 5), 10 * accel, 10 * g[-1]])


class Collection:
    """Members' P (series x member x h x c, NaN where dropped), outcomes, rwd's and the ensemble's P, features,
    and rolling-origin losses."""

    def __init__(self, recs: list[dict], hist: dict[str, np.ndarray], losses: dict[str, dict[str, float]]):
        nan = np.full(np.shape(recs[0]["outcome"]), np.nan)
        self.P = np.array([[r["methods"][m]["p"] if m in r["methods"] else nan for m in MEMBER_NAMES] for r in recs])
        self.O = np.array([r["outcome"] for r in recs])
        self.R = np.array([r["methods"]["rwd"]["p"] for r in recs])
        self.E = np.array([r["methods"]["ensemble"]["p"] for r in recs])
        self.X = np.array([features(hist[r["series_id"]]) for r in recs])
        L = np.array([[losses.get(r["series_id"], {}).get(m, np.nan) for m in MEMBER_NAMES] for r in recs])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)      # a series with no inner origin: all NaN
            L = np.where(np.isnan(L), np.nanmean(L, axis=1, keepdims=True), L)   # absent: the others' mean
        self.L = np.nan_to_num(L - L.min(axis=1, keepdims=True))
        self.avail = ~np.isnan(self.P[:, :, 0, 0])

    def skill(self, shares: np.ndarray | None = None, p: np.ndarray | None = None) -> float:
        """Brier skill against rwd of the mixture with these shares per series (or of these P)."""
        if p is None:
            w = shares * self.avail
            p = np.einsum("sm,smhc->shc", w / w.sum(axis=1, keepdims=True), np.nan_to_num(self.P))
        return float(1 - np.mean((p - self.O) ** 2) / np.mean((self.R - self.O) ** 2))


# -------------------------------------------------------------------------------------------- rules --
def oracle(c: Collection) -> tuple[float, np.ndarray]:
    res = minimize(lambda z: -c.skill(np.exp(z)[None, :]), np.zeros(len(MEMBER_NAMES)), method="Nelder-Mead",
                   options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-7})
    w = np.exp(res.x)
    return -res.fun, w / w.sum()


def rolling(c: Collection, eta: float) -> float:
    return c.skill(np.exp(-eta * c.L))


def feature_fit(cs: list[Collection], lam: float) -> np.ndarray:
    k, m = cs[0].X.shape[1], len(MEMBER_NAMES)
    loss = lambda b: -np.mean([feature_skill(c, b.reshape(m, k)) for c in cs]) + lam * np.sum(b ** 2)  # noqa: E731
    return minimize(loss, np.zeros(m * k), method="L-BFGS-B").x.reshape(m, k)


def feature_skill(c: Collection, B: np.ndarray) -> float:
    z = c.X @ B.T
    return c.skill(np.exp(z - z.max(axis=1, keepdims=True)))


def recal(p: np.ndarray, ab: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-3, 1 - 1e-3)
    return 1 / (1 + np.exp(-(ab[0] * np.log(q / (1 - q)) + ab[1])))


def recal_fit(cs: list[Collection]) -> np.ndarray:
    return minimize(lambda ab: -np.mean([c.skill(p=recal(c.E, ab)) for c in cs]), [1.0, 0.0], method="Nelder-Mead").x


def loco(cs: dict[str, Collection], grid, score) -> tuple[list[str], float, float]:
    """Leave one collection out: the grid value best on the other three, scored on the one left out."""
    rows, left, equal = [], [], []
    table = {name: [score(c, g) for g in grid] for name, c in cs.items()}
    for out in cs:
        i = int(np.argmax(np.mean([table[n] for n in cs if n != out], axis=0)))
        left.append(table[out][i])
        rows.append(f"| {out} | " + " | ".join(f"{v:.4f}" for v in table[out]) + f" | {grid[i]} | {table[out][i]:.4f} |")
    return rows, float(np.mean(left)), float(np.mean([t[0] for t in table.values()]))


# --------------------------------------------------------------------------------------------- main --
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-dir", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--cache-dir", default="/tmp/collections_cache")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    settings = replace(ForecastSettings.from_config(load_config().settings), n_paths=2000)
    t0 = time.perf_counter()
    cs: dict[str, Collection] = {}
    for name in PSEUDO + TEST:
        recs = records(Path(args.cache_dir), name)
        _, data = load_collection(Path(args.bench_dir), name)
        hist = {sid: v for sid, _, v, _ in data}
        jobs = [(sid, y, v, settings) for sid, y, v, _ in data]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            losses = dict(pool.map(inner_losses, jobs, chunksize=8))
        cs[name] = Collection(recs, hist, losses)
    pseudo = {n: cs[n] for n in PSEUDO}
    out = ["# How far can the members' shares carry the Brier skill? (issue 27)", "",
           f"Command: `.venv/bin/python benchmarks/member_weights.py --workers {args.workers}` "
           f"({time.strftime('%Y-%m-%d %H:%M')}, {time.perf_counter() - t0:.0f} s; records from "
           "`yearly_collections.py`, pattern full, the engine as shipped). Brier skill against the random walk "
           f"with drift over every horizon of the collection (6 for the yearly ones, 4 for the summed quarterly) and the six thresholds; method in the module docstring.", "",
           "## 1. Oracle bound: the best fixed shares, chosen on each collection's own outcomes", "",
           "| collection | series | equal shares (engine) | best fixed shares | those shares (" +
           ", ".join(MEMBER_NAMES) + ") |", "|---|---|---|---|---|"]
    for name, c in cs.items():
        best, w = oracle(c)
        out.append(f"| {COLLECTIONS[name]} | {len(c.O)} | {c.skill(np.ones((1, len(MEMBER_NAMES)))):.4f} | "
                   f"{best:.4f} | {' / '.join(f'{x:.2f}' for x in w)} |")
    rows, left, equal = loco(pseudo, ETAS, rolling)
    out += ["", "## 2. Rolling origins inside each history (share exp(-eta L))", "",
            "Skill on each pseudo-origin collection for each eta; the last columns: the eta the other three prefer, "
            "and its skill on the one left out.", "",
            "| left out | " + " | ".join(f"eta {g}" for g in ETAS) + " | chosen | skill |",
            "|---" * (len(ETAS) + 3) + "|", *rows, "",
            f"Leave-one-collection-out mean: **{left:.4f}** against {equal:.4f} for equal shares.", "",
            "## 3. Features of the history (softmax shares, L2 penalty lam), fitted on three, scored on the fourth",
            "", "| left out | equal shares | " + " | ".join(f"lam {g}" for g in LAMS) + " |",
            "|---" * (len(LAMS) + 2) + "|"]
    table = {n: [feature_skill(c, feature_fit([p for m, p in pseudo.items() if m != n], lam)) for lam in LAMS]
             for n, c in pseudo.items()}
    out += [f"| {n} | {c.skill(np.ones((1, len(MEMBER_NAMES)))):.4f} | " + " | ".join(f"{v:.4f}" for v in table[n])
            + " |" for n, c in pseudo.items()]
    out += ["| mean | " + f"{equal:.4f} | " + " | ".join(f"{v:.4f}" for v in np.mean(list(table.values()), axis=0))
            + " |"]
    out += ["", "## 4. Recalibration of the ensemble's P (logit P' = a logit P + b)", "",
            "| left out | a, b fitted on the other three | skill raw | skill recalibrated |", "|---|---|---|---|"]
    gains = []
    for name, c in pseudo.items():
        ab = recal_fit([p for n, p in pseudo.items() if n != name])
        gains.append((c.skill(p=c.E), c.skill(p=recal(c.E, ab))))
        out.append(f"| {name} | {ab[0]:.3f}, {ab[1]:+.3f} | {gains[-1][0]:.4f} | {gains[-1][1]:.4f} |")
    out += ["", f"Leave-one-collection-out mean: **{np.mean([g[1] for g in gains]):.4f}** against "
            f"{np.mean([g[0] for g in gains]):.4f} raw.", "",
            "## Test parts, scored once with each rule fitted on all four pseudo-origin collections", "",
            "| collection | equal shares | rolling origins | features | recalibrated |",
            "|---|---|---|---|---|"]
    eta = ETAS[int(np.argmax([np.mean([rolling(c, e) for c in pseudo.values()]) for e in ETAS]))]
    lam = LAMS[int(np.argmax(np.mean(list(table.values()), axis=0)))]
    B, ab = feature_fit(list(pseudo.values()), lam), recal_fit(list(pseudo.values()))
    for name in TEST:
        c = cs[name]
        out.append(f"| {COLLECTIONS[name]} | {c.skill(np.ones((1, len(MEMBER_NAMES)))):.4f} | {rolling(c, eta):.4f} "
                   f"(eta {eta}) | {feature_skill(c, B):.4f} (lam {lam}) | {c.skill(p=recal(c.E, ab)):.4f} |")
    path = ROOT / "benchmarks" / "results" / "member_weights.md"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
