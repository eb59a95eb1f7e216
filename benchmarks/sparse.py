"""Benchmark the forecast engine on M3 yearly series cut to look like Haimen's: 2-7 points, years apart.

    PYTHONPATH=src .venv/bin/python benchmarks/sparse.py [--bench-dir ../shared/bench] [--workers 2] [--limit N]

Every M3 yearly training series is cut to a Haimen-like history that ends at
the forecast origin (the last training point), and forecast 1-6 years ahead
against the six test points (never seen by the engine or by the prior fit):

- full: the whole training series;
- last2, last3, last5, last7: the last 2, 3, 5, 7 points;
- gaps_17_9_5_0, gaps_9_5_0, gaps_5_0: only the points 17, 9, 5 years and 0
  years before the origin (series too short for a pattern are skipped for it).

Scores per pattern: coverage of the central 50/80/95 % path intervals per
horizon; sMAPE and MASE of the median path against the naive (last value)
and drift (straight line through the first and last kept point) forecasts;
Brier score of P(y[T+h] >= c x last) for c in THRESHOLDS and h = 1..6 (the
quantity the verdicts use) with a reliability table, and its skill against a
random walk with drift (undamped, same volatility prior: a strong reference).
MASE is scaled by the in-sample naive MAE of the whole training series, so
that it compares the patterns on one scale.

Writes benchmarks/results/sparse.md and benchmarks/results/sparse_summary.json
(keys documented in sparse.md). Only benchmarks read ../shared/.
"""
from __future__ import annotations

from typing import Iterator

import argparse
import os
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from m3_common import H, MEMBER_NAMES, ROOT, THRESHOLDS, smape  # noqa: F401  (sets BLAS threads first)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.core.config import load_config  # noqa: E402
from analysis.model.forecast import ForecastSettings, InsufficientData, SeriesData, forecast_series, random_walk_drift  # noqa: E402

LEVELS = {"50": (0.25, 0.75), "80": (0.10, 0.90), "95": (0.025, 0.975)}
PATTERNS: dict[str, tuple[str, object]] = {
    "full": ("all", None),
    "last2": ("last", 2), "last3": ("last", 3), "last5": ("last", 5), "last7": ("last", 7),
    "gaps_17_9_5_0": ("offsets", (-17, -9, -5, 0)),
    "gaps_9_5_0": ("offsets", (-9, -5, 0)),
    "gaps_5_0": ("offsets", (-5, 0)),
}


def cut(years: np.ndarray, values: np.ndarray, pattern: str) -> tuple[np.ndarray, np.ndarray] | None:
    return cut_as(years, values, *PATTERNS[pattern])


def cuts(years: np.ndarray, values: np.ndarray, patterns) -> "Iterator[tuple[str, np.ndarray, np.ndarray, SeriesData]]":
    """(pattern, years kept, values kept, their SeriesData) for every pattern the series is long enough for: the
    loop sparse.py and yearly_collections.py both score."""
    for pattern in patterns:
        c = cut(years, values, pattern)
        if c is not None:
            yield pattern, c[0], c[1], SeriesData(c[0], c[1])


def cut_as(years: np.ndarray, values: np.ndarray, kind: str, arg) -> tuple[np.ndarray, np.ndarray] | None:
    """The history a pattern keeps (kind all / last n / offsets from the end), or None when the series is too short."""
    if kind == "all":
        return years, values
    if kind == "last":
        return (years[-arg:], values[-arg:]) if len(years) >= arg else None
    idx = [len(years) - 1 + o for o in arg]
    return (years[idx], values[idx]) if min(idx) >= 0 else None


def run_one(args: tuple) -> dict[str, dict]:
    sid, years, train, test, settings = args
    scale = float(np.mean(np.abs(np.diff(train))))
    out = {}
    for pattern, yc, vc, d in cuts(years, train, PATTERNS):
        last = vc[-1]
        try:
            fc = forecast_series(d, int(yc[-1]) + H, settings, key=f"{sid}/{pattern}", members=MEMBER_NAMES)
        except InsufficientData as exc:          # counted, never hidden: the summary reports the series left out
            out.setdefault("_failed", []).append(f"{pattern}: {exc}")
            continue
        naive = np.full(H, last)
        drift = last + (vc[-1] - vc[0]) / (yc[-1] - yc[0]) * np.arange(1, H + 1)
        r = {"dropped": list(fc.dropped), "outcome": [[float(test[h] >= c_ * last) for c_ in THRESHOLDS] for h in range(H)]}
        for name, paths in [("ensemble", fc.paths), *fc.members.items()]:
            q = {k: np.quantile(paths, v, axis=0) for k, v in
                 {"lo50": .25, "hi50": .75, "lo80": .1, "hi80": .9, "lo95": .025, "hi95": .975, "med": .5}.items()}
            r[name] = {f"cov{lv}": ((test >= q[f"lo{lv}"]) & (test <= q[f"hi{lv}"])).astype(float).tolist() for lv in LEVELS}
            r[name]["smape"] = smape(test, q["med"]).tolist()
            r[name]["mase"] = (np.abs(test - q["med"]) / scale).tolist() if scale > 0 else [np.nan] * H
            r[name]["p"] = [[float(np.mean(paths[:, h] >= c_ * last)) for c_ in THRESHOLDS] for h in range(H)]
        for name, f in (("naive", naive), ("drift", drift)):
            r[name] = {"smape": smape(test, f).tolist(),
                       "mase": (np.abs(test - f) / scale).tolist() if scale > 0 else [np.nan] * H}
        rng = np.random.default_rng(7)
        ref = np.exp(random_walk_drift(d, H, settings.n_paths, rng, replace(settings, trend_damping=1.0)))
        r["rwd_reference"] = {"p": [[float(np.mean(ref[:, h] >= c_ * last)) for c_ in THRESHOLDS] for h in range(H)],
                              **{f"cov{lv}": ((test >= np.quantile(ref, lo, 0)) & (test <= np.quantile(ref, hi, 0)))
                                 .astype(float).tolist() for lv, (lo, hi) in LEVELS.items()},
                              "smape": smape(test, np.median(ref, axis=0)).tolist()}
        out[pattern] = r
    return out


def summarise(rs: list[dict], name: str) -> dict:
    """Per-horizon means (arrays of length H) of one method's scores over the series that have it."""
    rows = [r[name] for r in rs if name in r]
    s = {"series": len(rows)}
    for k in ("cov50", "cov80", "cov95", "smape", "mase"):
        if rows and k in rows[0]:
            s[k] = np.nanmean(np.array([x[k] for x in rows]), axis=0)
    if rows and "p" in rows[0] and len(rows) == len(rs):
        p = np.array([x["p"] for x in rows])                  # series x h x c
        o = np.array([r["outcome"] for r in rs])
        s["brier_h"] = np.mean((p - o) ** 2, axis=(0, 2))
        s["brier"] = float(np.mean((p - o) ** 2))
    return s


def reliability(rs: list[dict], name: str) -> pd.DataFrame:
    p = np.concatenate([np.ravel(r[name]["p"]) for r in rs])
    o = np.concatenate([np.ravel(r["outcome"]) for r in rs])
    bins = np.minimum((p * 10).astype(int), 9)
    return pd.DataFrame([{"P bin": f"{b / 10:.1f}-{(b + 1) / 10:.1f}", "n": int((bins == b).sum()),
                          "mean P": float(p[bins == b].mean()), "observed": float(o[bins == b].mean())}
                         for b in range(10) if (bins == b).any()])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-dir", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--limit", type=int, default=None, help="first N series only (quick look)")
    ap.add_argument("--n-paths", type=int, default=None, help="override forecast.n_paths (quick looks)")
    ap.add_argument("--damping", type=float, default=None, help="override forecast.trend_damping (sensitivity runs)")
    ap.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    data = pd.read_csv(Path(args.bench_dir) / "m3_yearly.csv")
    settings = ForecastSettings.from_config(load_config().settings)
    if args.n_paths:
        settings = replace(settings, n_paths=args.n_paths)
    if args.damping is not None:
        settings = replace(settings, trend_damping=args.damping)
    jobs = []
    for sid, g in data.sort_values(["series_id", "t"]).groupby("series_id"):
        tr, te = g[g["split"] == "train"], g[g["split"] == "test"]
        jobs.append((sid, tr["year"].to_numpy(int), tr["value"].to_numpy(float), te["value"].to_numpy(float), settings))
    jobs = jobs[: args.limit] if args.limit else jobs
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_one, jobs, chunksize=4))
    wall = time.perf_counter() - t0

    command = ("PYTHONPATH=src .venv/bin/python benchmarks/sparse.py --workers " + str(args.workers)
               + (f" --limit {args.limit}" if args.limit else "") + (f" --n-paths {args.n_paths}" if args.n_paths else "")
               + (f" --damping {args.damping}" if args.damping is not None else ""))
    summary = {"command": command, "run": time.strftime("%Y-%m-%d %H:%M"), "series": len(results),
               "n_paths": settings.n_paths, "trend_damping": settings.trend_damping, "horizons": H, "patterns": {}}
    md = ["# Sparse M3 yearly benchmark: series cut to look like Haimen's", "",
          f"Command: `{command}`  ", f"Run: {summary['run']}, wall time {wall:.0f} s on {args.workers} workers, "
          f"{len(results)} series, {settings.n_paths} paths per member, trend damping {settings.trend_damping}.", ""]
    pattern_tables = []
    for pattern in PATTERNS:
        rs = [r[pattern] for r in results if pattern in r]
        if not rs:
            continue
        e, nv, dr, ref = (summarise(rs, k) for k in ("ensemble", "naive", "drift", "rwd_reference"))
        skill = 1 - e["brier"] / ref["brier"]
        summary["patterns"][pattern] = {
            "series": len(rs),
            "cov50_h2": round(100 * e["cov50"][1], 1), "cov80_h2": round(100 * e["cov80"][1], 1),
            "cov95_h2": round(100 * e["cov95"][1], 1),
            "cov50_avg": round(100 * e["cov50"].mean(), 1), "cov80_avg": round(100 * e["cov80"].mean(), 1),
            "cov95_avg": round(100 * e["cov95"].mean(), 1),
            "smape_ensemble": round(float(e["smape"].mean()), 2), "smape_naive": round(float(nv["smape"].mean()), 2),
            "smape_drift": round(float(dr["smape"].mean()), 2),
            "mase_ensemble": round(float(e["mase"].mean()), 3), "mase_naive": round(float(nv["mase"].mean()), 3),
            "mase_drift": round(float(dr["mase"].mean()), 3),
            "brier_ensemble": round(e["brier"], 4), "brier_rwd": round(ref["brier"], 4), "brier_skill": round(skill, 3),
        }
        drops = pd.Series([x for r in rs for x in r["dropped"]]).value_counts()
        rows = []
        for name in ("ensemble", *MEMBER_NAMES, "rwd_reference", "naive", "drift"):
            s = summarise(rs, name)
            if not s["series"]:
                continue
            row = {"method": name, "series": s["series"], "sMAPE": s["smape"].mean(),
                   "MASE": s["mase"].mean() if "mase" in s else np.nan}
            for lv in LEVELS:
                if f"cov{lv}" in s:
                    row[f"cov{lv} h1..h6"] = " ".join(f"{100 * v:.0f}" for v in s[f"cov{lv}"])
                    row[f"cov{lv} avg"] = 100 * s[f"cov{lv}"].mean()
            row["Brier"] = s.get("brier", np.nan)
            rows.append(row)
        tab = pd.DataFrame(rows)
        md += [f"## {pattern} ({len(rs)} series)", "", tab.to_markdown(index=False, floatfmt=".2f"), "",
               f"Brier skill of the ensemble against the random walk with drift: {skill:.3f}. "
               f"Brier per horizon h1..h6: {' '.join(f'{v:.3f}' for v in e['brier_h'])}. "
               f"Members dropped: {dict(drops) if len(drops) else 'none'}.", ""]
        if pattern in ("full", "last3", "gaps_9_5_0"):
            md += [f"Reliability of P(y[T+h] >= c x last), {pattern}, pooled over h and c:", "",
                   reliability(rs, "ensemble").to_markdown(index=False, floatfmt=".3f"), ""]
        p = summary["patterns"][pattern]
        pattern_tables.append({"pattern": pattern, "series": len(rs), "cov80 h2": p["cov80_h2"], "cov95 h2": p["cov95_h2"],
                               "cov80 avg": p["cov80_avg"], "cov95 avg": p["cov95_avg"], "sMAPE ens": p["smape_ensemble"],
                               "sMAPE naive": p["smape_naive"], "sMAPE drift": p["smape_drift"],
                               "Brier skill": p["brier_skill"]})
    failed = [f"{r_id}: {msg}" for r_id, r in zip([j[0] for j in jobs], results) for msg in r.get("_failed", [])]
    summary["failed"] = len(failed)
    md += ["## Forecasts that could not be made", "", f"{len(failed)}: " + ("; ".join(failed[:20]) or "none"), ""]
    summary["full_smape"] = summary["patterns"]["full"]["smape_ensemble"] if "full" in summary["patterns"] else None

    def ok(p: dict) -> bool:
        return (all(abs(p[k] - nominal) <= 5 for k, nominal in
                    (("cov80_h2", 80), ("cov95_h2", 95), ("cov80_avg", 80), ("cov95_avg", 95)))
                and p["brier_skill"] > 0 and p["smape_ensemble"] <= p["smape_naive"])
    summary["bars"] = {k: ok(p) for k, p in summary["patterns"].items()}
    summary["bars"]["full_smape_le_16"] = bool(summary["full_smape"] is not None and summary["full_smape"] <= 16.0)
    head = ["## Summary (the bars of issue 9)", "",
            pd.DataFrame(pattern_tables).to_markdown(index=False, floatfmt=".2f"), "",
            "Bars: 80 % and 95 % coverage within ±5 points of nominal at h = 2 and averaged over h = 1..6, Brier skill "
            "against the random walk with drift > 0, sMAPE no worse than naive; full series sMAPE <= 16.0. "
            f"Met: {summary['bars']}.", "",
            "`sparse_summary.json` keys: `command`, `run`, `series`, `n_paths`, `trend_damping`, `horizons`; "
            "`full_smape` (ensemble sMAPE on the full series); `patterns.<pattern>` with `series`, "
            "`cov50_h2`/`cov80_h2`/`cov95_h2` (ensemble coverage of the central 50/80/95 % interval at h = 2, %), "
            "`cov50_avg`/`cov80_avg`/`cov95_avg` (the same averaged over h = 1..6, %), `smape_ensemble`/`smape_naive`/"
            "`smape_drift` (sMAPE averaged over h = 1..6), `mase_*` likewise, `brier_ensemble`/`brier_rwd` (Brier score "
            "of P(y[T+h] >= c x last) over h = 1..6 and c in " + ", ".join(map(str, THRESHOLDS)) + "), `brier_skill` "
            "(1 − brier_ensemble / brier_rwd); `bars.<pattern>` true when every bar holds for it.", ""]
    md = md[:5] + head + md[5:]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if not args.limit and not args.n_paths and args.damping is None else "_quick"
    (out / f"sparse{suffix}.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (out / f"sparse_summary{suffix}.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("\n".join(head))


if __name__ == "__main__":
    main()
