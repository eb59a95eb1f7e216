"""Every number traceable: reports/<q>/figures.csv, one row per figure visible at the quarter.

A reader of the briefing sees a short id beside each figure ([Fk4q7zm]); the
same id is a row of figures.csv with the value, its status and reliability,
the source title and URL, and the raw file and row it was typed from. The id
is derived from the raw file name and row (the observation id of ingest.py),
never from a row position in a table, so it is the same in every quarter and
every rerun for as long as the raw row stays where it is. A level derived
from printed growth (clean.derive_levels) gets its own id (D...) from its
source row and its period, because it is a different number from the one
printed in that row.
"""
from __future__ import annotations

import base64
import hashlib
import math
from pathlib import Path

import pandas as pd

from . import storage

FIGURE_COLUMNS = [
    "figure_id", "indicator", "indicator_zh", "indicator_en", "region", "period", "value", "unit", "growth_pct",
    "status", "reliability", "qualifier", "role", "role_note", "derivation", "source_title", "source_url",
    "published_date", "raw_file", "raw_row", "obs_id",
]


def figure_id(obs_id: object, derived_period: str | None = None) -> str:
    """The stable public id of a figure (Fk4q7zm): F + a hash of its raw row's id; D... for a level derived for another period.

    Empty when there is no raw row (a growth index chained by the model, a placeholder).
    """
    if not isinstance(obs_id, str) or not obs_id:
        return ""
    key, prefix = (f"{obs_id}>{derived_period}", "D") if derived_period else (obs_id, "F")
    # 6 base32 characters (30 bits): short enough for a table cell, a clash unlikely below tens of thousands of rows
    # (figures_table refuses one); base32 has no 0/1/8/9, so nothing reads as O, l or B
    return prefix + base64.b32encode(hashlib.sha1(key.encode("utf-8")).digest()).decode("ascii")[:6].lower()


def _text(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def figures_table(observations: pd.DataFrame, best: pd.DataFrame, names: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """figures.csv: every raw row visible at the quarter (with its role in the best-value choice) and every derived level.

    observations and best are CleanResult.observations / .best; names maps
    indicator -> (Chinese name, English name). Rows a quarter cannot see yet
    are left out, so the table is what that quarter's briefing could know.
    """
    names = names or {}
    obs = observations
    if "visible" in obs:
        obs = obs[obs["visible"].astype(bool)]
    rows = []
    for r in obs.itertuples(index=False):
        rows.append({
            "figure_id": figure_id(r.obs_id), "indicator": r.indicator, "region": r.region, "period": r.period,
            "value": r.value, "unit": r.unit, "growth_pct": r.growth_pct, "status": r.status,
            "reliability": r.reliability, "qualifier": _text(r.qualifier), "role": _text(getattr(r, "role", "")),
            "role_note": _text(getattr(r, "reason", "")), "derivation": "", "source_title": _text(r.source_title),
            "source_url": _text(r.source_url), "published_date": _text(r.published_date), "raw_file": r.file,
            "raw_row": int(r.row), "obs_id": r.obs_id,
        })
    by_obs = obs.set_index("obs_id") if len(obs) else obs
    derived = best[best["derived"].astype(bool)] if "derived" in best and len(best) else best.iloc[0:0]
    for r in derived.itertuples(index=False):
        src = by_obs.loc[r.obs_id] if r.obs_id in by_obs.index else None
        rows.append({
            "figure_id": figure_id(r.obs_id, r.period), "indicator": r.indicator, "region": r.region, "period": r.period,
            "value": r.value, "unit": r.unit, "growth_pct": float("nan"), "status": r.status, "reliability": r.reliability,
            "qualifier": _text(r.qualifier), "role": "derived",
            "role_note": "growth from " + figure_id(r.growth_obs_id) if _text(r.growth_obs_id) else "",
            "derivation": _text(r.derivation), "source_title": _text(r.source_title), "source_url": _text(r.source_url),
            "published_date": _text(r.published_date), "raw_file": src["file"] if src is not None else "",
            "raw_row": int(src["row"]) if src is not None else pd.NA, "obs_id": r.obs_id,
        })
    out = pd.DataFrame.from_records(rows, columns=FIGURE_COLUMNS)
    out["indicator_zh"] = out["indicator"].map(lambda i: names.get(i, ("", ""))[0])
    out["indicator_en"] = out["indicator"].map(lambda i: names.get(i, ("", ""))[1])
    clash = out["figure_id"][out["figure_id"].duplicated()]
    if len(clash):      # two raw rows hashing alike: never expected, but a silent clash would mis-cite a figure
        raise ValueError(f"figure id clash in figures.csv: {sorted(set(clash))}")
    return out.sort_values(["indicator", "region", "period", "role", "figure_id"], ignore_index=True)


def write_figures(folder: Path, observations: pd.DataFrame, best: pd.DataFrame,
                  names: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Write folder/figures.csv (UTF-8 with BOM, like the other CSVs, so Excel shows the Chinese)."""
    table = figures_table(observations, best, names)
    storage.write_csv(table, Path(folder) / "figures.csv")
    return table


def cited_ids(assessment: pd.DataFrame) -> set[str]:
    """Every figure id assessment.csv cites (figure_ids and latest_figure_id)."""
    ids: set[str] = set()
    for col in ("figure_ids", "latest_figure_id"):
        if col in assessment:
            for cell in assessment[col].dropna().astype(str):
                ids |= {x.strip() for x in cell.split(";") if x.strip()}
    return ids
