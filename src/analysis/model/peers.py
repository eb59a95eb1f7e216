"""What the comparator regions printed for the same indicator in the plan years: the reference beside P.

Issue 25 point 7 asks that widths and drifts of a Chinese regional total come from the series' own recent years and
from a reference class of regional series "where one exists". The data hold the comparator regions of
config/settings.yaml (南通, 通州, 海安) only as a handful of printed growth rates (retail sales: 海安 2023, 南通
January-February 2024), no series long enough to fit a width or a drift on. So the engine keeps its widths from the
series' own years and the yearly prior (docs/assumptions.md A7), and the rates the neighbours printed are shown
beside P for the reader to weigh, never fed into it: a rate from a neighbour is context, not evidence about Haimen.

Only rows the clean step uses (selected, derived, growth only: never unverified or superseded ones) and visible at
as_of count; the latest few are kept, newest first.
"""
from __future__ import annotations

import json

import pandas as pd

from analysis.core.config import Config

USED_ROLES = ("selected", "derived", "growth_only")
MAX_PEERS = 3


def peer_growth(observations: pd.DataFrame, home_region: str, indicator: str, first_year: int,
                last_year: int, limit: int = MAX_PEERS) -> list[dict]:
    """The growth rates other regions printed for indicator in first_year..last_year, newest first (at most limit).

    Each: region, year, period (as printed), growth_pct, status, reliability. One per region and period."""
    o = observations
    if o is None or o.empty or "growth_pct" not in o:
        return []
    keep = ((o["indicator"] == indicator) & (o["region"] != home_region) & o["growth_pct"].notna()
            & o["role"].isin(USED_ROLES) & o["year"].between(first_year, last_year))
    if "visible" in o:
        keep &= o["visible"].fillna(True).astype(bool)
    rows = o[keep].copy()
    if rows.empty:
        return []
    rows["month_to"] = pd.to_numeric(rows.get("month_to"), errors="coerce").fillna(12)
    rows = (rows.sort_values(["year", "month_to", "region"], ascending=[False, False, True])
            .drop_duplicates(["region", "period"]).head(limit))
    return [{"region": str(r.region), "year": int(r.year), "period": str(r.period), "growth_pct": float(r.growth_pct),
             "status": str(r.status), "reliability": str(r.reliability)} for r in rows.itertuples()]


def add_peer_growth(table: pd.DataFrame, observations: pd.DataFrame, cfg: Config, as_of_year: int) -> pd.DataFrame:
    """assessment.csv's peer_growth column: each indicator target's peer_growth from the year after its base year to
    as_of_year, as JSON text (empty when none), so the CSV stays one row per target."""
    home = str(cfg.settings.get("home_region", "海门"))
    out = table.copy()
    cells = []
    for row in out.itertuples():
        indicator = getattr(row, "indicator", None)
        base = getattr(row, "base_year", None)
        found = (peer_growth(observations, home, str(indicator), int(base) + 1, as_of_year)
                 if isinstance(indicator, str) and indicator and pd.notna(base) else [])
        cells.append(json.dumps(found, ensure_ascii=False) if found else "")
    out["peer_growth"] = cells
    return out


def read_peer_growth(cell: object) -> list[dict]:
    """The peer_growth cell of assessment.csv back as a list (empty for an empty or missing cell)."""
    if not isinstance(cell, str) or not cell.strip():
        return []
    try:
        found = json.loads(cell)
    except ValueError:
        return []
    return found if isinstance(found, list) else []
