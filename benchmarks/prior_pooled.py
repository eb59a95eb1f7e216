"""Experiment (issue 27, point 1): the volatility and drift prior fitted on pooled collections, cross-validated.

    .venv/bin/python benchmarks/prior_pooled.py fit                     # the prior per collection and pooled
    cd benchmarks && ../.venv/bin/python yearly_collections.py --variant prior_wo_m1q --collections m1q --patterns full

The engine's prior (config/settings.yaml forecast.prior: log_sd, spread, drift_mean, drift_sd) was fitted on M3
yearly alone (volatility_prior.py). Here it is fitted the same way (volatility on the last 7 points of each
history, drift on whole histories) on the histories BEFORE each pseudo-origin of the four pseudo-origin
collections (yearly_collections.load_collection: m3train, m1train, m3q, m1q), so no held-out point is read.
Variants registered in yearly_collections.VARIANTS:

- prior_wo_<c>: the prior fitted on the pooled other three collections, to be scored on <c> (leave one out);
- prior_pooled: fitted on all four (what the engine would ship if the leave-one-out scores say so).

own_weight, decay and persistence stay as configured (their fit needs six points after each origin inside the
history; not redone here).
"""
from __future__ import annotations

import sys
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from m3_common import ROOT  # noqa: F401  (sets BLAS threads first)
from volatility_prior import fit_prior, series_stats

POOL = ("m3train", "m1train", "m3q", "m1q")
BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


@lru_cache(maxsize=None)
def _histories(collection: str) -> pd.DataFrame:
    from yearly_collections import load_collection
    _, series = load_collection(BENCH, collection)
    return pd.concat([pd.DataFrame({"series_id": f"{collection}/{sid}", "t": range(len(v)), "value": v,
                                    "split": "train"}) for sid, _, v, _ in series if len(v) >= 3],
                     ignore_index=True)


@lru_cache(maxsize=None)
def fit(collections: tuple[str, ...]) -> dict:
    data = pd.concat([_histories(c) for c in collections], ignore_index=True)
    p = fit_prior(series_stats(data, 7))
    drift = fit_prior(series_stats(data, None))
    p["drift_mean"], p["drift_sd"] = drift["drift_mean"], drift["drift_sd"]
    return p


def _with_prior(s, collections: tuple[str, ...]):
    p = fit(collections)
    return replace(s, prior=replace(s.prior, log_sd=p["log_sd"], spread=p["spread"], drift_mean=p["drift_mean"],
                                    drift_sd=p["drift_sd"]))


def register(col) -> None:
    for c in POOL:
        others = tuple(o for o in POOL if o != c)
        col.VARIANTS.setdefault(f"prior_wo_{c}", (col.MEMBER_NAMES, lambda s, o=others: _with_prior(s, o)))
    col.VARIANTS.setdefault("prior_pooled", (col.MEMBER_NAMES, lambda s: _with_prior(s, POOL)))


if __name__ == "__main__" and sys.argv[1:2] == ["fit"]:
    rows = [{"fitted on": c, **fit((c,))} for c in POOL]
    rows += [{"fitted on": "all but " + c, **fit(tuple(o for o in POOL if o != c))} for c in POOL]
    rows.append({"fitted on": "all four", **fit(POOL)})
    print(pd.DataFrame(rows).to_markdown(index=False))
