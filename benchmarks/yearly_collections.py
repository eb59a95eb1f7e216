"""Score the forecast engine on each collection of yearly series separately (issue 27, point 3).

    .venv/bin/python benchmarks/yearly_collections.py [--collections m3,m1] [--patterns full,last2,...] [--every K]
                                               [--limit N] [--variant baseline] [--workers 1] [--report-only]

Collections with a published hold-out (the test parts; scored, never fitted on):

- m3: M3 yearly (../shared/bench/m3_yearly.csv), 645 series, the last 6 points held out (h = 6);
- m1: M1 yearly (../shared/bench/reference_yearly.csv, source "M1 yearly"), 181 series, its published
  hold-out of the last 6 points (h = 6).

Pseudo-origin collections inside the fitting parts (for diagnosis and experiments that must not look at a
test part): m3train / m1train (the training part of M3 / M1 yearly less its last 6 points, h = 6) and m3q,
m3m, m1q, m1m (M3 / M1 quarterly or monthly summed to calendar years, `full`, the last 4 years held out,
h = 4 like the team's hidden collection; histories of at least 2 points).

Every collection is scored as a whole ("full") and cut to the sparse and gappy patterns of
benchmarks/sparse.py (its PATTERNS and cut(): the last 2/3/5/7 points, or the points 17, 9, 5 and 0 years
before the origin); a series too short for a pattern is skipped for it. The scoring code is that of
m3_yearly.py / sparse.py (m3_common.smape, the MASE scale of m3_common.mase, the same interval quantiles):

- sMAPE and MASE of the median path (MASE scaled by the in-sample naive MAE of the whole history);
- coverage of the central 50 / 80 / 95 % path intervals per horizon, and pooled over horizons;
- Brier score of P(y[T+h] >= c * y[T]) over h = 1..H and c in m3_common.THRESHOLDS, and its skill against
  a plain (undamped) random walk with drift (`rwd`, the engine's random_walk_drift member with damping 1 and
  the same volatility prior, no width calibration: the reference of m3_yearly.py and sparse.py).

Beside the engine: `naive` (point: the last value; intervals and P: a random walk without drift, the same
member with damping 0, same volatility prior) and `rwd`, plus each engine member and `drift line` (the
classical drift point forecast through the first and last kept point). Which members were dropped, and why
(Forecast.dropped), is counted per collection, pattern and history length.

Writes benchmarks/results/collections.md (variant baseline) or collections_<variant>.md, and a summary JSON
beside it; per-series records are cached (--cache-dir, default /tmp/collections_cache) so that collections
can be run one at a time (each run well under 15 minutes) and reported together with --report-only.
Variants other than baseline (experimental members, settings overrides) are registered by
benchmarks/damped_experiment.py. Only benchmarks read ../shared/; the product never does.
"""
from __future__ import annotations

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from dataclasses import replace  # noqa: E402
from typing import Callable  # noqa: E402

from m3_common import MEMBER_NAMES, ROOT, THRESHOLDS, smape  # noqa: E402  (sets BLAS threads first)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.core.config import load_config  # noqa: E402
from analysis.model.forecast import (ForecastSettings, InsufficientData, forecast_series,  # noqa: E402
                                     random_walk_drift)
from sparse import LEVELS, PATTERNS, cuts  # noqa: E402

QUANTS = {"lo50": .25, "hi50": .75, "lo80": .10, "hi80": .90, "lo95": .025, "hi95": .975, "med": .5}
TEST_COLLECTIONS = {"m3": "M3 yearly test", "m1": "M1 yearly test"}
PSEUDO_COLLECTIONS = {"m3train": "M3 yearly training parts, pseudo-origin 6 before their end",
                      "m1train": "M1 yearly training parts, pseudo-origin 6 before their end",
                      "m3q": "M3 quarterly summed to years, last 4 held out",
                      "m3m": "M3 monthly summed to years, last 4 held out",
                      "m1q": "M1 quarterly summed to years, last 4 held out",
                      "m1m": "M1 monthly summed to years, last 4 held out"}
COLLECTIONS = {**TEST_COLLECTIONS, **PSEUDO_COLLECTIONS}
# variant name -> (members, settings transform); damped_experiment.py adds its own
VARIANTS: dict[str, tuple[tuple[str, ...], Callable[[ForecastSettings], ForecastSettings]]] = {
    "baseline": (MEMBER_NAMES, lambda s: s),
}
LENGTH_BINS = (2, 3, 5, 8, 10, 13, 16, 20, 30)        # history length bins (lower edges) of the drop tables


# ------------------------------------------------------------------------------------------------ data --
def load_collection(bench: Path, name: str) -> tuple[int, list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]]:
    """(horizon, [(series_id, history years, history values, held-out values)]) of one collection."""
    if name == "m3" or name == "m3train":
        data = pd.read_csv(bench / "m3_yearly.csv")
    else:
        ref = pd.read_csv(bench / "reference_yearly.csv")
        source = {"m1": "M1 yearly", "m1train": "M1 yearly", "m3q": "M3 quarterly summed",
                  "m3m": "M3 monthly summed", "m1q": "M1 quarterly summed", "m1m": "M1 monthly summed"}[name]
        data = ref[ref["source"] == source]
    h = 6 if name in ("m3", "m1", "m3train", "m1train") else 4
    out = []
    for sid, g in data.sort_values(["series_id", "t"]).groupby("series_id", sort=True):
        if name in ("m3", "m1"):
            hist, held = g[g["split"] == "train"], g[g["split"] == "test"]
        else:
            g = g[g["split"] != "test"]
            hist, held = g.iloc[:-h], g.iloc[-h:]
        if len(hist) < 2 or len(held) != h:
            continue
        out.append((str(sid), hist["year"].to_numpy(int), hist["value"].to_numpy(float), held["value"].to_numpy(float)))
    return h, out


def reason_kind(reason: str) -> str:
    """A drop reason (Forecast.dropped) in a few words, for counting."""
    if reason.startswith("needs ") or "leave no degree of freedom" in reason or "consecutive years" in reason:
        return "too few points"
    m = re.match(r"MA (-?[\d.]+) at the invertibility boundary", reason)
    if m:
        return "MA boundary (MA near -1)" if float(m.group(1)) < 0 else "MA boundary (MA near +1)"
    if "not identified" in reason:
        return "not identified (no gain over RW)"
    if "not finite" in reason:
        return "likelihood not finite"
    if "diverge" in reason:
        return "paths diverge"
    if reason.startswith("fit failed"):
        return "fit failed (exception)"
    return "other: " + reason[:40]


# ------------------------------------------------------------------------------------------- scoring --
def _interval_scores(paths: np.ndarray, test: np.ndarray, last: float) -> dict:
    q = {k: np.quantile(paths, v, axis=0) for k, v in QUANTS.items()}
    r = {f"cov{lv}": ((test >= q[f"lo{lv}"]) & (test <= q[f"hi{lv}"])).astype(float).tolist() for lv in LEVELS}
    r["med"] = q["med"].tolist()
    r["p"] = [[float(np.mean(paths[:, j] >= c * last)) for c in THRESHOLDS] for j in range(paths.shape[1])]
    return r


def run_one(job: tuple) -> list[dict]:
    """Every pattern of one series: the engine, its members, naive and rwd; one record per pattern."""
    collection, sid, years, hist, test, h, patterns, members, settings = job
    diffs = np.abs(np.diff(hist))
    scale = float(np.mean(diffs)) if len(diffs) else np.nan      # m3_common.mase's scale, per horizon here
    out = []
    for pattern, yc, vc, d in cuts(years, hist, patterns):
        last = float(vc[-1])
        rec = {"collection": collection, "series_id": sid, "pattern": pattern, "n": int(len(yc)),
               "span": int(yc[-1] - yc[0]) + 1, "test": test.tolist(), "last": last, "scale": scale,
               "outcome": [[float(test[j] >= c_ * last) for c_ in THRESHOLDS] for j in range(h)]}
        try:
            fc = forecast_series(d, int(yc[-1]) + h, settings, key=f"{sid}/{pattern}", members=members)
        except InsufficientData as exc:
            rec["failed"] = str(exc)
            out.append(rec)
            continue
        rec["dropped"] = dict(fc.dropped)
        rec["methods"] = {"ensemble": _interval_scores(fc.paths, test, last)}
        for name, paths in fc.members.items():
            rec["methods"][name] = _interval_scores(paths, test, last)
        for name, damping in (("naive", 0.0), ("rwd", 1.0)):     # fixed comparators whatever the variant
            rng = np.random.default_rng(7)
            paths = np.exp(random_walk_drift(d, h, settings.n_paths, rng, replace(settings, trend_damping=damping, prior=replace(settings.prior, drift_decay=1.0))))
            rec["methods"][name] = _interval_scores(paths, test, last)
        rec["methods"]["naive"]["med"] = [last] * h                      # the last value, exactly
        line = last + (vc[-1] - vc[0]) / (yc[-1] - yc[0]) * np.arange(1, h + 1)
        rec["methods"]["drift line"] = {"med": line.tolist()}
        out.append(rec)
    return out


def summarise(recs: list[dict], name: str) -> dict:
    """Per-horizon means of one method over the records that have it (Brier only when every record has it)."""
    rows = [r for r in recs if name in r.get("methods", {})]
    s: dict = {"series": len(rows)}
    if not rows:
        return s
    y = np.array([r["test"] for r in rows])
    f = np.array([r["methods"][name]["med"] for r in rows])
    sc = np.array([r["scale"] for r in rows])
    s["smape"] = smape(y, f).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ae = np.abs(y - f) / np.where(sc > 0, sc, np.nan)[:, None]
    s["mase"] = np.nanmean(ae.mean(axis=1))                                   # m3_common.mase, averaged
    m0 = rows[0]["methods"][name]
    for lv in LEVELS:
        if f"cov{lv}" in m0:
            s[f"cov{lv}"] = np.mean([r["methods"][name][f"cov{lv}"] for r in rows], axis=0)
    if "p" in m0:
        p = np.array([r["methods"][name]["p"] for r in rows])          # series x h x c
        o = np.array([r["outcome"] for r in rows])
        s["brier_h"] = np.mean((p - o) ** 2, axis=(0, 2))
        s["brier"] = float(np.mean((p - o) ** 2))
    return s


def method_table(recs: list[dict], names: list[str]) -> tuple[pd.DataFrame, dict[str, dict]]:
    scored = [r for r in recs if "methods" in r]
    ref = summarise(scored, "rwd")
    rows, sums = [], {}
    for name in names:
        s = summarise(scored, name)
        if not s["series"]:
            continue
        sums[name] = s
        row = {"method": name, "series": s["series"], "sMAPE": float(s["smape"].mean()), "MASE": s["mase"]}
        for lv in LEVELS:
            if f"cov{lv}" in s:
                row[f"cov{lv} h1..h{len(s[f'cov{lv}'])}"] = " ".join(f"{100 * v:.0f}" for v in s[f"cov{lv}"])
                row[f"cov{lv}"] = 100 * float(s[f"cov{lv}"].mean())
            else:
                row[f"cov{lv} h1..h{len(s['smape'])}"], row[f"cov{lv}"] = "", np.nan
        full = s["series"] == len(scored)
        row["Brier"] = s["brier"] if "brier" in s and full else np.nan
        row["Brier skill vs rwd"] = 1 - s["brier"] / ref["brier"] if "brier" in s and full else np.nan
        rows.append(row)
    return pd.DataFrame(rows), sums


def criteria(e: dict, ref: dict, smape_bar: float | None) -> dict:
    """Issue 27's 'Done when' for one table: coverage within ±5 pooled and ±7 per horizon, skill >= 0.10."""
    out = {}
    for lv in ("80", "95"):
        cov = 100 * e[f"cov{lv}"]
        out[f"cov{lv}_pooled"] = round(float(cov.mean()), 1)
        out[f"cov{lv}_worst_h_dev"] = round(float(np.max(np.abs(cov - int(lv)))), 1)
        out[f"cov{lv}_ok"] = bool(abs(cov.mean() - int(lv)) <= 5 and np.max(np.abs(cov - int(lv))) <= 7)
    out["brier_skill"] = round(1 - e["brier"] / ref["brier"], 3)
    out["skill_ok"] = bool(out["brier_skill"] >= 0.10)
    out["smape"] = round(float(e["smape"].mean()), 2)
    if smape_bar is not None:
        out["smape_ok"] = bool(out["smape"] <= smape_bar)
    return out


def length_bin(n: int) -> str:
    lo = max(b for b in LENGTH_BINS if b <= n)
    nxt = [b for b in LENGTH_BINS if b > n]
    return f"{lo}-{nxt[0] - 1}" if nxt else f"{lo}+"


def drop_table(recs: list[dict], member: str) -> pd.DataFrame:
    """Series by history length (rows) and what happened to `member` (admitted, or the kind of drop reason)."""
    rows = []
    for r in recs:
        if "dropped" not in r:
            continue
        kind = reason_kind(r["dropped"][member]) if member in r["dropped"] else "admitted"
        rows.append({"points": length_bin(r["n"]), "n": r["n"], "kind": kind})
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    tab = pd.crosstab(df["points"], df["kind"])
    tab = tab.loc[sorted(tab.index, key=lambda s: int(s.split("-")[0].rstrip("+")))]
    tab.loc["all"] = tab.sum()
    tab["dropped"] = tab.drop(columns=[c for c in ("admitted",) if c in tab]).sum(axis=1)
    tab["dropped %"] = (100 * tab["dropped"] / tab.drop(columns=["dropped"]).sum(axis=1)).round(1)
    return tab.reset_index().rename(columns={"points": "history points"})


# ---------------------------------------------------------------------------------------------- runs --
def cache_path(cache: Path, variant: str, collection: str, every: int, limit: int | None, patterns: list[str]) -> Path:
    tag = "" if list(patterns) == list(PATTERNS) else "_" + "-".join(patterns)
    return cache / f"{variant}_{collection}{tag}_every{every}{'_limit' + str(limit) if limit else ''}.jsonl.gz"


def run_collection(bench: Path, collection: str, variant: str, patterns: list[str], every: int,
                   limit: int | None, workers: int, settings: ForecastSettings) -> tuple[list[dict], float, int]:
    members, transform = VARIANTS[variant]
    s = transform(settings)
    h, series = load_collection(bench, collection)
    series = series[::every]
    series = series[:limit] if limit else series
    jobs = [(collection, sid, y, v, t, h, patterns, members, s) for sid, y, v, t in series]
    t0 = time.perf_counter()
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run_one, jobs, chunksize=4))
    else:
        results = [run_one(j) for j in jobs]
    return [r for rs in results for r in rs], time.perf_counter() - t0, len(series)


def report(runs: dict[str, dict], variant: str, command: str, members: tuple[str, ...]) -> tuple[list[str], dict]:
    """The markdown report and the JSON summary of every cached collection run."""
    summary: dict = {"command": command, "variant": variant, "members": list(members), "collections": {}}
    head_rows, body = [], []
    for collection, run in runs.items():
        recs = run["records"]
        for pattern in PATTERNS:
            rs = [r for r in recs if r["pattern"] == pattern]
            scored = [r for r in rs if "methods" in r]
            if not scored:
                continue
            names = ["ensemble", *members, "naive", "rwd", "drift line"]
            tab, sums = method_table(scored, names)
            bar = 16.0 if (collection == "m3" and pattern == "full") else None
            crit = criteria(sums["ensemble"], sums["rwd"], bar)
            base = {k: {"smape": round(float(sums[k]["smape"].mean()), 2),
                        "mase": round(float(sums[k]["mase"]), 3),
                        **({"cov80": round(100 * float(sums[k]["cov80"].mean()), 1),
                            "cov95": round(100 * float(sums[k]["cov95"].mean()), 1),
                            "cov80_h": [round(100 * v, 1) for v in sums[k]["cov80"]],
                            "cov95_h": [round(100 * v, 1) for v in sums[k]["cov95"]],
                            "cov50": round(100 * float(sums[k]["cov50"].mean()), 1),
                            "brier": round(sums[k]["brier"], 4),
                            "brier_skill": round(1 - sums[k]["brier"] / sums["rwd"]["brier"], 3)}
                           if "cov80" in sums[k] and "brier" in sums[k] else {})}
                    for k in ("ensemble", "naive", "rwd", "drift line", *[m for m in members if m in sums])}
            drops = pd.Series([reason_kind(v) + f" [{k}]" for r in scored for k, v in r["dropped"].items()])
            summary["collections"].setdefault(collection, {})[pattern] = {
                "series": len(scored), "failed": len(rs) - len(scored), "criteria": crit, "methods": base,
                "dropped": {k: int(v) for k, v in drops.value_counts().items()}}
            label = COLLECTIONS[collection]
            head_rows.append({"collection": label, "pattern": pattern, "series": len(scored),
                              "sMAPE ens / naive / rwd": f"{base['ensemble']['smape']:.2f} / {base['naive']['smape']:.2f}"
                                                         f" / {base['rwd']['smape']:.2f}",
                              "cov80 pooled (worst h dev)": f"{crit['cov80_pooled']:.1f} ({crit['cov80_worst_h_dev']:.1f})",
                              "cov95 pooled (worst h dev)": f"{crit['cov95_pooled']:.1f} ({crit['cov95_worst_h_dev']:.1f})",
                              "rwd cov80 / cov95": f"{base['rwd']['cov80']:.1f} / {base['rwd']['cov95']:.1f}",
                              "naive cov80 / cov95": f"{base['naive']['cov80']:.1f} / {base['naive']['cov95']:.1f}",
                              "Brier skill ens / naive": f"{crit['brier_skill']:.3f} / {base['naive']['brier_skill']:.3f}",
                              "coverage ok (80/95)": f"{'yes' if crit['cov80_ok'] else 'NO'} / {'yes' if crit['cov95_ok'] else 'NO'}",
                              "skill >= 0.10": "yes" if crit["skill_ok"] else "NO"})
            e = sums["ensemble"]
            body += [f"### {label}: {pattern} ({len(scored)} series"
                     + (f", {len(rs) - len(scored)} could not be forecast" if len(rs) > len(scored) else "") + ")", "",
                     tab.to_markdown(index=False, floatfmt=".3f"), "",
                     f"Ensemble Brier per horizon h1..h{len(e['brier_h'])}: "
                     + " ".join(f"{v:.3f}" for v in e["brier_h"]) + "; rwd: "
                     + " ".join(f"{v:.3f}" for v in sums["rwd"]["brier_h"]) + ". Members dropped: "
                     + (", ".join(f"{k}: {v}" for k, v in drops.value_counts().items()) or "none") + ".", ""]
        body += [f"### {COLLECTIONS[collection]}: what happened to the damped trend, by history length "
                 f"(pattern full)", ""]
        dt = drop_table([r for r in recs if r["pattern"] == "full"], "damped_trend") if "damped_trend" in members \
            else pd.DataFrame()
        body += [dt.to_markdown(index=False) if len(dt) else "(damped_trend not in this variant's members)", ""]
    return head_rows, {"summary": summary, "body": body}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-dir", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--collections", default="m3,m1", help="comma list of " + ", ".join(COLLECTIONS))
    ap.add_argument("--patterns", default=",".join(PATTERNS), help="comma list of sparse.PATTERNS")
    ap.add_argument("--variant", default="baseline")
    ap.add_argument("--every", type=int, default=1, help="every k-th series (sorted by id) only")
    ap.add_argument("--limit", type=int, default=None, help="first N series only (quick look)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--cache-dir", default="/tmp/collections_cache")
    ap.add_argument("--report-only", action="store_true", help="report the cached runs, run nothing")
    ap.add_argument("--out", default=None, help="markdown path (default results/collections[_<variant>].md)")
    args = ap.parse_args()
    if args.variant != "baseline" and args.variant not in VARIANTS:
        import damped_experiment  # noqa: F401  (registers its variants in VARIANTS)
    members = VARIANTS[args.variant][0]
    settings = ForecastSettings.from_config(load_config().settings)
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    patterns = args.patterns.split(",")
    runs = {}
    for collection in args.collections.split(","):
        path = cache_path(cache, args.variant, collection, args.every, args.limit, patterns)
        if not args.report_only:
            recs, wall, n = run_collection(Path(args.bench_dir), collection, args.variant, patterns, args.every,
                                           args.limit, args.workers, settings)
            meta = {"wall": wall, "series": n, "patterns": patterns, "run": time.strftime("%Y-%m-%d %H:%M"),
                    "n_paths": settings.n_paths}
            with gzip.open(path, "wt", encoding="utf-8") as fh:
                fh.write(json.dumps(meta) + "\n")
                for r in recs:
                    fh.write(json.dumps(r) + "\n")
            print(f"{collection}: {n} series, {len(recs)} records, {wall:.0f} s", flush=True)
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            meta = json.loads(fh.readline())
            runs[collection] = {"meta": meta, "records": [json.loads(line) for line in fh]}
    command = (f".venv/bin/python benchmarks/yearly_collections.py --collections {args.collections}"
               + (f" --patterns {args.patterns}" if args.patterns != ",".join(PATTERNS) else "")
               + (f" --variant {args.variant}" if args.variant != "baseline" else "")
               + (f" --every {args.every}" if args.every > 1 else "") + (f" --limit {args.limit}" if args.limit else "")
               + f" --workers {args.workers}")
    head_rows, rep = report(runs, args.variant, command, members)
    runs_line = "; ".join(f"{COLLECTIONS[c]}: {r['meta']['series']} series, run {r['meta']['run']}, "
                          f"{r['meta']['wall']:.0f} s" for c, r in runs.items())
    subset = (f"Subset: every {args.every}-th series (sorted by id)" if args.every > 1 else "All series") \
        + (f", first {args.limit} only" if args.limit else "") + "."
    md = [f"# The engine on each collection separately (issue 27){'' if args.variant == 'baseline' else ': variant ' + args.variant}",
          "", f"Command: `{command}` (one collection per run, then `--report-only` over the cached records)  ",
          f"Date: {time.strftime('%Y-%m-%d %H:%M')}. {subset} {settings.n_paths} paths per member, 1 worker. "
          f"Runs: {runs_line}.  ", f"Members: {', '.join(members)}; engine settings as in config/settings.yaml "
          "(trend damping " + f"{settings.trend_damping})" + ("" if args.variant == "baseline" else
                                                             f"; variant `{args.variant}`, see damped_experiment.py") + ".",
          "",
          "Methods: `ensemble` is the engine (forecast_series, equal-weight mixture of the members admitted); `naive` "
          "is the last value (intervals and P from a random walk without drift, the random_walk_drift member with "
          "damping 0, same volatility prior, no width calibration); `rwd` is the plain random walk with drift "
          "(damping 1, same prior; the reference of every Brier skill, as in m3_yearly.py and sparse.py); "
          "`drift line` is the classical drift point forecast. sMAPE 200|y-f|/(|y|+|f|) of the median path "
          "averaged over horizons and series; MASE scaled by the in-sample naive MAE of the whole history; coverage "
          "of the central 50/80/95 % path intervals in % (per horizon, then pooled); Brier score of "
          f"P(y[T+h] >= c y[T]) over h = 1..H and c in {', '.join(map(str, THRESHOLDS))}.", "",
          "## Summary and issue 27's 'Done when'", "",
          "Bars: 80 % and 95 % coverage within ±5 points pooled over horizons and ±7 at every horizon; Brier skill "
          ">= 0.10 against rwd; sMAPE <= 16.0 on M3 yearly (full). 'worst h dev' is the largest |coverage - nominal| "
          "over horizons.", "", pd.DataFrame(head_rows).to_markdown(index=False), "",
          "## One table per collection and pattern", "", *rep["body"]]
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / (
        "collections.md" if args.variant == "baseline" else f"collections_{args.variant}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(md) + "\n", encoding="utf-8")
    rep["summary"]["date"] = time.strftime("%Y-%m-%d %H:%M")
    rep["summary"]["subset"] = subset
    out.with_name(out.stem + "_summary.json").write_text(json.dumps(rep["summary"], indent=1) + "\n", encoding="utf-8")
    print(pd.DataFrame(head_rows).to_string(index=False))


if __name__ == "__main__":
    main()
