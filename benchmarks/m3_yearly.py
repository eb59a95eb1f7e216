"""Benchmark the forecast engine on the 645 yearly series of the M3 competition (horizon 6).

    .venv/bin/python benchmarks/m3_yearly.py [--bench-dir ../shared/bench] [--workers 2] [--limit N]

Scores the ensemble and each member with the same code as the competition
entrants' submitted forecasts (re-scored here, side by side): sMAPE and MASE
of the median path, coverage of the central 80 % and 95 % path intervals,
the Brier score of P(y_T+6 >= c * last observation) for several c with a
reliability table, Brier skill against a plain (undamped) random walk with
drift, and wall time. Writes benchmarks/results/m3_yearly.md.
Only benchmarks read ../shared/; the product never does.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from m3_common import H, MEMBER_NAMES, ROOT, THRESHOLDS, mase, smape  # noqa: F401  (sets BLAS threads first)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.core.config import load_config  # noqa: E402
from analysis.model.forecast import ForecastSettings, SeriesData, forecast_series, random_walk_drift  # noqa: E402


def mean_smape(y: np.ndarray, f: np.ndarray) -> float:
    """The competition's sMAPE: averaged over horizons."""
    return float(np.mean(smape(y, f)))


def run_one(args: tuple[str, np.ndarray, np.ndarray, np.ndarray, ForecastSettings]) -> dict:
    sid, years, train, test, settings = args
    d = SeriesData(years, train)
    fc = forecast_series(d, int(years[-1]) + H, settings, key=sid, members=MEMBER_NAMES)
    out = {"series_id": sid, "dropped": ";".join(fc.dropped)}
    for name, paths in [("ensemble", fc.paths), *fc.members.items()]:
        q = np.quantile(paths, [0.025, 0.10, 0.5, 0.90, 0.975], axis=0)
        out[name] = {
            "smape": mean_smape(test, q[2]), "mase": mase(test, q[2], train),
            "cov80": float(np.mean((test >= q[1]) & (test <= q[3]))),
            "cov95": float(np.mean((test >= q[0]) & (test <= q[4]))),
            "p": [float(np.mean(paths[:, -1] >= c * train[-1])) for c in THRESHOLDS],
        }
    rng = np.random.default_rng(7)
    ref = np.exp(random_walk_drift(d, H, settings.n_paths, rng, replace(settings, trend_damping=1.0)))
    out["rwd_reference"] = {"p": [float(np.mean(ref[:, -1] >= c * train[-1])) for c in THRESHOLDS],
                            "smape": mean_smape(test, np.median(ref, axis=0)), "mase": mase(test, np.median(ref, axis=0), train),
                            "cov80": float(np.mean((test >= np.quantile(ref, .1, 0)) & (test <= np.quantile(ref, .9, 0)))),
                            "cov95": float(np.mean((test >= np.quantile(ref, .025, 0)) & (test <= np.quantile(ref, .975, 0))))}
    out["outcome"] = [float(test[-1] >= c * train[-1]) for c in THRESHOLDS]
    return out


def brier(results: list[dict], name: str) -> float:
    p = np.array([r[name]["p"] for r in results])
    o = np.array([r["outcome"] for r in results])
    return float(np.mean((p - o) ** 2))


def reliability(results: list[dict], name: str) -> pd.DataFrame:
    p = np.concatenate([r[name]["p"] for r in results])
    o = np.concatenate([r["outcome"] for r in results])
    bins = np.minimum((p * 10).astype(int), 9)
    rows = [{"P(forecast) bin": f"{b / 10:.1f}-{(b + 1) / 10:.1f}", "n": int((bins == b).sum()),
             "mean P": float(p[bins == b].mean()), "observed frequency": float(o[bins == b].mean())}
            for b in range(10) if (bins == b).any()]
    return pd.DataFrame(rows)


def entrants(bench: Path, data: pd.DataFrame) -> pd.DataFrame:
    fc = pd.read_csv(bench / "m3_yearly_original_forecasts.csv")
    test = data[data["split"] == "test"].sort_values(["series_id", "t"])
    train = data[data["split"] == "train"].sort_values(["series_id", "t"])
    y = {sid: g["value"].to_numpy() for sid, g in test.groupby("series_id")}
    tr = {sid: g["value"].to_numpy() for sid, g in train.groupby("series_id")}
    rows = []
    for method, g in fc.groupby("method"):
        s, m = [], []
        for sid, gg in g.groupby("series_id"):
            f = gg.sort_values("h")["forecast"].to_numpy()
            s.append(mean_smape(y[sid], f))
            m.append(mase(y[sid], f, tr[sid]))
        rows.append({"method": method, "sMAPE": np.mean(s), "MASE": np.nanmean(m), "series": len(s)})
    return pd.DataFrame(rows).sort_values("sMAPE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench-dir", default=str(ROOT.parent / "shared" / "bench"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=None, help="first N series only (quick look)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "m3_yearly.md"))
    parser.add_argument("--damping", type=float, default=None, help="override forecast.trend_damping (sensitivity runs)")
    args = parser.parse_args()
    bench = Path(args.bench_dir)
    data = pd.read_csv(bench / "m3_yearly.csv")
    settings = ForecastSettings.from_config(load_config().settings)
    if args.damping is not None:
        settings = replace(settings, trend_damping=args.damping)
    jobs = []
    for sid, g in data.sort_values(["series_id", "t"]).groupby("series_id"):
        tr, te = g[g["split"] == "train"], g[g["split"] == "test"]
        jobs.append((sid, tr["year"].to_numpy(int), tr["value"].to_numpy(float), te["value"].to_numpy(float), settings))
    jobs = jobs[: args.limit] if args.limit else jobs
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_one, jobs, chunksize=8))
    wall = time.perf_counter() - start

    names = ["ensemble", *MEMBER_NAMES, "rwd_reference"]
    ref_brier = brier(results, "rwd_reference")
    table = []
    for name in names:
        rs = [r for r in results if name in r]
        table.append({"method": name, "series": len(rs),
                      "sMAPE": np.mean([r[name]["smape"] for r in rs]), "MASE": np.nanmean([r[name]["mase"] for r in rs]),
                      "80% coverage": 100 * np.mean([r[name]["cov80"] for r in rs]),
                      "95% coverage": 100 * np.mean([r[name]["cov95"] for r in rs]),
                      "Brier": brier(rs, name) if len(rs) == len(results) else np.nan})
    ours = pd.DataFrame(table)
    ours["Brier skill vs RWD"] = 1 - ours["Brier"] / ref_brier
    theirs = entrants(bench, data) if not args.limit else pd.DataFrame()
    drops = pd.Series([d for r in results for d in r["dropped"].split(";") if d]).value_counts()

    ens = ours.iloc[0]
    best_entrant = theirs.iloc[0] if len(theirs) else None
    lines = [
        "# M3 yearly benchmark of the forecast engine",
        "",
        f"Command: `.venv/bin/python benchmarks/m3_yearly.py --workers {args.workers}"
        + (f" --limit {args.limit}" if args.limit else "") + (f" --damping {args.damping}" if args.damping is not None else "") + "`",
        f"Run: {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores; wall time {wall:.0f} s for {len(results)} series "
        f"({settings.n_paths} paths per member, horizon {H}, trend damping {settings.trend_damping}).",
        "",
        "## The engine (median of simulated paths)",
        "",
        ours.to_markdown(index=False, floatfmt=".3f"),
        "",
        "`rwd_reference` is a plain random walk with drift (no damping): the Brier skill reference.",
        f"Members dropped (fit failed or too short): {dict(drops) if len(drops) else 'none'}.",
        "",
        "## Bar (issue 4)",
        "",
        f"- ensemble sMAPE {ens['sMAPE']:.2f} (bar: <= 16.4"
        + (f"; best re-scored entrant {best_entrant['method']} {best_entrant['sMAPE']:.2f})" if best_entrant is not None else ")"),
        f"- 80 % interval coverage {ens['80% coverage']:.1f} %, 95 % coverage {ens['95% coverage']:.1f} % (bar: within 5 points of nominal)",
        f"- Brier skill against the random walk with drift {ens['Brier skill vs RWD']:.3f} (bar: > 0)",
        "",
        "## Reliability of P(y[T+6] >= c × last observation), c in " + ", ".join(map(str, THRESHOLDS)),
        "",
        reliability(results, "ensemble").to_markdown(index=False, floatfmt=".3f"),
        "",
    ]
    if len(theirs):
        lines += ["## Competition entrants, re-scored by the same code", "",
                  theirs.to_markdown(index=False, floatfmt=".3f"), ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
