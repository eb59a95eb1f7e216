"""What the comparator regions printed for the same indicator in the plan years: beside P, and inside it.

Issue 25 point 7 asks that widths and drifts of a Chinese regional total come from the series' own recent years and
from a reference class of regional series "where one exists". The data hold the comparator regions of
config/settings.yaml (南通, 通州, 海安) only as a handful of printed growth rates (retail sales: 海安 2023, 南通
January-February 2024), no series long enough to fit a width or a drift on. What they are is news about the very
years the forecast is for: a county and its neighbours share a year's shocks (the pandemic, the 2022 slump in
consumption). So a year that Haimen has not yet published, but a neighbour has, is nowcast from the neighbours'
rate (peer_signal; forecast.nowcast_with_peers combines it with each path's own growth for that year), with a
stated error: a county's growth strays from its neighbours' by forecast.peers.sd a year (docs/assumptions.md
A10b). The rates are also printed beside P, so the reader sees what moved it.

Only rows the clean step uses (selected, derived, growth only: never unverified or superseded ones) and visible at
as_of count; the latest few are kept, newest first.
"""
from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.core.config import Config
from analysis.model.uncertainty import measurement_sd, ytd_error_sd

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
             "status": str(r.status), "reliability": str(r.reliability), "months": int(r.month_to),
             "obs_id": str(getattr(r, "obs_id", ""))} for r in rows.itertuples()]


class PeerSignal(NamedTuple):
    """The neighbours' growth of one year as news about the home region's: log growth, its error sd, the rows."""

    log_growth: float
    sd: float
    rows: list[dict]


def peer_signal(observations: pd.DataFrame, home_region: str, indicator: str, year: int, yearly_sd: float,
                settings: dict) -> PeerSignal | None:
    """What the neighbours printed for `year` as a noisy reading of the home region's growth that year (None: none).

    One rate per region, its latest period of the year (a full year before 1-n月). Each rate has its own
    uncertainty: the revision a 预计 or mirrored figure may undergo (measurement_sd, as for levels) and, for a
    1-n月 rate, the months still to come (ytd_error_sd with the home series' yearly sd). The rates are combined
    by inverse-variance weights, so a 1-2月 rate beside a full-year one adds little and never makes the reading
    less precise; then forecast.peers.sd^2 (how far a county's growth strays from its neighbours' in the same
    year: an assumption, docs/assumptions.md A10b) is added once: the neighbours share the year's common shock,
    so more of them do not shrink the county's own stray.
    """
    peers = settings.get("forecast", settings).get("peers", {})
    if not peers.get("enabled", False):
        return None
    rows = peer_growth(observations, home_region, indicator, year, year, limit=10**6)
    first: dict[str, dict] = {}
    for r in rows:                                   # newest period first: each region's latest rate of the year
        first.setdefault(r["region"], r)
    used = [r for r in first.values() if r["growth_pct"] > -100]
    if not used:
        return None
    g = np.log1p(np.array([r["growth_pct"] for r in used]) / 100.0)
    own = np.array([measurement_sd(r["status"], r["reliability"], "", False, settings) ** 2
                    + (ytd_error_sd(r.get("months", 12), yearly_sd, settings) ** 2 if r.get("months", 12) < 12 else 0.0)
                    for r in used])
    exact = own <= 0
    if exact.any():       # official full-year rates carry no error of their own: the others add nothing to them
        used = [r for r, e in zip(used, exact) if e]
        mean, var = float(g[exact].mean()), 0.0
    else:
        w = 1.0 / own
        mean, var = float(np.sum(w * g) / np.sum(w)), float(1.0 / np.sum(w))
    return PeerSignal(mean, float(np.sqrt(float(peers["sd"]) ** 2 + var)), used)


def add_peer_growth(table: pd.DataFrame, observations: pd.DataFrame, cfg: Config, as_of_year: int) -> pd.DataFrame:
    """assessment.csv's peer_growth column: each indicator target's peer_growth from the year after its base year to
    as_of_year, as JSON text (empty when none), so the CSV stays one row per target: every rate the forecast used
    (peer_obs_ids) and at most MAX_PEERS others, newest first."""
    home = str(cfg.settings.get("home_region", "海门"))
    out = table.copy()
    cells = []
    for row in out.itertuples():
        indicator = getattr(row, "indicator", None)
        base = getattr(row, "base_year", None)
        found = (peer_growth(observations, home, str(indicator), int(base) + 1, as_of_year, limit=10**6)
                 if isinstance(indicator, str) and indicator and pd.notna(base) else [])
        # every rate the nowcast used (assessment.csv peer_obs_ids), and the newest few others for reference
        cell = getattr(row, "peer_obs_ids", "")
        used = set(cell.split(",")) - {""} if isinstance(cell, str) else set()
        others = [p for p in found if p["obs_id"] not in used][:MAX_PEERS]
        found = [p for p in found if p["obs_id"] in used or p in others]
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
