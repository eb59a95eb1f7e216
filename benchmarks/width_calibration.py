"""Fit the forecast engine's interval-width factors out of sample, inside the training parts of M3 yearly.

    PYTHONPATH=src .venv/bin/python benchmarks/width_calibration.py [--workers 2] [--n-paths 2000]

Why: the members' intervals cover about right on average but not per horizon
and history length: they treat the drift as fixed over the horizon, so they
are too wide one or two years ahead of short histories and too narrow five or
six years ahead of longer ones (benchmarks/results/sparse.md before the
calibration). The engine therefore stretches each year's spread of log paths
about its median by a factor k(n points, h) (forecast.calibrate_width).

How: every M3 yearly training series is cut at a pseudo-origin six points
before its end (the last six TRAINING points play the test; the real test
points, which sparse.py scores, are never read). The history before the
pseudo-origin is cut like Haimen's (the sparse.py patterns plus last4, last6,
last10) and forecast 1..6 years ahead with the calibration switched off. For
each forecast and horizon, the distance of the outcome from the median in
units of the interval's half-width on its side gives u80 and u95; the
interval covers when u <= 1, and stretching by k covers when u <= k. Per
bin of history length and horizon, k80 = 80th percentile of u80 and
k95 = 95th percentile of u95, k their geometric mean (one factor serves both
levels); k is smoothed as a h^b per bin and divided by its geometric mean
over all cells: the calibration carries the SHAPE (narrower one or two years
ahead, wider five or six, wider for 4-9-point histories) and leaves the
level to the prior, because the pseudo-origin years are more volatile than
the years that follow them (an era effect, see main()).
The prior used here is refitted on the 7 points ending at each pseudo-origin
(volatility_prior.py's method), so no pseudo-test point is seen. Prints the table in the form of config/settings.yaml's
forecast.width_calibration and writes benchmarks/results/width_calibration.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import m3_common  # noqa: E402,F401  (one BLAS thread per worker, set before numpy is imported)
import argparse  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = m3_common.ROOT

from analysis.core.config import load_config  # noqa: E402
from analysis.model.forecast import ForecastSettings, InsufficientData, SeriesData, forecast_series  # noqa: E402
from analysis.model.uncertainty import VolatilityPrior  # noqa: E402
from sparse import H, MEMBER_NAMES, PATTERNS, cut_as  # noqa: E402
from volatility_prior import fit_prior, series_stats  # noqa: E402

PRIOR_WINDOW = 7                 # as volatility_prior.py's default

CAL_PATTERNS = {**PATTERNS, "last4": ("last", 4), "last6": ("last", 6), "last10": ("last", 10)}
BINS = (2, 3, 6, 10)             # min_points of each row: 2, 3-5, 6-9, 10+ (3 and 4-5 pooled: separate rows
#                                  made a 4-point band wider than a 3-point one, tests/test_uncertainty.py)


def run_one(args: tuple) -> list[dict]:
    sid, years, values, settings, step = args
    rows = []
    for end in range(len(years) - H, 1, -step):          # pseudo-origins: every step-th point, latest first
        rows += _origin(sid, years[:end], values[:end], values[end:end + H], settings, end)
    return rows


def _origin(sid, hist_y: np.ndarray, hist_v: np.ndarray, pseudo_test: np.ndarray, settings, end: int) -> list[dict]:
    rows = []
    for pattern, (kind, arg) in CAL_PATTERNS.items():
        c = cut_as(hist_y, hist_v, kind, arg)
        if c is None:
            continue
        yc, vc = c
        try:
            fc = forecast_series(SeriesData(yc, vc), int(yc[-1]) + H, settings, key=f"{sid}/{pattern}/cal",
                                 members=MEMBER_NAMES)
        except InsufficientData:
            continue
        lp, ly = np.log(fc.paths), np.log(pseudo_test)
        q = np.quantile(lp, [0.025, 0.10, 0.50, 0.90, 0.975], axis=0)
        for h in range(H):
            lo95, lo80, med, hi80, hi95 = q[:, h]
            above = ly[h] >= med
            u80 = (ly[h] - med) / max(hi80 - med, 1e-12) if above else (med - ly[h]) / max(med - lo80, 1e-12)
            u95 = (ly[h] - med) / max(hi95 - med, 1e-12) if above else (med - ly[h]) / max(med - lo95, 1e-12)
            rows.append({"series": sid, "origin": end, "pattern": pattern, "n": len(yc), "h": h + 1, "u80": u80, "u95": u95})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-dir", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--n-paths", type=int, default=2000)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--step", type=int, default=100,
                    help="years between pseudo-origins (default: only the latest, 6 points before the end)")
    ap.add_argument("--collections", default="m3train",
                    help="comma list: m3train (M3 yearly training parts, the default) and any of m1train, m3q, m1q "
                         "(their histories before yearly_collections.py's pseudo-origin; issue 27: fit on pooled parts)")
    ap.add_argument("--out-json", default=None, help="also write the settings block as JSON {min_points: [k_h]}")
    args = ap.parse_args()
    data = pd.read_csv(Path(args.bench_dir) / "m3_yearly.csv")
    settings = replace(ForecastSettings.from_config(load_config().settings), n_paths=args.n_paths, width_scale=())
    # the prior as volatility_prior.py fits it, but on the 7 points ending at the pseudo-origin, so that the
    # pseudo-test points are seen neither by the prior nor by the forecasts being calibrated
    before = data[data["split"] == "train"].sort_values(["series_id", "t"]).groupby("series_id").head(-H)
    p = fit_prior(series_stats(before.assign(split="train"), PRIOR_WINDOW))
    settings = replace(settings, prior=replace(settings.prior, log_sd=p["log_sd"], spread=p["spread"]))
    print(f"# prior at the pseudo-origins: {p}")
    jobs = []
    chosen = args.collections.split(",")
    if "m3train" in chosen:
        for sid, g in data[data["split"] == "train"].sort_values(["series_id", "t"]).groupby("series_id"):
            jobs.append((sid, g["year"].to_numpy(int), g["value"].to_numpy(float), settings, args.step))
    for name in (c for c in chosen if c != "m3train"):
        from yearly_collections import load_collection     # histories only: the held-out years are never read
        _, series = load_collection(Path(args.bench_dir), name)
        jobs += [(f"{name}/{sid}", years, hist, settings, args.step) for sid, years, hist, _ in series if len(hist) > H + 1]
    jobs = jobs[: args.limit] if args.limit else jobs
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = [r for rs in pool.map(run_one, jobs, chunksize=4) for r in rs]
    wall = time.perf_counter() - t0
    df = pd.DataFrame(rows)
    df["bin"] = pd.cut(df["n"], bins=[*BINS, 10_000], right=False, labels=list(BINS)).astype(int)
    tab = df.groupby(["bin", "h"]).agg(count=("u80", "size"), cov80=("u80", lambda u: np.mean(u <= 1)),
                                        cov95=("u95", lambda u: np.mean(u <= 1)),
                                        k80=("u80", lambda u: np.quantile(u, 0.80)),
                                        k95=("u95", lambda u: np.quantile(u, 0.95))).reset_index()
    tab["k"] = np.sqrt(tab["k80"] * tab["k95"])
    # smooth in the horizon: k = a h^b per bin (a power law in h, the way interval width grows), then divide by
    # the geometric mean over all cells: the LEVEL of the width is the prior's business (fitted on the recent
    # window); the pseudo-origin years are more volatile than the years after them (median sd of yearly log
    # changes 0.063 in the last six training points against 0.051 in the six test years), so their level is
    # not carried over; their SHAPE (how width should grow with h and differ by history length) is.
    fits = {b: np.polyfit(np.log(g["h"]), np.log(g["k"]), 1) for b, g in tab.groupby("bin")}
    tab["k_smooth"] = [np.exp(np.polyval(fits[b], np.log(h))) for b, h in zip(tab["bin"], tab["h"])]
    level = float(np.exp(np.mean(np.log(tab["k_smooth"]))))
    tab["factor"] = tab["k_smooth"] / level
    print(f"# geometric mean of the smoothed factors (divided out): {level:.3f}")
    lines = ["  width_calibration:", "    scale:"]
    for b, g in tab.groupby("bin"):
        lines.append(f"      {b}: [{', '.join(f'{k:.2f}' for k in g.sort_values('h')['factor'])}]")
    print("\n".join(lines))
    if args.out_json:
        import json
        table = {int(b): [round(float(k), 2) for k in g.sort_values("h")["factor"]] for b, g in tab.groupby("bin")}
        Path(args.out_json).write_text(json.dumps({"collections": chosen, "scale": table}) + "\n", encoding="utf-8")
    md = ["# Interval-width calibration (rolling origin inside the M3 yearly training parts)", "",
          f"Command: `PYTHONPATH=src .venv/bin/python benchmarks/width_calibration.py --workers {args.workers} "
          f"--n-paths {args.n_paths}`  ",
          f"Run: {time.strftime('%Y-%m-%d %H:%M')}, wall time {wall:.0f} s, {len(jobs)} series, "
          "pseudo-origin 6 points before the end of each training part (the test points are never read).", "",
          "Uncalibrated coverage (cov80, cov95) and the factors that would make it nominal at the pseudo-origins "
          "(k80, k95; k = their geometric mean), per bin of history length (min points) and horizon; k_smooth = "
          f"a h^b fitted per bin; factor = k_smooth / {level:.3f} (their geometric mean), the factor the engine uses:", "",
          tab.to_markdown(index=False, floatfmt=".3f"), "", "Settings block:", "", "```yaml", *lines, "```", ""]
    name = "width_calibration" + ("" if chosen == ["m3train"] else "_" + "_".join(chosen))
    out = ROOT / "benchmarks" / "results" / (f"{name}.md" if not args.limit else f"{name}_quick.md")
    out.write_text("\n".join(md), encoding="utf-8")


if __name__ == "__main__":
    main()
