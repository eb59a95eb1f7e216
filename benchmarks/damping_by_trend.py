"""Experiment (issue 27, point 1): does trend strength tell which series need damping? Benchmarks only.

    cd benchmarks && ../.venv/bin/python damping_by_trend.py

Reads the cached records of yearly_collections.py runs `baseline` (damping 0.8) and `damp1` (no damping) on
the four pseudo-origin collections (pattern full) and, per bin of the history's trend t-statistic
(mean / sd of yearly log changes x sqrt(count)), prints the mean difference of |log error| of the median and
of the Brier score (positive: damping 0.8 worse than none). A per-series damping learned from the history
would need a feature that separates the two; results in results/collections_notes.md.
"""
import gzip, json, sys
import numpy as np, pandas as pd
sys.path.insert(0, ".")
from yearly_collections import load_collection
from pathlib import Path
B = Path("/work/shared/bench")
THR = None
def recs(v, c):
    with gzip.open(f"/tmp/collections_cache/{v}_{c}_full_every1.jsonl.gz", "rt") as f:
        f.readline(); return {r["series_id"]: r for r in map(json.loads, f)}
for c in ["m3train", "m1train", "m3q", "m1q"]:
    h, series = load_collection(B, c)
    hist = {sid: (y, v) for sid, y, v, _ in series}
    a, b = recs("baseline", c), recs("damp1", c)
    rows = []
    for sid, r in a.items():
        if "methods" not in r or sid not in b or "methods" not in b[sid]: continue
        y, v = hist[sid]
        dy = np.diff(np.log(v))
        if len(dy) < 3: continue
        t = dy.mean() / (dy.std(ddof=1) + 1e-9) * np.sqrt(len(dy))
        test = np.array(r["test"])
        ea = np.mean(np.abs(np.log(np.array(r["methods"]["ensemble"]["med"]) / test)))
        eb = np.mean(np.abs(np.log(np.array(b[sid]["methods"]["ensemble"]["med"]) / test)))
        brier_a = np.mean((np.array(r["methods"]["ensemble"]["p"]) - np.array(r["outcome"]))**2)
        brier_b = np.mean((np.array(b[sid]["methods"]["ensemble"]["p"]) - np.array(b[sid]["outcome"]))**2)
        rows.append((t, ea - eb, brier_a - brier_b, len(v)))
    df = pd.DataFrame(rows, columns=["t", "d_abslog", "d_brier", "n"])
    df["tbin"] = pd.cut(df["t"], [-np.inf, 0, 1, 2, 3, 5, np.inf])
    print(c, "positive = damping 0.8 worse than 1.0")
    print(df.groupby("tbin", observed=True).agg(count=("t", "size"), d_abslog=("d_abslog", "mean"), d_brier=("d_brier", "mean")).round(4).to_string())
